// A title's page: synopsis, cast, Play/Resume, My List, thumbs, and seasons with episode progress.
import { useState } from "preact/hooks";
import { useDocumentTitle } from "../../components/title";
import { catalog, playback } from "../../api";
import type { TitleDetail, WatchPosition } from "../../api";
import { useAsync } from "../../components/async";
import { Poster, posterGradient, posterUrl } from "../../components/Poster";
import { ErrorNote, Loading } from "../../components/Status";
import type { PageProps } from "../../router";
import { profileStore, useStore } from "../../state";
import { Episodes } from "./Episodes";
import { MoreLikeThis } from "./MoreLikeThis";
import { TitleActions } from "./TitleActions";
import { DownloadButton } from "../../downloads/DownloadButton";

export interface PlayTarget {
  href: string;
  label: string;
  progress: number | null;
}

function fraction(p: WatchPosition | undefined): number | null {
  if (!p || p.completed || p.duration <= 0 || p.position <= 0) return null;
  return Math.min(1, p.position / p.duration);
}

/** Movies resume themselves; series resume the newest unfinished episode, else start at the first. */
export function playTarget(title: TitleDetail, positions: WatchPosition[]): PlayTarget {
  if (title.kind === "movie") {
    const progress = fraction(positions.find((p) => !p.episode_id));
    return { href: `/watch/${title.id}`, label: progress ? "Resume" : "Play", progress };
  }
  const episodes = title.seasons.flatMap((s) => s.episodes.map((e) => ({ season: s.number, episode: e })));
  const newest = [...positions].filter((p) => p.episode_id).sort((a, b) => b.updated_at.localeCompare(a.updated_at))[0];
  const resumed = newest && episodes.find((e) => e.episode.id === newest.episode_id);
  if (resumed) {
    const progress = fraction(newest);
    const index = episodes.indexOf(resumed);
    const next = !progress && newest.completed ? episodes[index + 1] : undefined;
    const chosen = next ?? resumed;
    const label = `${progress ? "Resume" : "Play"} S${chosen.season}:E${chosen.episode.number}`;
    return { href: `/watch/${title.id}/${chosen.episode.id}`, label, progress: next ? null : progress };
  }
  const first = episodes[0];
  if (!first) return { href: `/watch/${title.id}`, label: "Play", progress: null };
  return { href: `/watch/${title.id}/${first.episode.id}`, label: `Play S${first.season}:E${first.episode.number}`, progress: null };
}

function Credits({ title }: { title: TitleDetail }) {
  const cast = title.credits.filter((c) => c.role === "cast").map((c) => c.person.name);
  const directors = title.credits.filter((c) => c.role === "director").map((c) => c.person.name);
  const writers = title.credits.filter((c) => c.role === "writer").map((c) => c.person.name);
  if (!cast.length && !directors.length && !writers.length) return null;
  return (
    <div class="credits">
      {cast.length > 0 && (
        <p>
          <strong>Starring:</strong> {cast.join(", ")}
        </p>
      )}
      {directors.length > 0 && (
        <p>
          <strong>Director:</strong> {directors.join(", ")}
        </p>
      )}
      {writers.length > 0 && (
        <p>
          <strong>Writer:</strong> {writers.join(", ")}
        </p>
      )}
    </div>
  );
}

function Meta({ title }: { title: TitleDetail }) {
  const seasons = title.seasons.length;
  return (
    <div class="meta">
      {title.release_year && <span>{title.release_year}</span>}
      <span class="rating-badge" aria-label={`Rated ${title.maturity_rating}`}>
        {title.maturity_rating}
      </span>
      {title.kind === "movie" && title.runtime_minutes ? <span>{formatRuntime(title.runtime_minutes)}</span> : null}
      {title.kind === "series" && seasons > 0 && <span>{seasons === 1 ? "1 season" : `${seasons} seasons`}</span>}
      {title.genres.length > 0 && <span>{title.genres.map((g) => g.name).join(" · ")}</span>}
      {title.original_language && title.original_language !== "en" && <span>{title.original_language.toUpperCase()}</span>}
    </div>
  );
}

function formatRuntime(minutes: number): string {
  const h = Math.floor(minutes / 60);
  return h ? `${h} h ${minutes % 60} min` : `${minutes} min`;
}

async function loadTitle(profileId: string, titleId: string) {
  const [title, positions] = await Promise.all([
    catalog.title(profileId, titleId),
    playback.positions(profileId, titleId).then(
      (r) => r.items,
      () => [] as WatchPosition[],
    ),
  ]);
  return { title, positions };
}

export default function Title({ params }: PageProps) {
  const profile = useStore(profileStore)!;
  const data = useAsync(() => loadTitle(profile.id, params.id), [profile.id, params.id]);
  const [season, setSeason] = useState<number | null>(null);
  useDocumentTitle(data.data?.title.name ?? (data.error ? "Title unavailable" : null));
  if (data.loading && !data.data) return <Loading label="Loading title" />;
  if (!data.data) {
    return (
      <section class="page narrow">
        <h1>Title unavailable</h1>
        <ErrorNote message={data.error} />
        <p>
          <a href="/">Back to home</a>
        </p>
      </section>
    );
  }
  const { title, positions } = data.data;
  const target = playTarget(title, positions);
  const art = posterUrl(title.backdrop);
  const backdrop = art ? { backgroundImage: `url(${JSON.stringify(art)})` } : { background: posterGradient(title.id + title.name) };
  const shownSeason = season ?? title.seasons[0]?.number ?? null;
  return (
    <article class="title-page">
      <section class="hero title-hero" style={backdrop} aria-labelledby="title-name">
        <div class="title-layout">
          <Poster id={title.id} name={title.name} poster={title.poster} year={title.release_year} />
          <div>
            <h1 id="title-name">{title.name}</h1>
            <Meta title={title} />
            <TitleActions profileId={profile.id} titleId={title.id} target={target} />
            {title.kind !== "series" && <DownloadButton profileId={profile.id} target={{ title_id: title.id }} label={title.name} />}
            <p class="synopsis">{title.synopsis}</p>
            <Credits title={title} />
          </div>
        </div>
      </section>
      {title.kind === "series" && shownSeason !== null && (
        <Episodes title={title} season={shownSeason} onSeason={setSeason} positions={positions} />
      )}
      <MoreLikeThis profileId={profile.id} title={title} />
    </article>
  );
}
