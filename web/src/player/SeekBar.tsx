// The seek bar: played and buffered ranges, and a trickplay preview under the pointer.
import { useRef, useState } from "preact/hooks";
import { formatTime } from "./keyboard";
import { cueAt } from "./trickplay";
import type { TrickplayCue } from "./trickplay";

interface Props {
  current: number;
  duration: number;
  buffered: number;
  cues: TrickplayCue[];
  onSeek(time: number): void;
}

interface Hover {
  time: number;
  left: number;
}

export function SeekBar({ current, duration, buffered, cues, onSeek }: Props) {
  const bar = useRef<HTMLDivElement>(null);
  const [hover, setHover] = useState<Hover | null>(null);

  const timeAt = (clientX: number): Hover | null => {
    const box = bar.current?.getBoundingClientRect();
    if (!box || box.width === 0 || duration <= 0) return null;
    const fraction = Math.min(1, Math.max(0, (clientX - box.left) / box.width));
    return { time: fraction * duration, left: fraction * box.width };
  };

  const percent = (value: number) => `${duration > 0 ? Math.min(100, (value / duration) * 100) : 0}%`;
  const cue = hover ? cueAt(cues, hover.time) : null;

  return (
    <div
      class="seekbar"
      ref={bar}
      role="slider"
      tabIndex={0}
      aria-label="Seek"
      aria-valuemin={0}
      aria-valuemax={Math.round(duration)}
      aria-valuenow={Math.round(current)}
      aria-valuetext={`${formatTime(current)} of ${formatTime(duration)}`}
      onPointerMove={(e) => setHover(timeAt(e.clientX))}
      onPointerLeave={() => setHover(null)}
      onClick={(e) => {
        const at = timeAt(e.clientX);
        if (at) onSeek(at.time);
      }}
    >
      <div class="seekbar-track">
        <div class="seekbar-buffered" style={{ width: percent(buffered) }} />
        <div class="seekbar-played" style={{ width: percent(current) }} />
        <div class="seekbar-thumb" style={{ left: percent(current) }} />
      </div>
      {hover && (
        <div class="seek-preview" style={{ left: `${hover.left}px` }} aria-hidden="true">
          {cue && (
            <div
              class="trickplay-thumb"
              data-time={Math.round(hover.time)}
              style={{
                width: `${cue.w}px`,
                height: `${cue.h}px`,
                backgroundImage: `url("${cue.url}")`,
                backgroundPosition: `-${cue.x}px -${cue.y}px`,
              }}
            />
          )}
          <span class="seek-preview-time">{formatTime(hover.time)}</span>
        </div>
      )}
    </div>
  );
}
