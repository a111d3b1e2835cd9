// A series' episodes for one season, each with its own progress; a season picker when there are several.
import type { TitleDetail, WatchPosition } from "../../api";
import { ProgressBar } from "../../components/Poster";
import { DownloadButton } from "../../downloads/DownloadButton";
import { profileStore, useStore } from "../../state";

interface Props {
  title: TitleDetail;
  season: number;
  onSeason: (n: number) => void;
  positions: WatchPosition[];
}

function progressOf(positions: WatchPosition[], episodeId: string): number | null {
  const p = positions.find((x) => x.episode_id === episodeId);
  if (!p || p.duration <= 0) return null;
  return p.completed ? 1 : p.position / p.duration;
}

export function Episodes({ title, season, onSeason, positions }: Props) {
  const profile = useStore(profileStore);
  const current = title.seasons.find((s) => s.number === season) ?? title.seasons[0];
  if (!current) return null;
  return (
    <section class="page episodes-section" aria-labelledby="episodes-heading">
      <div class="row-head episodes-head">
        <h2 id="episodes-heading">Episodes</h2>
        {title.seasons.length > 1 ? (
          <label class="season-pick">
            <span class="sr-only">Season</span>
            <select value={String(current.number)} onChange={(e) => onSeason(Number(e.currentTarget.value))}>
              {title.seasons.map((s) => (
                <option value={String(s.number)}>{s.name || `Season ${s.number}`}</option>
              ))}
            </select>
          </label>
        ) : (
          <span class="row-reason">{current.name || `Season ${current.number}`}</span>
        )}
      </div>
      <ol class="episodes">
        {current.episodes.map((e) => {
          const progress = progressOf(positions, e.id);
          return (
            <li>
              <a class="episode" href={`/watch/${title.id}/${e.id}`} data-episode-id={e.id}>
                <span class="episode-num" aria-hidden="true">
                  {e.number}
                </span>
                <span>
                  <strong>
                    <span class="sr-only">Episode {e.number}: </span>
                    {e.name}
                  </strong>
                  {e.synopsis && <p>{e.synopsis}</p>}
                  {progress !== null && <ProgressBar value={progress} label={progress >= 1 ? "Watched" : `${Math.round(progress * 100)}% watched`} />}
                </span>
                <span class="hint">{e.runtime_minutes ? `${e.runtime_minutes} min` : ""}</span>
              </a>
              {profile && <DownloadButton profileId={profile.id} target={{ episode_id: e.id }} label={e.name} />}
            </li>
          );
        })}
      </ol>
    </section>
  );
}
