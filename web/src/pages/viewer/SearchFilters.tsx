// Search filters (genre, decade, type, language), kept in the URL so results can be shared.
import type { FacetCount, GenreCount } from "../../api";

export interface FilterState {
  genre: string;
  decade: string;
  type: string;
  language: string;
}

const KEYS: (keyof FilterState)[] = ["genre", "decade", "type", "language"];
const DECADES = [2020, 2010, 2000, 1990, 1980, 1970, 1960, 1950, 1940, 1930];
const LANGUAGE_NAMES: Record<string, string> = {
  en: "English",
  fr: "French",
  de: "German",
  es: "Spanish",
  it: "Italian",
  ja: "Japanese",
  zh: "Chinese",
  ko: "Korean",
  hi: "Hindi",
};

export function filtersFromQuery(query: URLSearchParams): FilterState {
  return { genre: query.get("genre") ?? "", decade: query.get("decade") ?? "", type: query.get("type") ?? "", language: query.get("language") ?? "" };
}

export function filtersToQuery(text: string, f: FilterState): string {
  const params = new URLSearchParams();
  if (text.trim()) params.set("q", text.trim());
  for (const key of KEYS) if (f[key]) params.set(key, f[key]);
  return params.toString();
}

interface Props {
  value: FilterState;
  onChange: (f: FilterState) => void;
  genres: GenreCount[];
  facets: Record<string, FacetCount[]>;
}

function Select({ id, label, value, onChange, options }: { id: string; label: string; value: string; onChange: (v: string) => void; options: [string, string][] }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        {options.map(([v, text]) => (
          <option value={v}>{text}</option>
        ))}
      </select>
    </div>
  );
}

export function Filters({ value, onChange, genres, facets }: Props) {
  const set = (key: keyof FilterState) => (v: string) => onChange({ ...value, [key]: v });
  const languages = new Set(["en", ...(facets.language ?? []).map((f) => f.value)]);
  if (value.language) languages.add(value.language);
  const any = KEYS.some((k) => value[k]);
  return (
    <form class="filters" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
      <Select id="filter-genre" label="Genre" value={value.genre} onChange={set("genre")} options={[["", "All genres"], ...genres.map((g): [string, string] => [g.name, g.name])]} />
      <Select id="filter-decade" label="Decade" value={value.decade} onChange={set("decade")} options={[["", "Any year"], ...DECADES.map((d): [string, string] => [String(d), `${d}s`])]} />
      <Select id="filter-type" label="Type" value={value.type} onChange={set("type")} options={[["", "Movies and series"], ["movie", "Movies"], ["series", "Series"]]} />
      <Select id="filter-language" label="Language" value={value.language} onChange={set("language")} options={[["", "Any language"], ...[...languages].sort().map((l): [string, string] => [l, LANGUAGE_NAMES[l] ?? l.toUpperCase()])]} />
      {any && (
        <button class="btn btn-ghost" type="button" onClick={() => onChange({ genre: "", decade: "", type: "", language: "" })}>
          Clear filters
        </button>
      )}
    </form>
  );
}
