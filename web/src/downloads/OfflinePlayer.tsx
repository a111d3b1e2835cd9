// Plays a stored download with no network: the media from IndexedDB, the key from its licence.
import shaka from "shaka-player/dist/shaka-player.compiled";
import { useEffect, useRef, useState } from "preact/hooks";
import { ErrorNote } from "../components/Status";
import { clearKeys, isExpired, localStore, update, watched } from "./records";
import type { LocalDownload } from "./records";

// How often a position watched offline is kept for sending back, as heartbeats would be.
const REPORT_SECONDS = 5;

export function OfflinePlayer({ record, onClose }: { record: LocalDownload; onClose: () => void }) {
  const video = useRef<HTMLVideoElement>(null);
  const [problem, setProblem] = useState<string | null>(
    isExpired(record) ? "This download has expired. Go online to renew it." : null,
  );

  useEffect(() => {
    const element = video.current;
    if (!element || problem || !record.offlineUri) return;
    shaka.polyfill.installAll();
    const player = new shaka.Player();
    let lastReport = 0;
    let lastTime = element.currentTime;
    const keep = (force: boolean) => {
      const now = element.currentTime;
      if (!force && Math.abs(now - lastReport) < REPORT_SECONDS) return;
      watched(record.id, now, Math.max(0, now - lastTime));
      lastReport = lastTime = now;
    };
    const onTime = () => keep(false);
    const onPause = () => keep(true);
    element.addEventListener("timeupdate", onTime);
    element.addEventListener("pause", onPause);
    if (!record.playedAt) update(record.id, { playedAt: new Date().toISOString() });
    void (async () => {
      try {
        await player.attach(element);
        player.configure({ drm: { clearKeys: clearKeys(record.keys) } });
        await player.load(record.offlineUri!, record.position > 0 ? record.position : null);
        await element.play().catch(() => undefined);
      } catch (err) {
        setProblem(`This download could not play (${(err as shaka.util.Error).code ?? String(err)}).`);
      }
    })();
    return () => {
      element.removeEventListener("timeupdate", onTime);
      element.removeEventListener("pause", onPause);
      if (localStore.get()[record.id] && element.currentTime > 0) keep(true);
      void player.destroy();
    };
  }, [record.id]);

  const name = record.episodeTitle ? `${record.title}: ${record.episodeTitle}` : record.title;
  return (
    <section class="offline-player" aria-label={`Playing ${name}`}>
      <div class="row-head">
        <h2>{name}</h2>
        <button class="btn" type="button" onClick={onClose}>
          Close
        </button>
      </div>
      <ErrorNote message={problem} />
      {!problem && <video ref={video} class="offline-video" controls playsInline data-download-id={record.id} />}
    </section>
  );
}
