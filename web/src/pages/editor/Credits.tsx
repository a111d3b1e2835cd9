// A title's cast and crew: pick a person (or create one) and give them a role.
import { useState } from "preact/hooks";
import { ErrorNote } from "../../components/Status";
import { useAsync } from "../../components/async";
import { studio } from "./studioApi";
import type { AdminTitle } from "./studioApi";
import { formValues, useAction } from "./StudioNav";

interface Props {
  title: AdminTitle;
  onChanged(): void;
}

export function CreditsSection({ title, onChanged }: Props) {
  const action = useAction();
  const [q, setQ] = useState("");
  const people = useAsync(() => studio.people(q || undefined), [q]);
  const add = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const v = formValues(form);
    const ok = await action.run(async () => {
      const personId = v.person_id || (await studio.createPerson({ name: q.trim() })).id;
      await studio.addCredit(title.id, {
        person_id: personId,
        role: v.role,
        character: v.character || null,
        order: title.credits.length,
      });
    });
    if (ok) {
      form.reset();
      setQ("");
      onChanged();
    }
  };
  const matches = people.data?.items ?? [];
  return (
    <section class="panel" aria-labelledby="credits-heading">
      <h2 id="credits-heading">Cast and crew</h2>
      <ul class="studio-list">
        {title.credits.map((c) => (
          <li key={c.id} class="studio-row">
            <span>
              {c.person.name} <span class="hint">· {c.role}{c.character ? ` as ${c.character}` : ""}</span>
            </span>
            <button
              class="btn btn-ghost"
              type="button"
              onClick={() => action.run(() => studio.deleteCredit(title.id, c.id)).then((ok) => ok && onChanged())}
            >
              Remove {c.person.name}
            </button>
          </li>
        ))}
      </ul>
      <form class="studio-inline" onSubmit={add} aria-label="Add a credit">
        <div class="field grow">
          <label for="cr-q">Person</label>
          <input id="cr-q" value={q} required maxLength={200} onInput={(e) => setQ(e.currentTarget.value)} placeholder="Type a name" />
        </div>
        <div class="field grow">
          <label for="cr-person">Match</label>
          <select id="cr-person" name="person_id">
            <option value="">New person “{q}”</option>
            {matches.map((p) => (
              <option key={p.id} value={p.id} selected={p.name.toLowerCase() === q.trim().toLowerCase()}>
                {p.name}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="cr-role">Role</label>
          <select id="cr-role" name="role">
            <option value="cast">Cast</option>
            <option value="director">Director</option>
            <option value="writer">Writer</option>
          </select>
        </div>
        <div class="field">
          <label for="cr-char">Character</label>
          <input id="cr-char" name="character" maxLength={200} />
        </div>
        <button class="btn" type="submit" disabled={action.busy}>
          Add credit
        </button>
      </form>
      <ErrorNote message={action.error} />
    </section>
  );
}
