// Where and when a title may be watched: one window per country ("*" for everywhere).
import { ErrorNote } from "../../components/Status";
import { studio } from "./studioApi";
import type { AdminTitle } from "./studioApi";
import { formValues, useAction } from "./StudioNav";

interface Props {
  title: AdminTitle;
  onChanged(): void;
}

function toIso(local: string): string | null {
  return local ? new Date(local).toISOString() : null;
}

function when(iso: string | null): string {
  return iso ? new Date(iso).toLocaleDateString() : "open-ended";
}

export function AvailabilitySection({ title, onChanged }: Props) {
  const action = useAction();
  const add = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const v = formValues(form);
    const starts = toIso(v.starts_at) ?? new Date().toISOString();
    const ok = await action.run(() =>
      studio.addWindow(title.id, { country: v.country.toUpperCase() || "*", starts_at: starts, ends_at: toIso(v.ends_at) }),
    );
    if (ok) {
      form.reset();
      onChanged();
    }
  };
  return (
    <section class="panel" aria-labelledby="avail-heading">
      <h2 id="avail-heading">Availability</h2>
      {title.availability.length === 0 && <p class="hint">No windows yet: viewers cannot see this title anywhere. Add one (“*” means every country).</p>}
      <ul class="studio-list">
        {title.availability.map((w) => (
          <li key={w.id} class="studio-row">
            <span>
              {w.country === "*" ? "Everywhere" : w.country} · {when(w.starts_at)} → {when(w.ends_at)}
            </span>
            <button
              class="btn btn-ghost"
              type="button"
              onClick={() => action.run(() => studio.deleteWindow(title.id, w.id)).then((ok) => ok && onChanged())}
            >
              Remove {w.country === "*" ? "worldwide window" : `${w.country} window`}
            </button>
          </li>
        ))}
      </ul>
      <form class="studio-inline" onSubmit={add} aria-label="Add an availability window">
        <div class="field">
          <label for="av-country">Country</label>
          <input id="av-country" name="country" maxLength={2} pattern="[A-Za-z]{2}|\*" placeholder="US or *" class="narrow" required />
        </div>
        <div class="field">
          <label for="av-start">From</label>
          <input id="av-start" name="starts_at" type="datetime-local" />
        </div>
        <div class="field">
          <label for="av-end">Until</label>
          <input id="av-end" name="ends_at" type="datetime-local" />
        </div>
        <button class="btn" type="submit" disabled={action.busy}>
          Add window
        </button>
      </form>
      <ErrorNote message={action.error} />
    </section>
  );
}
