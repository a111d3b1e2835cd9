// Downloads on this device: fetching into Shaka's offline storage (IndexedDB), deleting, and
// sending back what was watched offline once the browser is online again.
import shaka from "shaka-player/dist/shaka-player.compiled";
import { ApiError } from "../api";
import { downloadsApi } from "./api";
import type { DownloadRenewed, DownloadStarted, DownloadTarget } from "./api";
import { clearKeys, deviceId, forget, forProfile, localStore, progressStore, save, update } from "./records";
import type { LocalDownload } from "./records";

// Renewals refused with these mean the copy may no longer be played: it is deleted.
const REVOKING = new Set([402, 403, 404, 410, 451]);

function pickTracks(quality: number) {
  return async (tracks: shaka.extern.TrackList): Promise<shaka.extern.TrackList> => {
    const variants = tracks.filter((t) => t.type === "variant");
    const fitting = variants.filter((t) => (t.height ?? 0) <= quality);
    const pool = fitting.length > 0 ? fitting : variants;
    const tallest = Math.max(...pool.map((t) => t.height ?? 0));
    const chosen = pool.filter((t) => (t.height ?? 0) === tallest).sort((a, b) => b.bandwidth - a.bandwidth)[0];
    return [...(chosen ? [chosen] : []), ...tracks.filter((t) => t.type === "text")];
  };
}

function record(profileId: string, made: DownloadStarted): LocalDownload {
  return {
    id: made.id,
    profileId,
    titleId: made.title_id,
    episodeId: made.episode_id ?? null,
    title: made.title,
    episodeTitle: made.episode_title ?? null,
    quality: made.quality,
    duration: made.duration,
    expiresAt: made.license.expires_at,
    playedExpirySeconds: made.license.played_expiry_seconds,
    playedAt: made.first_played_at ?? null,
    keys: made.license.keys,
    offlineUri: null,
    sizeBytes: 0,
    state: "downloading",
    problem: null,
    position: 0,
    reports: [],
  };
}

/** Ask the server for a download, then fetch and store its media; resolves when stored. */
export async function download(profileId: string, target: DownloadTarget, quality?: number): Promise<LocalDownload> {
  const made = await downloadsApi.create(profileId, { ...target, device_id: deviceId(), quality });
  const known = localStore.get()[made.id];
  if (known?.state === "ready") return update(made.id, { expiresAt: made.license.expires_at, keys: made.license.keys })!;
  save(record(profileId, made));
  const storage = new shaka.offline.Storage();
  storage.configure({
    drm: { clearKeys: clearKeys(made.license.keys) },
    offline: {
      usePersistentLicense: false,
      trackSelectionCallback: pickTracks(made.quality),
      progressCallback: (_content: shaka.extern.StoredContent, done: number) =>
        progressStore.set({ ...progressStore.get(), [made.id]: Math.round(done * 100) }),
    },
  });
  try {
    const stored = (await storage.store(made.media.dash_url, { downloadId: made.id }, "application/dash+xml").promise) as shaka.extern.StoredContent;
    progressStore.set({ ...progressStore.get(), [made.id]: 100 });
    return update(made.id, { offlineUri: stored.offlineUri, sizeBytes: stored.size, state: "ready" })!;
  } catch (err) {
    update(made.id, { state: "failed", problem: "The download did not finish; delete it and try again." });
    throw err;
  } finally {
    await storage.destroy();
  }
}

async function removeMedia(found: LocalDownload): Promise<void> {
  if (!found.offlineUri) return;
  const storage = new shaka.offline.Storage();
  try {
    await storage.remove(found.offlineUri);
  } finally {
    await storage.destroy();
  }
}

/** Delete the copy here and free its place on the plan. */
export async function remove(found: LocalDownload): Promise<void> {
  await downloadsApi.remove(found.profileId, found.id).catch((err) => {
    if (!(err instanceof ApiError && err.status === 404)) throw err;
  });
  await removeMedia(found);
  forget(found.id);
}

function renewed(id: string, answer: DownloadRenewed): void {
  update(id, { expiresAt: answer.license.expires_at, keys: answer.license.keys, playedAt: answer.first_played_at ?? null });
}

async function syncOne(found: LocalDownload): Promise<void> {
  if (found.reports.length > 0) {
    const sent = found.reports;
    await downloadsApi.progress(found.profileId, found.id, sent);
    const now = localStore.get()[found.id];
    if (now) update(found.id, { reports: now.reports.slice(sent.length) });
  }
  if (found.state !== "ready") return;
  try {
    renewed(found.id, await downloadsApi.renew(found.profileId, found.id, found.playedAt));
  } catch (err) {
    if (!(err instanceof ApiError && REVOKING.has(err.status))) throw err;
    await removeMedia(found);
    update(found.id, { state: "revoked", offlineUri: null, problem: err.message });
  }
}

/** Online: send back what was watched offline and renew every licence (revoked ones go). */
export async function sync(profileId: string): Promise<void> {
  if (!navigator.onLine) return;
  for (const found of forProfile(profileId)) {
    try {
      await syncOne(found);
    } catch {
      // Still offline for this request, or a server hiccup: the next sync tries again.
    }
  }
}

let listening = false;

/** Sync whenever the browser comes back online, for the profile watching then. */
export function syncWhenOnline(profileId: () => string | null): void {
  if (listening) return;
  listening = true;
  window.addEventListener("online", () => {
    const id = profileId();
    if (id) void sync(id);
  });
}
