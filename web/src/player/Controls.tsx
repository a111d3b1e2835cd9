// The control bar: seek bar with trickplay, transport buttons, time, track menus, full screen.
import { useState } from "preact/hooks";
import type { ProfileRead } from "../api";
import type { Engine } from "./engine";
import { Icon } from "./icons";
import type { IconName } from "./icons";
import { formatTime } from "./keyboard";
import type { PlayerAction } from "./keyboard";
import { TrackMenus } from "./Menus";
import { SeekBar } from "./SeekBar";
import type { PlaybackSession } from "./session";
import type { TrickplayCue } from "./trickplay";
import type { MediaState } from "./usePlayback";

interface Props {
  state: MediaState;
  engine: Engine | null;
  session: PlaybackSession;
  cues: TrickplayCue[];
  fullscreen: boolean;
  act(action: PlayerAction): void;
  onSeek(time: number): void;
  /** A track choice to keep on the profile. */
  onChoice(change: Partial<ProfileRead>): void;
}

function ControlButton({ label, icon, onClick }: { label: string; icon: IconName; onClick(): void }) {
  return (
    <button type="button" class="player-btn" aria-label={label} title={label} onClick={onClick}>
      <Icon name={icon} />
    </button>
  );
}

export function Controls({ state, engine, session, cues, fullscreen, act, onSeek, onChoice }: Props) {
  const [, refresh] = useState(0);
  const onText = (id: number | null) => {
    if (!engine) return;
    engine.setText(id);
    const track = engine.textTracks().find((t) => t.id === id);
    onChoice(track ? { subtitles_enabled: true, subtitle_language: track.language } : { subtitles_enabled: false });
  };
  return (
    <div class="player-controls">
      <SeekBar current={state.current} duration={state.duration} buffered={state.buffered} cues={cues} onSeek={onSeek} />
      <div class="player-buttons">
        <ControlButton label={state.playing ? "Pause" : "Play"} icon={state.playing ? "pause" : "play"} onClick={() => act({ kind: "toggle-play" })} />
        <ControlButton label="Back 10 seconds" icon="back10" onClick={() => act({ kind: "seek-by", seconds: -10 })} />
        <ControlButton label="Forward 10 seconds" icon="forward10" onClick={() => act({ kind: "seek-by", seconds: 10 })} />
        <ControlButton label={state.muted ? "Unmute" : "Mute"} icon={state.muted ? "muted" : "volume"} onClick={() => act({ kind: "mute" })} />
        <span class="player-time" aria-live="off">
          {formatTime(state.current)} / {formatTime(state.duration)}
        </span>
        <span class="player-spacer" />
        {engine && state.ready && (
          <TrackMenus
            key={state.tracksVersion}
            engine={engine}
            maxHeight={session.max_height}
            onQuality={(height) => {
              engine.setQuality(height);
              refresh((n) => n + 1);
            }}
            onAudio={(language) => {
              engine.setAudioLanguage(language);
              onChoice({ audio_language: language });
            }}
            onText={onText}
          />
        )}
        <ControlButton label="Full screen" icon={fullscreen ? "exitFullscreen" : "fullscreen"} onClick={() => act({ kind: "fullscreen" })} />
      </div>
    </div>
  );
}
