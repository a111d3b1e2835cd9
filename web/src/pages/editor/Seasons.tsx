// A series' seasons and episodes, with intro and credits markers for the player.
import type { SeasonRead } from "../../api";
import { ErrorNote } from "../../components/Status";
import type { AdminTitle } from "./studioApi";
import { studio } from "./studioApi";
import { formValues, useAction } from "./StudioNav";

interface Props {
  title: AdminTitle;
  onChanged(): void;
}

const seconds = (value: string) => (value === "" ? null : Number(value));

function EpisodeForm({ title, season, onChanged }: Props & { season: SeasonRead }) {
  const action = useAction();
  const next = Math.max(0, ...season.episodes.map((e) => e.number)) + 1;
  const prefix = `ep-${season.number}`;
  const submit = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const v = formValues(form);
    const ok = await action.run(() =>
      studio.addEpisode(title.id, season.number, {
        number: Number(v.number),
        name: v.name,
        intro_start_seconds: seconds(v.intro_start_seconds),
        intro_end_seconds: seconds(v.intro_end_seconds),
        credits_start_seconds: seconds(v.credits_start_seconds),
      }),
    );
    if (ok) {
      form.reset();
      onChanged();
    }
  };
  return (
    <form class="studio-inline" onSubmit={submit} aria-label={`New episode in season ${season.number}`}>
      <div class="field">
        <label for={`${prefix}-num`}>No.</label>
        <input id={`${prefix}-num`} name="number" type="number" min={0} max={10000} required defaultValue={String(next)} class="narrow" />
      </div>
      <div class="field grow">
        <label for={`${prefix}-name`}>Episode name</label>
        <input id={`${prefix}-name`} name="name" required maxLength={300} />
      </div>
      <div class="field">
        <label for={`${prefix}-is`}>Intro from (s)</label>
        <input id={`${prefix}-is`} name="intro_start_seconds" type="number" min={0} class="narrow" />
      </div>
      <div class="field">
        <label for={`${prefix}-ie`}>Intro to (s)</label>
        <input id={`${prefix}-ie`} name="intro_end_seconds" type="number" min={0} class="narrow" />
      </div>
      <div class="field">
        <label for={`${prefix}-cs`}>Credits at (s)</label>
        <input id={`${prefix}-cs`} name="credits_start_seconds" type="number" min={0} class="narrow" />
      </div>
      <button class="btn" type="submit" disabled={action.busy}>
        Add episode
      </button>
      <ErrorNote message={action.error} />
    </form>
  );
}

function Season({ title, season, onChanged }: Props & { season: SeasonRead }) {
  const action = useAction();
  const remove = (work: () => Promise<unknown>) => action.run(work).then((ok) => ok && onChanged());
  return (
    <li class="studio-season">
      <div class="studio-row">
        <h3>
          Season {season.number}
          {season.name ? ` · ${season.name}` : ""}
        </h3>
        <button class="btn btn-ghost" type="button" onClick={() => remove(() => studio.deleteSeason(title.id, season.number))}>
          Delete season {season.number}
        </button>
      </div>
      <ol class="studio-episodes">
        {season.episodes.map((e) => (
          <li key={e.id} class="studio-row">
            <span>
              E{e.number} · {e.name}
              {e.intro_end_seconds !== null && <span class="hint"> · intro to {e.intro_end_seconds}s</span>}
              {e.credits_start_seconds !== null && <span class="hint"> · credits at {e.credits_start_seconds}s</span>}
            </span>
            <span class="btn-row">
              <a class="btn btn-ghost" href={`/studio/upload?title=${title.id}&episode=${e.id}`}>
                Upload E{e.number}
              </a>
              <button class="btn btn-ghost" type="button" onClick={() => remove(() => studio.deleteEpisode(title.id, season.number, e.number))}>
                Delete E{e.number}
              </button>
            </span>
          </li>
        ))}
      </ol>
      <ErrorNote message={action.error} />
      <EpisodeForm title={title} season={season} onChanged={onChanged} />
    </li>
  );
}

export function SeasonsSection({ title, onChanged }: Props) {
  const action = useAction();
  const next = Math.max(0, ...title.seasons.map((s) => s.number)) + 1;
  const addSeason = async (event: Event) => {
    event.preventDefault();
    const v = formValues(event.currentTarget as HTMLFormElement);
    if (await action.run(() => studio.addSeason(title.id, { number: Number(v.number), name: v.name }))) onChanged();
  };
  return (
    <section class="panel" aria-labelledby="seasons-heading">
      <h2 id="seasons-heading">Seasons and episodes</h2>
      <ul class="studio-seasons">
        {title.seasons.map((s) => (
          <Season key={s.id} title={title} season={s} onChanged={onChanged} />
        ))}
      </ul>
      <form class="studio-inline" onSubmit={addSeason} aria-label="New season">
        <div class="field">
          <label for="ns-num">Season no.</label>
          <input id="ns-num" name="number" type="number" min={0} max={10000} required defaultValue={String(next)} class="narrow" />
        </div>
        <div class="field grow">
          <label for="ns-name">Season name (optional)</label>
          <input id="ns-name" name="name" maxLength={300} />
        </div>
        <button class="btn" type="submit" disabled={action.busy}>
          Add season
        </button>
      </form>
      <ErrorNote message={action.error} />
    </section>
  );
}
