// The player: video, controls, track menus, trickplay, skip intro, next episode and shortcuts.
import { useEffect, useRef, useState } from "preact/hooks";
import type { ProfileRead } from "../api";
import { profileStore } from "../state";
import { actionForKey } from "./keyboard";
import type { PlayerAction } from "./keyboard";
import { Controls } from "./Controls";
import { NextEpisodeCountdown, SkipIntro } from "./Overlays";
import { rememberTracks } from "./session";
import type { PlaybackSession } from "./session";
import { loadTrickplay } from "./trickplay";
import type { TrickplayCue } from "./trickplay";
import { usePlayback } from "./usePlayback";
import { Icon } from "./icons";
import type { Engine } from "./engine";
import "./player.css";

interface Props {
  session: PlaybackSession;
  profile: ProfileRead;
  heading: string;
  backHref: string;
  onNextEpisode(episodeId: string): void;
}

const HIDE_CONTROLS_MS = 3000;
// Without a credits marker the countdown starts this long before the end.
const COUNTDOWN_LEAD_SECONDS = 15;

function useTrickplay(url: string | null): TrickplayCue[] {
  const [cues, setCues] = useState<TrickplayCue[]>([]);
  useEffect(() => {
    if (!url) return;
    loadTrickplay(url).then(setCues, () => setCues([]));
  }, [url]);
  return cues;
}

function useIdle(active: boolean): [boolean, () => void] {
  const [idle, setIdle] = useState(false);
  const timer = useRef(0);
  const wake = () => {
    setIdle(false);
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => setIdle(true), HIDE_CONTROLS_MS);
  };
  useEffect(() => () => window.clearTimeout(timer.current), []);
  return [active && idle, wake];
}

function useFullscreen(): boolean {
  const [on, setOn] = useState(Boolean(document.fullscreenElement));
  useEffect(() => {
    const update = () => setOn(Boolean(document.fullscreenElement));
    document.addEventListener("fullscreenchange", update);
    return () => document.removeEventListener("fullscreenchange", update);
  }, []);
  return on;
}

function saveChoice(profile: ProfileRead, change: Partial<ProfileRead>): void {
  rememberTracks(profile.id, change).then(
    (saved) => profileStore.get()?.id === saved.id && profileStore.set(saved),
    () => undefined,
  );
}

function perform(action: PlayerAction, video: HTMLVideoElement, frame: HTMLElement, engine: Engine | null, profile: ProfileRead) {
  switch (action.kind) {
    case "toggle-play":
      if (video.paused) void video.play().catch(() => undefined);
      else video.pause();
      return;
    case "seek-by":
      video.currentTime = Math.max(0, Math.min(video.duration || 0, video.currentTime + action.seconds));
      return;
    case "fullscreen":
      if (document.fullscreenElement) void document.exitFullscreen().catch(() => undefined);
      else void frame.requestFullscreen?.().catch(() => undefined);
      return;
    case "mute":
      video.muted = !video.muted;
      return;
    case "captions": {
      if (!engine) return;
      const on = engine.activeText() !== null;
      const first = engine.textTracks().find((t) => t.language === (profile.subtitle_language ?? profile.language)) ?? engine.textTracks()[0];
      if (!on && !first) return;
      engine.setText(on ? null : first.id);
      saveChoice(profile, on ? { subtitles_enabled: false } : { subtitles_enabled: true, subtitle_language: first.language });
    }
  }
}

export function Player({ session, profile, heading, backHref, onNextEpisode }: Props) {
  const frame = useRef<HTMLDivElement>(null);
  const [video, setVideo] = useState<HTMLVideoElement | null>(null);
  const { state, engine } = usePlayback(video, session, profile);
  const cues = useTrickplay(session.trickplay_url);
  const [idle, wake] = useIdle(state.playing);
  const [countdownDismissed, setCountdownDismissed] = useState(false);
  const [, refresh] = useState(0);
  const fullscreen = useFullscreen();

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const action = actionForKey(event);
      if (!action) return;
      event.preventDefault();
      wake();
      act(action);
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [video, engine, profile]);

  const { intro_start, intro_end, credits_start } = session.markers;
  const inIntro = intro_end != null && state.current >= (intro_start ?? 0) && state.current < intro_end;
  const countdownAt = credits_start ?? state.duration - COUNTDOWN_LEAD_SECONDS;
  const showCountdown = session.next_episode !== null && !countdownDismissed && state.ready && state.current >= countdownAt;
  const act = (action: PlayerAction) => {
    if (video && frame.current) perform(action, video, frame.current, engine, profile);
    refresh((n) => n + 1);
  };
  const seek = (time: number) => {
    if (video) video.currentTime = time;
  };

  return (
    <div
      class={`player${idle ? " player-idle" : ""}`}
      ref={frame}
      data-ready={state.ready ? "true" : "false"}
      data-height={state.height || undefined}
      onPointerMove={wake}
      onFocusCapture={wake}
    >
      <video
        ref={setVideo}
        class="player-video"
        playsInline
        aria-label={heading}
        onClick={() => act({ kind: "toggle-play" })}
      />
      {state.buffering && !state.error && <div class="player-spinner" role="status" aria-label="Loading video" />}
      {state.error && (
        <p class="player-error" role="alert">
          {state.error}
        </p>
      )}
      {inIntro && <SkipIntro onSkip={() => seek(intro_end!)} />}
      {showCountdown && session.next_episode && (
        <NextEpisodeCountdown
          next={session.next_episode}
          running={state.playing}
          onPlay={() => onNextEpisode(session.next_episode!.episode_id)}
          onCancel={() => setCountdownDismissed(true)}
        />
      )}
      <div class="player-top">
        <a class="player-back" href={backHref} aria-label="Back">
          <Icon name="arrowBack" />
        </a>
        <h1 class="player-heading">{heading}</h1>
      </div>
      <Controls
        state={state}
        engine={engine}
        session={session}
        cues={cues}
        fullscreen={fullscreen}
        act={act}
        onSeek={seek}
        onChoice={(change) => {
          saveChoice(profile, change);
          refresh((n) => n + 1);
        }}
      />
    </div>
  );
}
