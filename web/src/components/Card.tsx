// One title card in a row or grid: artwork, name, optional rank and progress.
import { Poster, ProgressBar, posterUrl } from "./Poster";

export interface CardTitle {
  id: string;
  name: string;
  poster: string | null;
  release_year: number | null;
  progress?: number | null;
}

export function TitleCard({ title, rank, href }: { title: CardTitle; rank?: number; href?: string }) {
  const progress = title.progress ?? null;
  // The visible name is the link's name; year and progress follow for screen readers only.
  const extra = [title.release_year ? String(title.release_year) : "", progress !== null ? `${Math.round(progress * 100)}% watched` : ""].filter(Boolean);
  return (
    <a class="card" href={href ?? `/title/${title.id}`} data-title-id={title.id}>
      <Poster id={title.id} name={title.name} poster={title.poster} year={title.release_year} />
      {progress !== null && <ProgressBar value={progress} />}
      {rank ? (
        <span class="rank-badge" aria-hidden="true">
          {rank}
        </span>
      ) : null}
      {/* A generated poster already shows the name; the caption is then for screen readers only. */}
      <span class={posterUrl(title.poster) ? "card-name" : "sr-only"}>
        {rank ? <span class="sr-only">Number {rank}: </span> : null}
        {title.name}
        {extra.length > 0 && <span class="sr-only">, {extra.join(", ")}</span>}
      </span>
    </a>
  );
}
