// Create or edit a profile: name, kids, maturity ceiling, languages, avatar, PIN lock.
import { useState } from "preact/hooks";
import type { ProfileRead, ProfileWrite } from "../../api";
import { Avatar } from "../../components/Avatar";
import { ErrorNote } from "../../components/Status";

export const CEILINGS = ["TV-Y", "TV-Y7", "G", "PG", "PG-13", "R", "NC-17"];
const LANGUAGES: [string, string][] = [
  ["en", "English"],
  ["fr", "Français"],
  ["de", "Deutsch"],
  ["es", "Español"],
  ["it", "Italiano"],
  ["ja", "日本語"],
];
const AVATARS = Array.from({ length: 8 }, (_, i) => `avatar-${i + 1}`);

interface Props {
  profile?: ProfileRead;
  suggestedAvatar?: string;
  error: string | null;
  busy: boolean;
  onSave: (body: ProfileWrite) => void;
  onCancel: () => void;
  onDelete?: () => void;
}

export function ProfileForm({ profile, suggestedAvatar, error, busy, onSave, onCancel, onDelete }: Props) {
  const [name, setName] = useState(profile?.name ?? "");
  const [kids, setKids] = useState(profile?.is_kids ?? false);
  const [ceiling, setCeiling] = useState(profile?.maturity_ceiling ?? "");
  const [language, setLanguage] = useState(profile?.language ?? "en");
  const [avatar, setAvatar] = useState(profile?.avatar ?? suggestedAvatar ?? "avatar-1");
  const [pin, setPin] = useState("");
  const [removePin, setRemovePin] = useState(false);
  const locked = profile?.locked ?? false;

  function submit(event: Event) {
    event.preventDefault();
    const body: ProfileWrite = { name: name.trim(), is_kids: kids, maturity_ceiling: ceiling || null, language, avatar };
    // Left out, the PIN stays as it is; null opens the profile.
    if (locked && removePin) body.pin = null;
    else if (pin) body.pin = pin;
    onSave(body);
  }

  return (
    <form class="profile-form" onSubmit={submit} aria-labelledby="profile-form-heading">
      <h2 id="profile-form-heading">{profile ? `Edit ${profile.name}` : "Add a profile"}</h2>
      <div class="field">
        <label for="profile-name">Name</label>
        <input id="profile-name" required maxLength={40} value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </div>
      <div class="check">
        <input id="profile-kids" type="checkbox" checked={kids} onChange={(e) => setKids(e.currentTarget.checked)} />
        <label for="profile-kids">Kids profile (only titles rated for children)</label>
      </div>
      <div class="field">
        <label for="profile-ceiling">Maturity limit</label>
        <select id="profile-ceiling" value={ceiling} onChange={(e) => setCeiling(e.currentTarget.value)}>
          <option value="">{kids ? "Default for kids (G)" : "No limit"}</option>
          {CEILINGS.map((c) => (
            <option value={c}>{c}</option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="profile-language">Display language</label>
        <select id="profile-language" value={language} onChange={(e) => setLanguage(e.currentTarget.value)}>
          {LANGUAGES.map(([code, label]) => (
            <option value={code}>{label}</option>
          ))}
        </select>
      </div>
      <fieldset class="field avatar-choice">
        <legend class="field-label">Avatar</legend>
        <div class="btn-row">
          {AVATARS.map((a) => (
            <label class="avatar-option">
              <input type="radio" name="avatar" value={a} checked={avatar === a} onChange={() => setAvatar(a)} />
              <Avatar profile={{ name: name || "?", avatar: a, is_kids: false }} size="sm" />
              <span class="sr-only">{a.replace("-", " ")}</span>
            </label>
          ))}
        </div>
      </fieldset>
      <fieldset class="field pin-choice">
        <legend class="field-label">Profile lock</legend>
        <label for="profile-pin-new">
          {locked ? "New 4-digit PIN (leave empty to keep the current one)" : "4-digit PIN (optional)"}
        </label>
        <input
          id="profile-pin-new"
          type="password"
          inputMode="numeric"
          autoComplete="new-password"
          pattern="[0-9]{4}"
          maxLength={4}
          value={pin}
          disabled={removePin}
          onInput={(e) => setPin(e.currentTarget.value.replace(/\D/g, ""))}
        />
        {locked && (
          <div class="check">
            <input
              id="profile-pin-remove"
              type="checkbox"
              checked={removePin}
              onChange={(e) => setRemovePin(e.currentTarget.checked)}
            />
            <label for="profile-pin-remove">Remove the PIN</label>
          </div>
        )}
      </fieldset>
      <ErrorNote message={error} />
      <div class="btn-row">
        <button class="btn btn-primary" type="submit" disabled={busy}>
          Save
        </button>
        <button class="btn btn-ghost" type="button" onClick={onCancel}>
          Cancel
        </button>
        {onDelete && (
          <button class="btn btn-ghost" type="button" onClick={onDelete} disabled={busy}>
            Delete profile
          </button>
        )}
      </div>
    </form>
  );
}
