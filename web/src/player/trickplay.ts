// Trickplay previews: the WebVTT thumbnails track (`sprite.jpg#xywh=x,y,w,h`) parsed into cues.

export interface TrickplayCue {
  start: number;
  end: number;
  url: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

const TIMING = /^\s*(\S+)\s+-->\s+(\S+)/;
const XYWH = /#xywh=(\d+),(\d+),(\d+),(\d+)$/;

/** Seconds from a WebVTT timestamp: `hh:mm:ss.ttt` or `mm:ss.ttt`. */
export function parseTimestamp(text: string): number {
  const parts = text.split(":").map(Number);
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => Number.isNaN(p))) {
    throw new Error(`bad WebVTT timestamp: ${text}`);
  }
  return parts.reduce((total, part) => total * 60 + part, 0);
}

/** Cues of a thumbnails track; sprite URLs resolve against the track's own URL. */
export function parseThumbnailsVtt(text: string, baseUrl: string): TrickplayCue[] {
  const cues: TrickplayCue[] = [];
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const timing = TIMING.exec(lines[i]);
    if (!timing) continue;
    const target = (lines[i + 1] ?? "").trim();
    const box = XYWH.exec(target);
    if (!box) continue;
    cues.push({
      start: parseTimestamp(timing[1]),
      end: parseTimestamp(timing[2]),
      url: new URL(target.slice(0, box.index), baseUrl).toString(),
      x: Number(box[1]),
      y: Number(box[2]),
      w: Number(box[3]),
      h: Number(box[4]),
    });
    i++;
  }
  return cues;
}

/** The cue showing `time`, or the nearest one before it (cues are in time order). */
export function cueAt(cues: TrickplayCue[], time: number): TrickplayCue | null {
  let lo = 0;
  let hi = cues.length - 1;
  let found: TrickplayCue | null = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cues[mid].start <= time) {
      found = cues[mid];
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found ?? cues[0] ?? null;
}

export async function loadTrickplay(url: string): Promise<TrickplayCue[]> {
  const response = await fetch(url);
  if (!response.ok) return [];
  return parseThumbnailsVtt(await response.text(), response.url || url);
}
