// "Who's watching?": pick, add and edit the account's profiles.
import { useState } from "preact/hooks";
import { useDocumentTitle } from "../../components/title";
import { hasProfileToken, profiles as profilesApi } from "../../api";
import type { ProfileRead, ProfileWrite } from "../../api";
import { errorText, useAsync } from "../../components/async";
import { Avatar } from "../../components/Avatar";
import { ErrorNote, Loading } from "../../components/Status";
import type { PageProps } from "../../router";
import { navigate, profileStore, selectProfile } from "../../state";
import { PinPrompt } from "./PinPrompt";
import { ProfileForm } from "./ProfileForm";

type Editing = { kind: "none" } | { kind: "new" } | { kind: "edit"; profile: ProfileRead };

function nextPath(query: URLSearchParams): string {
  const next = query.get("next");
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/profiles") ? next : "/";
}

/** New profiles start with an avatar no other profile of the account uses yet. */
function unusedAvatar(existing: ProfileRead[]): string {
  const taken = new Set(existing.map((p) => p.avatar));
  for (let n = 1; n <= 8; n++) if (!taken.has(`avatar-${n}`)) return `avatar-${n}`;
  return `avatar-${(existing.length % 8) + 1}`;
}

export default function Profiles({ query }: PageProps) {
  useDocumentTitle("Who's watching?");
  const list = useAsync(() => profilesApi.list(), []);
  const [managing, setManaging] = useState(false);
  const [editing, setEditing] = useState<Editing>({ kind: "none" });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [unlocking, setUnlocking] = useState<ProfileRead | null>(null);

  async function run(action: () => Promise<unknown>) {
    setBusy(true);
    setError(null);
    try {
      await action();
      setEditing({ kind: "none" });
      list.reload();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  function save(body: ProfileWrite) {
    if (editing.kind === "edit") {
      const id = editing.profile.id;
      void run(async () => {
        const updated = await profilesApi.update(id, body);
        if (profileStore.get()?.id === id) selectProfile(updated);
      });
    } else void run(() => profilesApi.create(body));
  }

  function remove(profile: ProfileRead) {
    if (!window.confirm(`Delete the profile ${profile.name}? Its history and My List go with it.`)) return;
    void run(async () => {
      await profilesApi.remove(profile.id);
      if (profileStore.get()?.id === profile.id) selectProfile(null);
    });
  }

  function choose(profile: ProfileRead) {
    if (managing) {
      setEditing({ kind: "edit", profile });
      return;
    }
    if (profile.locked && !hasProfileToken(profile.id)) {
      setUnlocking(profile);
      return;
    }
    open(profile);
  }

  function open(profile: ProfileRead, profileToken: string | null = null) {
    selectProfile(profile, profileToken);
    navigate(nextPath(query), { replace: true });
  }

  if (unlocking) {
    return (
      <div class="profiles">
        <PinPrompt
          profile={unlocking}
          onUnlocked={(token) => open(unlocking, token)}
          onCancel={() => setUnlocking(null)}
        />
      </div>
    );
  }

  if (editing.kind !== "none") {
    const profile = editing.kind === "edit" ? editing.profile : undefined;
    return (
      <div class="profiles">
        <ProfileForm
          profile={profile}
          suggestedAvatar={unusedAvatar(list.data?.items ?? [])}
          error={error}
          busy={busy}
          onSave={save}
          onCancel={() => (setEditing({ kind: "none" }), setError(null))}
          onDelete={profile ? () => remove(profile) : undefined}
        />
      </div>
    );
  }

  return (
    <div class="profiles">
      <h1>{managing ? "Manage profiles" : "Who's watching?"}</h1>
      {list.loading && !list.data && <Loading label="Loading profiles" />}
      <ErrorNote message={list.error ?? error} />
      {list.data && (
        <ul class="profile-grid">
          {list.data.items.map((p) => (
            <li>
              <button class="profile-tile" type="button" data-profile-id={p.id} onClick={() => choose(p)}>
                <Avatar profile={p} />
                <span>
                  {managing && <span class="sr-only">Edit </span>}
                  {managing && <span aria-hidden="true">✎ </span>}
                  {p.name}
                  {p.is_kids && <span class="sr-only"> (kids)</span>}
                  {p.locked && <span class="sr-only"> (locked)</span>}
                  {p.locked && <span aria-hidden="true"> 🔒</span>}
                </span>
              </button>
            </li>
          ))}
          <li>
            <button class="profile-tile" type="button" onClick={() => setEditing({ kind: "new" })}>
              <span class="avatar avatar-lg avatar-add" aria-hidden="true">
                +
              </span>
              <span>Add profile</span>
            </button>
          </li>
        </ul>
      )}
      <div class="btn-row">
        <button class="btn btn-ghost" type="button" aria-pressed={managing} onClick={() => setManaging(!managing)}>
          {managing ? "Done" : "Manage profiles"}
        </button>
        <a class="btn btn-ghost" href="/account">
          Account
        </a>
      </div>
    </div>
  );
}

