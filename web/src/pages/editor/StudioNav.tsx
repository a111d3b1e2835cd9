// The studio's section tabs and a small form helper shared by the editor pages.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { errorText } from "../../components/async";
import { locationStore, useStore } from "../../state";
import "./studio.css";

const SECTIONS = [
  { href: "/studio", label: "Titles" },
  { href: "/studio/people", label: "People" },
  { href: "/studio/upload", label: "Upload" },
  { href: "/studio/jobs", label: "Jobs" },
  { href: "/studio/analytics", label: "Analytics" },
];

function isCurrent(href: string, path: string): boolean {
  if (href === "/studio") return path === "/studio" || path.startsWith("/studio/titles");
  return path.startsWith(href);
}

export function StudioPage({ heading, children }: { heading: string; children: ComponentChildren }) {
  const { path } = useStore(locationStore);
  return (
    <div class="page studio">
      <nav aria-label="Studio" class="studio-nav">
        {SECTIONS.map((s) => (
          <a key={s.href} href={s.href} class="studio-tab" aria-current={isCurrent(s.href, path) ? "page" : undefined}>
            {s.label}
          </a>
        ))}
      </nav>
      <h1 class="studio-heading">{heading}</h1>
      {children}
    </div>
  );
}

/** Run an action, keeping its error to show next to the form that started it. */
export function useAction(): { busy: boolean; error: string | null; run: (work: () => Promise<unknown>) => Promise<boolean> } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (work: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
      return true;
    } catch (err) {
      setError(errorText(err));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}

export function formValues(form: HTMLFormElement): Record<string, string> {
  const values: Record<string, string> = {};
  new FormData(form).forEach((value, key) => {
    if (typeof value === "string") values[key] = value.trim();
  });
  return values;
}

export function slugify(name: string): string {
  return name
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 80);
}

export function StateBadge({ state }: { state: string }) {
  return <span class={`state-badge state-${state}`}>{state}</span>;
}
