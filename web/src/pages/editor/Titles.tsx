// /studio: every title in any state, filtered by state or name, and a form to create one.
import { useState } from "preact/hooks";
import { ErrorNote, Loading } from "../../components/Status";
import { useAsync } from "../../components/async";
import { navigate } from "../../state";
import { studio } from "./studioApi";
import type { PublishState } from "./studioApi";
import { formValues, slugify, StateBadge, StudioPage, useAction } from "./StudioNav";

export const RATINGS = ["TV-Y", "TV-Y7", "G", "TV-G", "PG", "TV-PG", "PG-13", "TV-14", "R", "TV-MA", "NC-17"];
const STATES: PublishState[] = ["draft", "processing", "published", "unpublished"];

function CreateTitle() {
  const action = useAction();
  const [name, setName] = useState("");
  const submit = async (event: Event) => {
    event.preventDefault();
    const v = formValues(event.currentTarget as HTMLFormElement);
    let createdId = "";
    const ok = await action.run(async () => {
      const created = await studio.createTitle({
        kind: v.kind as "movie" | "series",
        name: v.name,
        slug: v.slug || slugify(v.name),
        maturity_rating: v.maturity_rating,
        release_year: v.release_year ? Number(v.release_year) : null,
        synopsis: v.synopsis,
      });
      createdId = created.id;
    });
    if (ok) navigate(`/studio/titles/${createdId}`);
  };
  return (
    <form class="panel studio-form" onSubmit={submit} aria-labelledby="new-title-heading">
      <h2 id="new-title-heading">New title</h2>
      <div class="studio-grid">
        <div class="field">
          <label for="nt-name">Name</label>
          <input id="nt-name" name="name" required maxLength={300} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="nt-slug">Slug</label>
          <input id="nt-slug" name="slug" maxLength={200} pattern="[a-z0-9]+(-[a-z0-9]+)*" placeholder={slugify(name) || "my-title"} />
        </div>
        <div class="field">
          <label for="nt-kind">Kind</label>
          <select id="nt-kind" name="kind">
            <option value="movie">Movie</option>
            <option value="series">Series</option>
          </select>
        </div>
        <div class="field">
          <label for="nt-rating">Maturity rating</label>
          <select id="nt-rating" name="maturity_rating">
            {RATINGS.map((r) => (
              <option key={r} value={r} selected={r === "PG-13"}>
                {r}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="nt-year">Release year</label>
          <input id="nt-year" name="release_year" type="number" min={1870} max={2100} />
        </div>
      </div>
      <div class="field">
        <label for="nt-synopsis">Synopsis</label>
        <textarea id="nt-synopsis" name="synopsis" rows={2} maxLength={5000} />
      </div>
      <ErrorNote message={action.error} />
      <button class="btn btn-accent" type="submit" disabled={action.busy}>
        Create title
      </button>
    </form>
  );
}

export default function TitlesPage() {
  const [state, setState] = useState("");
  const [q, setQ] = useState("");
  const titles = useAsync(() => studio.titles({ state, q }), [state, q]);
  return (
    <StudioPage heading="Catalogue">
      <div class="filters" role="search">
        <div class="field">
          <label for="st-q">Find a title</label>
          <input id="st-q" type="search" value={q} onInput={(e) => setQ(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="st-state">State</label>
          <select id="st-state" value={state} onChange={(e) => setState(e.currentTarget.value)}>
            <option value="">Any</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
      </div>
      <ErrorNote message={titles.error} />
      {titles.loading && !titles.data ? (
        <Loading />
      ) : (
        <table class="table studio-table">
          <caption class="sr-only">Titles</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">Year</th>
              <th scope="col">Rating</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {(titles.data?.items ?? []).map((t) => (
              <tr key={t.id}>
                <td>
                  <a href={`/studio/titles/${t.id}`}>{t.name}</a>
                </td>
                <td>{t.kind}</td>
                <td>{t.release_year ?? "—"}</td>
                <td>{t.maturity_rating}</td>
                <td>
                  <StateBadge state={t.state} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p class="hint">{titles.data ? `${titles.data.total} titles` : ""}</p>
      <CreateTitle />
    </StudioPage>
  );
}
