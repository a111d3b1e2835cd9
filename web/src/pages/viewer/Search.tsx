// Search as you type: suggestions while typing, results and filters (genre, decade, type, language).
import { useEffect, useRef, useState } from "preact/hooks";
import { useDocumentTitle } from "../../components/title";
import { catalog, search } from "../../api";
import type { SearchFilters, SearchPage, TitleKind } from "../../api";
import { errorText, useAsync } from "../../components/async";
import { TitleCard } from "../../components/Card";
import { onGridKeyDown } from "../../components/keys";
import { ErrorNote, Loading } from "../../components/Status";
import type { PageProps } from "../../router";
import { navigate, profileStore, useStore } from "../../state";
import { Filters, filtersFromQuery, filtersToQuery } from "./SearchFilters";
import type { FilterState } from "./SearchFilters";
import { SearchBox } from "./SearchBox";

const DEBOUNCE_MS = 180;

function apiFilters(f: FilterState): SearchFilters {
  const decade = f.decade ? Number(f.decade) : null;
  return {
    genre: f.genre || undefined,
    type: (f.type || undefined) as TitleKind | undefined,
    language: f.language || undefined,
    year_from: decade ?? undefined,
    year_to: decade !== null ? decade + 9 : undefined,
    limit: 40,
  };
}

export default function Search({ query }: PageProps) {
  useDocumentTitle("Search");
  const profile = useStore(profileStore)!;
  const [text, setText] = useState(query.get("q") ?? "");
  const [filters, setFilters] = useState<FilterState>(filtersFromQuery(query));
  const [results, setResults] = useState<SearchPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const genres = useAsync(() => catalog.genres(profile.id), [profile.id]);
  const inflight = useRef<AbortController | null>(null);

  useEffect(() => {
    const params = filtersToQuery(text, filters);
    navigate(`/search${params ? `?${params}` : ""}`, { replace: true, keepScroll: true });
    const timer = window.setTimeout(() => void run(), DEBOUNCE_MS);
    return () => window.clearTimeout(timer);
  }, [text, filters.genre, filters.decade, filters.type, filters.language, profile.id]);

  async function run() {
    inflight.current?.abort();
    const controller = new AbortController();
    inflight.current = controller;
    setBusy(true);
    try {
      const page = await search.titles(profile.id, text.trim(), apiFilters(filters), controller.signal);
      setResults(page);
      setError(null);
    } catch (err) {
      if (!(err instanceof DOMException && err.name === "AbortError")) setError(errorText(err));
    } finally {
      if (inflight.current === controller) setBusy(false);
    }
  }

  const count = results ? results.total : null;
  return (
    <section class="page search-page" aria-labelledby="search-heading">
      <h1 id="search-heading">Search</h1>
      <SearchBox profileId={profile.id} value={text} onChange={setText} />
      <Filters value={filters} onChange={setFilters} genres={genres.data ?? []} facets={results?.facets ?? {}} />
      <ErrorNote message={error} />
      <p class="hint" role="status" aria-live="polite">
        {count === null
          ? ""
          : count === 0
            ? "No titles match."
            : `${results?.counts_exact === false ? "About " : ""}${count} ${count === 1 ? "title" : "titles"}`}
      </p>
      {busy && !results && <Loading label="Searching" />}
      {results && results.items.length > 0 && (
        <ul class="grid" data-nav-grid onKeyDown={onGridKeyDown} aria-label="Search results">
          {results.items.map((hit) => (
            <li>
              <TitleCard title={{ id: hit.id, name: hit.name, poster: null, release_year: hit.release_year }} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
