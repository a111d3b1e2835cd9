// The life of one playback: engine, media state, heartbeats, QoE, and the stop when it ends.
import { useEffect, useRef, useState } from "preact/hooks";
import { Engine } from "./engine";
import { QoeTracker } from "./qoe";
import { isSessionEnded, sendHeartbeat, sendQoe, stopSession } from "./session";
import type { HeartbeatAnswer, PlaybackSession, PlayState } from "./session";
import type { ProfileRead } from "../api";

export interface MediaState {
  ready: boolean;
  playing: boolean;
  buffering: boolean;
  current: number;
  duration: number;
  buffered: number;
  muted: boolean;
  height: number;
  tracksVersion: number;
  error: string | null;
}

// QoE beacons go out this often during playback, and once more when it ends.
const QOE_EVERY_MS = 5 * 60 * 1000;

const INITIAL: MediaState = {
  ready: false,
  playing: false,
  buffering: true,
  current: 0,
  duration: 0,
  buffered: 0,
  muted: false,
  height: 0,
  tracksVersion: 0,
  error: null,
};

function bufferedEnd(video: HTMLVideoElement): number {
  const ranges = video.buffered;
  for (let i = 0; i < ranges.length; i++) {
    if (ranges.start(i) <= video.currentTime + 0.5 && video.currentTime <= ranges.end(i)) return ranges.end(i);
  }
  return video.currentTime;
}

function playState(video: HTMLVideoElement, buffering: boolean): PlayState {
  if (video.seeking) return "seeking";
  if (buffering) return "buffering";
  return video.paused ? "paused" : "playing";
}

export interface Playback {
  state: MediaState;
  engine: Engine | null;
}

export function usePlayback(
  video: HTMLVideoElement | null,
  session: PlaybackSession,
  profile: ProfileRead,
): Playback {
  const [state, setState] = useState<MediaState>({ ...INITIAL, duration: session.duration });
  const engineRef = useRef<Engine | null>(null);
  const patch = (change: Partial<MediaState>) => setState((s) => ({ ...s, ...change }));

  useEffect(() => {
    if (!video) return;
    const qoe = new QoeTracker();
    const bufferingRef = { current: true };
    const engine = new Engine(video, {
      onBuffering(buffering) {
        bufferingRef.current = buffering;
        if (buffering) qoe.stalled();
        else if (!video.paused) qoe.playing();
        patch({ buffering });
      },
      onRendition(height, kbps) {
        qoe.switched(`${height}p`, kbps);
        patch({ height });
      },
      onTracksChanged: () => setState((s) => ({ ...s, tracksVersion: s.tracksVersion + 1 })),
      onError(message, fatal) {
        qoe.error();
        if (fatal) patch({ error: message });
      },
    });
    engineRef.current = engine;
    const detachMedia = watchMedia(video, qoe, patch);
    const beats = startHeartbeats(session, video, qoe, bufferingRef, {
      onRenewed: (renewal) => engine.renew(renewal),
      onEnded() {
        // The server ended this session (stopped elsewhere, or its stream slot lapsed).
        video.pause();
        patch({ error: "Playback stopped: this stream was ended on the server. Start it again to continue." });
      },
    });
    const beacons = window.setInterval(() => sendQoe(session, profile.id, qoe.take()), QOE_EVERY_MS);
    engine
      .load(session, {
        audioLanguage: profile.audio_language ?? profile.language,
        textLanguage: profile.subtitle_language ?? profile.language,
      })
      .then(() => {
        applySubtitles(engine, profile);
        patch({ ready: true, duration: video.duration || session.duration });
        return video.play().catch(() => patch({ playing: false }));
      })
      .catch(() => undefined);

    let ended = false;
    const finish = () => {
      if (ended) return;
      ended = true;
      beats.stop();
      window.clearInterval(beacons);
      stopSession(session.session_id, video.currentTime || session.start_position);
      sendQoe(session, profile.id, qoe.take());
    };
    window.addEventListener("pagehide", finish);
    return () => {
      window.removeEventListener("pagehide", finish);
      finish();
      detachMedia();
      engineRef.current = null;
      void engine.destroy();
    };
  }, [video, session.session_id]);

  return { state, engine: engineRef.current };
}

/** Subtitles on or off as the profile last chose, in its language when there is such a track. */
function applySubtitles(engine: Engine, profile: ProfileRead): void {
  const tracks = engine.textTracks();
  if (!profile.subtitles_enabled || tracks.length === 0) {
    engine.setText(null);
    return;
  }
  const wanted = profile.subtitle_language ?? profile.language;
  const track = tracks.find((t) => t.language === wanted) ?? tracks.find((t) => t.language.startsWith(wanted)) ?? tracks[0];
  engine.setText(track.id);
}

function watchMedia(
  video: HTMLVideoElement,
  qoe: QoeTracker,
  patch: (change: Partial<MediaState>) => void,
): () => void {
  const handlers: Record<string, () => void> = {
    playing: () => {
      qoe.firstFrame();
      qoe.playing();
      patch({ playing: true, buffering: false });
    },
    pause: () => {
      qoe.paused();
      patch({ playing: false });
    },
    timeupdate: () => patch({ current: video.currentTime, buffered: bufferedEnd(video) }),
    progress: () => patch({ buffered: bufferedEnd(video) }),
    durationchange: () => Number.isFinite(video.duration) && patch({ duration: video.duration }),
    volumechange: () => patch({ muted: video.muted }),
    seeked: () => patch({ current: video.currentTime }),
  };
  for (const [name, handler] of Object.entries(handlers)) video.addEventListener(name, handler);
  return () => {
    for (const [name, handler] of Object.entries(handlers)) video.removeEventListener(name, handler);
  };
}

function startHeartbeats(
  session: PlaybackSession,
  video: HTMLVideoElement,
  qoe: QoeTracker,
  buffering: { current: boolean },
  on: { onRenewed(renewal: HeartbeatAnswer): void; onEnded(): void },
): { stop(): void } {
  let timer = 0;
  let stopped = false;
  const beat = async () => {
    if (stopped) return;
    let next = session.heartbeat_seconds;
    try {
      const answer = await sendHeartbeat(session.session_id, {
        position: Math.min(video.currentTime, session.duration),
        rendition: qoe.rendition || undefined,
        buffer_seconds: Math.max(0, bufferedEnd(video) - video.currentTime),
        state: playState(video, buffering.current),
      });
      next = answer.next_heartbeat_seconds || next;
      // Each beat brings the media links' next token (the old one lapses within a minute),
      // the licence URL's, and the plan's ceiling as it is now.
      on.onRenewed(answer);
    } catch (err) {
      // An ended session takes no more beats; other failures are retried on the next beat.
      if (isSessionEnded(err)) {
        stopped = true;
        on.onEnded();
      }
    }
    if (!stopped) timer = window.setTimeout(beat, next * 1000);
  };
  timer = window.setTimeout(beat, session.heartbeat_seconds * 1000);
  return {
    stop() {
      stopped = true;
      window.clearTimeout(timer);
    },
  };
}
