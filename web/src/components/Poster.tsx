// Title artwork: the real poster when ingest made one, else a generated gradient poster with the name.
import { useState } from "preact/hooks";

function hash(text: string): number {
  let h = 2166136261;
  for (const ch of text) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return h;
}

/** Two dark-enough hues per title so white text keeps AA contrast on every generated poster. */
export function posterGradient(seed: string): string {
  const h = hash(seed);
  const hue = h % 360;
  const hue2 = (hue + 35 + ((h >>> 9) % 90)) % 360;
  const angle = 135 + ((h >>> 17) % 90);
  return `linear-gradient(${angle}deg, hsl(${hue} 62% 34%) 0%, hsl(${hue2} 58% 20%) 60%, hsl(${hue2} 40% 9%) 100%)`;
}

interface PosterProps {
  name: string;
  poster: string | null | undefined;
  year?: number | null;
  id: string;
}

/** Only URLs load as images; anything else (e.g. a bare storage key) gets the generated poster. */
export function posterUrl(poster: string | null | undefined): string | null {
  if (!poster) return null;
  return /^(https?:\/\/|\/(?!\/))/.test(poster) ? poster : null;
}

export function Poster({ name, poster, year, id }: PosterProps) {
  const [failed, setFailed] = useState(false);
  const url = posterUrl(poster);
  if (url && !failed) {
    return (
      <span class="poster">
        <img src={url} alt="" loading="lazy" decoding="async" onError={() => setFailed(true)} />
      </span>
    );
  }
  return (
    <span class="poster poster-generated" style={{ background: posterGradient(id + name) }} aria-hidden="true">
      <span class="poster-mark">M</span>
      <span class="poster-title">{name}</span>
      {year ? <span class="poster-year">{year}</span> : null}
    </span>
  );
}

export function ProgressBar({ value, label }: { value: number; label?: string }) {
  const pct = Math.round(Math.min(1, Math.max(0, value)) * 100);
  return (
    <span class="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-label={label ?? `${pct}% watched`}>
      <span style={{ width: `${pct}%` }} />
    </span>
  );
}
