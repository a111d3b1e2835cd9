// Screens over the video: a playback problem, skip intro, and the next-episode countdown.
import { useEffect, useState } from "preact/hooks";
import { problemScreen } from "./problems";
import type { Problem } from "./problems";
import type { NextEpisode } from "./session";

export function ProblemView({ problem }: { problem: Problem }) {
  const screen = problemScreen(problem);
  return (
    <section class="player-problem" role="alert" aria-labelledby="player-problem-heading" data-problem={problem.type}>
      <h1 id="player-problem-heading">{screen.heading}</h1>
      <p>{screen.message}</p>
      {screen.action && (
        <a class="btn btn-primary" href={screen.action.href}>
          {screen.action.label}
        </a>
      )}
    </section>
  );
}

export function SkipIntro({ onSkip }: { onSkip(): void }) {
  return (
    <button type="button" class="btn skip-intro" onClick={onSkip}>
      Skip intro
    </button>
  );
}

const COUNTDOWN_SECONDS = 10;

interface CountdownProps {
  next: NextEpisode;
  /** The count holds while the video is paused: a paused viewer is not sent on. */
  running: boolean;
  onPlay(): void;
  onCancel(): void;
}

export function NextEpisodeCountdown({ next, running, onPlay, onCancel }: CountdownProps) {
  const [left, setLeft] = useState(COUNTDOWN_SECONDS);
  useEffect(() => {
    if (left <= 0) {
      onPlay();
      return;
    }
    if (!running) return;
    const timer = window.setTimeout(() => setLeft((n) => n - 1), 1000);
    return () => window.clearTimeout(timer);
  }, [left, running]);
  return (
    <aside class="next-episode" aria-label="Next episode">
      <p class="next-episode-label">
        Next: S{next.season} E{next.number} · {next.title}
      </p>
      <p class="next-episode-count" aria-live="polite">
        {running ? `Playing in ${left} s` : "Paused"}
      </p>
      <div class="btn-row">
        <button type="button" class="btn btn-primary" onClick={onPlay}>
          Play now
        </button>
        <button type="button" class="btn" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </aside>
  );
}
