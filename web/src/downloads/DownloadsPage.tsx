// The Downloads page: what is stored on this device, its progress, size and expiry; play or delete.
import { useEffect, useState } from "preact/hooks";
import type { PageProps } from "../router";
import { errorText } from "../components/async";
import { ErrorNote } from "../components/Status";
import { profileStore, useStore } from "../state";
import { downloadsApi } from "./api";
import { remove, sync, syncWhenOnline } from "./local";
import { forProfile, isExpired, localStore, playableUntil, progressStore } from "./records";
import type { LocalDownload } from "./records";
import { OfflinePlayer } from "./OfflinePlayer";
import "./downloads.css";

function size(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

function state(record: LocalDownload, percent: number | undefined, now: number): string {
  if (record.state === "downloading") return `Downloading ${percent ?? 0}%`;
  if (record.state === "failed" || record.state === "revoked") return record.problem ?? "Not available";
  return isExpired(record, now) ? "Expired" : "Ready";
}

function Item({ record, now, onPlay }: { record: LocalDownload; now: number; onPlay: () => void }) {
  const percent = useStore(progressStore)[record.id];
  const [error, setError] = useState<string | null>(null);
  const name = record.episodeTitle ? `${record.title}: ${record.episodeTitle}` : record.title;
  const shown = state(record, percent, now);
  return (
    <li class="download-item" data-download-id={record.id} data-state={shown}>
      <div>
        <strong>{name}</strong>
        <p class="hint">
          {record.quality}p · {record.sizeBytes ? size(record.sizeBytes) : "—"} · plays until{" "}
          {new Date(playableUntil(record)).toLocaleString()}
        </p>
        <p class="download-state">{shown}</p>
        {record.state === "downloading" && <progress max={100} value={percent ?? 0} aria-label={`${name} downloaded`} />}
      </div>
      <div class="btn-row">
        <button class="btn btn-primary" type="button" disabled={record.state !== "ready"} onClick={onPlay} aria-label={`Play ${name}`}>
          ▶ Play
        </button>
        <button class="btn" type="button" aria-label={`Delete ${name}`} onClick={() => remove(record).catch((err) => setError(errorText(err)))}>
          Delete
        </button>
      </div>
      <ErrorNote message={error} />
    </li>
  );
}

export default function DownloadsPage(_props: PageProps) {
  const profile = useStore(profileStore)!;
  useStore(localStore);
  const now = useNow();
  const [playing, setPlaying] = useState<LocalDownload | null>(null);
  const [usage, setUsage] = useState<string | null>(null);

  useEffect(() => {
    syncWhenOnline(() => profileStore.get()?.id ?? null);
    void sync(profile.id);
    if (navigator.onLine) {
      downloadsApi.list(profile.id).then(
        (list) => setUsage(`${list.used} of ${list.limit} downloads used on this account`),
        () => setUsage(null),
      );
    }
  }, [profile.id]);

  const items = forProfile(profile.id);
  return (
    <section class="page downloads-page" aria-labelledby="downloads-heading">
      <div class="row-head">
        <h1 id="downloads-heading">Downloads</h1>
        {usage && <span class="row-reason">{usage}</span>}
      </div>
      {playing && <OfflinePlayer record={playing} onClose={() => setPlaying(null)} />}
      {items.length === 0 ? (
        <p class="hint">Nothing downloaded on this device yet. Titles and episodes have a Download button.</p>
      ) : (
        <ul class="downloads">
          {items.map((record) => (
            <Item record={record} now={now} onPlay={() => setPlaying(record)} />
          ))}
        </ul>
      )}
    </section>
  );
}
