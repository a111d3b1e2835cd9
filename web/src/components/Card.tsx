// One title card in a row or grid: artwork, name, optional rank and progress.
import { Poster, ProgressBar } from "./Poster";

export interface CardTitle {
  id: string;
  name: string;
  poster: string | null;
  release_year: number | null;
  progress?: number | null;
}

export function TitleCard({ title, rank, href }: { title: CardTitle; rank?: number; href?: string }) {
  const progress = title.progress ?? null;
  const label = [rank ? `Number ${rank}:` : "", title.name, title.release_year ? `(${title.release_year})` : "", progress !== null ? `, ${Math.round(progress * 100)}% watched` : ""]
    .filter(Boolean)
    .join(" ");
  return (
    <a class="card" href={href ?? `/title/${title.id}`} aria-label={label} data-title-id={title.id}>
      <Poster id={title.id} name={title.name} poster={title.poster} year={title.release_year} />
      {progress !== null && <ProgressBar value={progress} />}
      <span class="card-name" aria-hidden="true">
        {rank ? <span class="rank">{rank}</span> : null}
        {title.name}
      </span>
    </a>
  );
}
