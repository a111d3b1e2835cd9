// Player keyboard shortcuts: space, arrows, f, m and c, as on every streaming service.

export type PlayerAction =
  | { kind: "toggle-play" }
  | { kind: "seek-by"; seconds: number }
  | { kind: "fullscreen" }
  | { kind: "mute" }
  | { kind: "captions" };

const SEEK_STEP = 10;

/** The action a key stands for, or null when the key belongs to someone else. */
export function actionForKey(event: KeyboardEvent): PlayerAction | null {
  if (event.ctrlKey || event.metaKey || event.altKey) return null;
  const target = event.target as HTMLElement | null;
  // Form controls keep their own keys (a focused menu uses arrows to pick an option).
  if (target && /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName)) return null;
  switch (event.key) {
    case " ":
    case "k":
      // A focused button already toggles on space; acting twice would cancel out.
      if (target?.tagName === "BUTTON" && event.key === " ") return null;
      return { kind: "toggle-play" };
    case "ArrowLeft":
      return { kind: "seek-by", seconds: -SEEK_STEP };
    case "ArrowRight":
      return { kind: "seek-by", seconds: SEEK_STEP };
    case "f":
    case "F":
      return { kind: "fullscreen" };
    case "m":
    case "M":
      return { kind: "mute" };
    case "c":
    case "C":
      return { kind: "captions" };
    default:
      return null;
  }
}

export function formatTime(seconds: number): string {
  const total = Math.max(0, Math.floor(Number.isFinite(seconds) ? seconds : 0));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}
