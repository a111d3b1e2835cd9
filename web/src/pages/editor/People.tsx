// /studio/people: the cast and crew directory that credits point at.
import { useState } from "preact/hooks";
import { ErrorNote, Loading } from "../../components/Status";
import { useAsync } from "../../components/async";
import { studio } from "./studioApi";
import { formValues, StudioPage, useAction } from "./StudioNav";

export default function PeoplePage() {
  const [q, setQ] = useState("");
  const people = useAsync(() => studio.people(q || undefined), [q]);
  const action = useAction();
  const create = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const v = formValues(form);
    if (await action.run(() => studio.createPerson({ name: v.name, biography: v.biography }))) {
      form.reset();
      people.reload();
    }
  };
  return (
    <StudioPage heading="People">
      <div class="filters" role="search">
        <div class="field">
          <label for="pp-q">Find a person</label>
          <input id="pp-q" type="search" value={q} onInput={(e) => setQ(e.currentTarget.value)} />
        </div>
      </div>
      <ErrorNote message={people.error ?? action.error} />
      {!people.data ? (
        <Loading />
      ) : (
        <ul class="studio-list panel">
          {people.data.items.map((p) => (
            <li key={p.id} class="studio-row">
              <span>
                {p.name}
                {p.biography && <span class="hint"> · {p.biography.slice(0, 80)}</span>}
              </span>
              <button
                class="btn btn-ghost"
                type="button"
                onClick={() => action.run(() => studio.deletePerson(p.id)).then((ok) => ok && people.reload())}
              >
                Delete {p.name}
              </button>
            </li>
          ))}
          {people.data.items.length === 0 && <li class="hint">Nobody yet.</li>}
        </ul>
      )}
      <form class="panel studio-form" onSubmit={create} aria-labelledby="new-person-heading">
        <h2 id="new-person-heading">New person</h2>
        <div class="field">
          <label for="np-name">Name</label>
          <input id="np-name" name="name" required maxLength={200} />
        </div>
        <div class="field">
          <label for="np-bio">Biography</label>
          <textarea id="np-bio" name="biography" rows={2} maxLength={5000} />
        </div>
        <button class="btn btn-accent" type="submit" disabled={action.busy}>
          Add person
        </button>
      </form>
    </StudioPage>
  );
}
