// A Download button for a title or an episode, with the quality chosen within the plan.
import { useState } from "preact/hooks";
import { me } from "../api";
import { errorText, useAsync } from "../components/async";
import { ErrorNote } from "../components/Status";
import { userStore, useStore } from "../state";
import { localStore, progressStore } from "./records";
import type { DownloadTarget } from "./api";

const LADDER = [240, 360, 480, 720, 1080, 1440, 2160];
// One entitlements request per account for all the buttons (a series has one per episode).
const plans = new Map<string, ReturnType<typeof me.entitlements>>();
function planOnce(): ReturnType<typeof me.entitlements> {
  const key = userStore.get()?.id ?? "";
  let found = plans.get(key);
  if (!found) {
    found = me.entitlements().catch((err) => {
      plans.delete(key);
      throw err;
    });
    plans.set(key, found);
  }
  return found;
}

export function DownloadButton({ profileId, target, label }: { profileId: string; target: DownloadTarget; label: string }) {
  const entitled = useAsync(planOnce, []);
  const records = useStore(localStore);
  const progress = useStore(progressStore);
  const [quality, setQuality] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const here = Object.values(records).find(
    (d) => d.profileId === profileId && (target.episode_id ? d.episodeId === target.episode_id : d.titleId === target.title_id && !d.episodeId),
  );
  const ceiling = entitled.data?.max_resolution ?? 0;

  async function start() {
    setBusy(true);
    setError(null);
    try {
      // The storage code (and Shaka with it) loads on the first download, not with the title page.
      const { download } = await import("./local");
      await download(profileId, target, quality ? Number(quality) : undefined);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  const status = here?.state === "ready" ? "Downloaded" : here?.state === "downloading" ? `Downloading ${progress[here.id] ?? 0}%` : null;
  return (
    <div class="download-action">
      <div class="btn-row">
        <button class="btn" type="button" disabled={busy || here?.state === "ready"} onClick={start} aria-label={`Download ${label}`}>
          <span aria-hidden="true">⤓</span> {status ?? "Download"}
        </button>
        <label class="download-quality">
          <span class="sr-only">Download quality for {label}</span>
          <select value={quality} onChange={(e) => setQuality(e.currentTarget.value)} disabled={busy}>
            <option value="">Best in plan</option>
            {LADDER.filter((h) => h <= ceiling).map((h) => (
              <option value={String(h)}>{h}p</option>
            ))}
          </select>
        </label>
      </div>
      <ErrorNote message={error} />
    </div>
  );
}
