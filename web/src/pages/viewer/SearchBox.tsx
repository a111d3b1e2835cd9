// The search field: an ARIA combobox whose suggestions come from /search/suggest as you type.
import { useEffect, useRef, useState } from "preact/hooks";
import { search } from "../../api";
import type { Suggestion } from "../../api";
import { navigate } from "../../state";

interface Props {
  profileId: string;
  value: string;
  onChange: (text: string) => void;
}

export function SearchBox({ profileId, value, onChange }: Props) {
  const [items, setItems] = useState<Suggestion[]>([]);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const typed = useRef(false);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => input.current?.focus(), []);

  useEffect(() => {
    const q = value.trim();
    if (!typed.current || q.length < 2) {
      setItems([]);
      return;
    }
    const controller = new AbortController();
    const timer = window.setTimeout(() => {
      search.suggest(profileId, q, controller.signal).then(
        (r) => {
          setItems(r.items.slice(0, 8));
          setActive(-1);
          setOpen(true);
        },
        () => setItems([]),
      );
    }, 120);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [value, profileId]);

  function choose(s: Suggestion) {
    setOpen(false);
    typed.current = false;
    if (s.title_id) navigate(`/title/${s.title_id}`);
    else onChange(s.text);
  }

  function onKeyDown(e: KeyboardEvent) {
    const shown = open && items.length > 0;
    if (e.key === "ArrowDown" && shown) setActive((a) => Math.min(items.length - 1, a + 1));
    else if (e.key === "ArrowUp" && shown) setActive((a) => Math.max(-1, a - 1));
    else if (e.key === "Enter" && shown && active >= 0) choose(items[active]);
    else if (e.key === "Escape") setOpen(false);
    else return;
    e.preventDefault();
  }

  const expanded = open && items.length > 0;
  return (
    <div class="search-box">
      <label for="search-input" class="sr-only">
        Search titles, people and genres
      </label>
      <input
        id="search-input"
        ref={input}
        type="search"
        role="combobox"
        autoComplete="off"
        spellcheck={false}
        maxLength={200}
        placeholder="Titles, people, genres"
        aria-autocomplete="list"
        aria-controls="search-suggestions"
        aria-expanded={expanded}
        aria-activedescendant={expanded && active >= 0 ? `suggestion-${active}` : undefined}
        value={value}
        onInput={(e) => {
          typed.current = true;
          onChange(e.currentTarget.value);
        }}
        onKeyDown={onKeyDown}
        onBlur={() => window.setTimeout(() => setOpen(false), 150)}
      />
      <ul id="search-suggestions" role="listbox" aria-label="Suggestions" class="suggestions" hidden={!expanded}>
        {items.map((s, i) => (
          <li id={`suggestion-${i}`} role="option" aria-selected={i === active} onMouseDown={(e) => (e.preventDefault(), choose(s))}>
            {s.text}
            <span class="suggestion-kind">{s.kind === "title" ? "Title" : s.kind}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
