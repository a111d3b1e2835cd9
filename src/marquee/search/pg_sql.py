"""SQL text of the PostgreSQL search backend, assembled from fixed fragments (values are bound)."""

# Every fragment joined here is a constant of this module; viewer input only ever arrives as a
# bound parameter, so the string building flagged by S608 cannot carry an injection.
# ruff: noqa: S608

from __future__ import annotations

from itertools import combinations

from sqlalchemy import TextClause, text

from marquee.search.index import SearchFilters
from marquee.search.models import SAMPLE_BUCKETS

# Visibility is a filter on the entry's own columns: see SearchEntryRow.
VISIBLE = (
    "d.maturity <= :max_maturity AND d.country IN ('*', :country)"
    " AND d.starts <= :now AND d.ends > :now"
)

POPULARITY = "(1 + 0.04 * ln(1 + greatest(d.popularity, 0)))"

# The title starts with what was typed (article aside), or holds it as a phrase.
PHRASE = """(CASE
    WHEN starts_with(d.title_norm, :qnorm) OR starts_with(d.title_norm, 'the ' || :qnorm)
      OR starts_with(d.title_norm, 'a ' || :qnorm) THEN 1.0
    WHEN strpos(' ' || d.title_norm, ' ' || :qnorm) > 0 THEN 0.3
    ELSE 0 END)"""

# Every order ends on the title id, so pages never overlap; the popular order is the one an
# index (popularity, title_id) walks backwards.
ORDERS = {
    "relevance": "score DESC, d.popularity DESC, d.title_id DESC",
    "popular": "d.popularity DESC, d.title_id DESC",
    "newest": "d.year DESC NULLS LAST, d.popularity DESC, d.title_id DESC",
}
COLUMNS = "d.title_id, d.title, d.kind, d.year, d.decade, d.genres, d.language, d.popularity"
# Prefixes of the folded title that earn the full phrase bonus; each is an index range.
PREFIX_FORMS = ("", "the ", "a ")


def tsquery_expr(count: int, *, need: int, synopsis: bool) -> str:
    """Entries having at least `need` of the `count` terms; per term, its title/people
    variants or (optionally) its stemmed synopsis form."""
    parts = []
    for i in range(count):
        part = f"to_tsquery('simple', :t{i})"
        if synopsis:
            part = f"({part} || to_tsquery('english', :s{i}))"
        parts.append(part)
    if need >= count:
        return " && ".join(parts)
    if need <= 1:
        return " || ".join(parts)
    groups = (" && ".join(parts[i] for i in group) for group in combinations(range(count), need))
    return " || ".join(f"({group})" for group in groups)


def relaxations(count: int) -> list[int]:
    """How many terms an entry must have, tried in turn until something matches: all of
    them, then all but one (a misspelt short word must not sink the rest), then any."""
    return sorted({count, max(count - 1, 1), 1}, reverse=True) if count else [0]


def _filters(filters: SearchFilters) -> str:
    clauses = []
    if filters.genre:
        clauses.append("d.genres @> ARRAY[CAST(:genre AS varchar)]")
    if filters.kind:
        clauses.append("d.kind = :kind")
    if filters.language:
        clauses.append("d.language = :language")
    if filters.year_from is not None:
        clauses.append("d.year >= :year_from")
    if filters.year_to is not None:
        clauses.append("d.year <= :year_to")
    return "".join(f" AND {c}" for c in clauses)


def where_sql(
    terms: int,
    filters: SearchFilters,
    *,
    need: int | None = None,
    synopsis: bool = True,
    weights: str | None = None,
    titles_only: bool = False,
) -> str:
    """The condition on an entry `d`: visible, within the filters, matching the query terms
    (in the title vector alone, with `titles_only`)."""
    condition = VISIBLE + _filters(filters)
    if terms == 0:
        return condition
    synopsis = synopsis and not titles_only
    query = tsquery_expr(terms, need=terms if need is None else need, synopsis=synopsis)
    vector = f"ts_filter(d.document, '{{{weights}}}')" if weights else "d.document"
    vector = "d.title_vector" if titles_only else vector
    return f"{vector} @@ ({query}) AND {condition}"


def score_sql(terms: int, *, synopsis: bool = True) -> str:
    """Text rank, title similarity and phrase bonus, nudged by recent plays.

    Ranked on any term even when all must match: ts_rank's proximity scoring of an AND query
    misjudges prefix terms that overlap.
    """
    if terms == 0:
        return "0.0"
    ranked = tsquery_expr(terms, need=1, synopsis=synopsis)
    return (
        f"((ts_rank(d.document, {ranked}) + 0.5 * similarity(d.title_norm, :qnorm)"
        f" + {PHRASE}) * {POPULARITY})"
    )


def probe(where: str) -> TextClause:
    """How many entries match, counting no further than :probe."""
    return text(
        f"SELECT count(*) FROM (SELECT 1 FROM search_entries d WHERE {where} LIMIT :probe) x"
    )


TOTAL_ROW = "SELECT 'total' AS facet, NULL AS value, count(*) AS n FROM m"
VALUE_ROWS = """
SELECT 'genre', g.value, count(*) FROM m, unnest(m.genres) AS g(value) GROUP BY g.value
UNION ALL SELECT 'decade', CAST(m.decade AS text), count(*) FROM m GROUP BY m.decade
UNION ALL SELECT 'type', m.kind, count(*) FROM m GROUP BY m.kind
UNION ALL SELECT 'language', m.language, count(*) FROM m GROUP BY m.language"""
FACET_ROWS = f"{TOTAL_ROW} UNION ALL {VALUE_ROWS}"

_FACET_SELECT = (
    "SELECT f.facet, f.value, f.n, NULL AS ord, CAST(NULL AS uuid) AS title_id,"
    " NULL AS title, NULL AS kind, CAST(NULL AS integer) AS year,"
    " CAST(NULL AS varchar[]) AS genres, NULL AS language,"
    " CAST(NULL AS double precision) AS score FROM f"
)


def exact(where: str, score: str, order: str) -> TextClause:
    """A results page with exact facet counts, if the match has at most :exact_limit entries.

    One statement reads the match once (up to :probe entries) and counts it; only a small
    match goes on to be ranked and counted by facet. Facet rows carry (facet, value, n), the
    'total' row counting no further than :probe; hit rows carry the page, numbered by `ord`.
    """
    return text(
        f"WITH found AS MATERIALIZED (SELECT {COLUMNS}, d.title_norm, d.document"
        f"   FROM search_entries d WHERE {where} LIMIT :probe),"
        " m AS MATERIALIZED (SELECT * FROM found"
        "   WHERE (SELECT count(*) FROM found) <= :exact_limit),"
        " f AS (SELECT 'total' AS facet, NULL AS value, count(*) AS n FROM found"
        f"   UNION ALL {VALUE_ROWS}),"
        f" p AS (SELECT d.*, row_number() OVER (ORDER BY {ORDERS[order]}) AS ord"
        f"   FROM (SELECT d.*, {score} AS score FROM m d) d"
        "   ORDER BY ord OFFSET :offset LIMIT :limit)"
        f" {_FACET_SELECT}"
        " UNION ALL SELECT NULL, NULL, NULL, p.ord, p.title_id, p.title, p.kind, p.year,"
        "   p.genres, p.language, p.score FROM p"
    )


def sampled_facets(where: str) -> TextClause:
    """Total and facet counts over the fixed sample of the index (scaled up by the caller)."""
    return text(
        f"WITH m AS MATERIALIZED (SELECT {COLUMNS} FROM search_entries d"
        f"   WHERE {where} AND d.bucket < {SAMPLE_BUCKETS})"
        f" {FACET_ROWS}"
    )


def ordered(where: str, score: str, order: str, *, extra: str = "") -> TextClause:
    """A page in an order an index can walk (or any order, over a small match)."""
    return text(
        f"SELECT {COLUMNS}, {score} AS score FROM search_entries d WHERE {where}{extra}"
        f" ORDER BY {ORDERS[order]} OFFSET :offset LIMIT :limit"
    )


def people(where: str) -> TextClause:
    """The credits of the most played entries matching on people's names."""
    return text(
        f"SELECT d.people FROM search_entries d WHERE {where}"
        f" ORDER BY {ORDERS['popular']} LIMIT :limit"
    )


def candidates(where: str, title_where: str, score: str, prefixes: int) -> TextClause:
    """The likely best of a large match, ranked: its most played entries, the shortest of
    those holding the words in the title, and those whose title starts with the query
    (article aside).

    Each source reads a bounded index walk or match (at most :walk entries) and keeps
    :window of them, so none can turn into a scan of the whole match.
    """
    walks = [
        f"SELECT d.* FROM search_entries d WHERE {VISIBLE}"
        " ORDER BY d.popularity DESC, d.title_id DESC LIMIT :walk"
    ]
    walks += [
        f"SELECT d.* FROM search_entries d WHERE d.title_norm LIKE :prefix{i} AND {VISIBLE}"
        " ORDER BY d.title_norm LIMIT :walk"
        for i in range(prefixes)
    ]
    sources = [
        f"(SELECT d.title_id, d.slot FROM ({walk}) d WHERE {where} LIMIT :window)" for walk in walks
    ]
    titled = f"SELECT d.title_id, d.slot, d.title_norm FROM search_entries d WHERE {title_where}"
    sources.append(
        f"(SELECT d.title_id, d.slot FROM ({titled} LIMIT :walk) d"
        " ORDER BY length(d.title_norm), d.title_norm LIMIT :window)"
    )
    union = " UNION ".join(sources)
    return text(
        f"SELECT {COLUMNS}, {score} AS score FROM ({union}) c"
        " JOIN search_entries d ON d.title_id = c.title_id AND d.slot = c.slot"
        f" ORDER BY {ORDERS['relevance']}"
    )


def corrections() -> TextClause:
    """Candidate corrections per term: for a word of 5+ letters, from the trigram index (the
    edit budget is checked after); for a shorter one, those of its swapped forms (`:swapped`,
    each beside its `:swap_of` term) that are words.

    A term that is itself a dictionary word (or, for the word being typed, the start of one)
    gets no corrections: "nightw" should find "Nightwatch", not "Night".
    """
    return text(
        "WITH q(term, is_last) AS ("
        "  SELECT * FROM unnest(CAST(:terms AS text[]), CAST(:last AS boolean[]))),"
        " s(term, word, is_last) AS ("
        "  SELECT * FROM unnest(CAST(:swap_of AS text[]), CAST(:swapped AS text[]),"
        "   CAST(:swap_last AS boolean[]))),"
        " found(term, word, sim) AS ("
        "  SELECT q.term, c.word, c.sim FROM q CROSS JOIN LATERAL ("
        "   SELECT w.word, similarity(w.word, q.term) AS sim FROM search_words w"
        "   WHERE w.word % q.term AND abs(length(w.word) - length(q.term)) <= 2"
        "   ORDER BY sim DESC LIMIT 40) c"
        "  WHERE NOT EXISTS (SELECT 1 FROM search_words x WHERE x.word >= q.term"
        "   AND x.word < q.term || '~' AND (q.is_last OR x.word = q.term))"
        "  UNION ALL SELECT s.term, s.word, 0 FROM s"
        "  WHERE EXISTS (SELECT 1 FROM search_words w WHERE w.word = s.word)"
        "  AND NOT EXISTS (SELECT 1 FROM search_words x WHERE x.word >= s.term"
        "   AND x.word < s.term || '~' AND (s.is_last OR x.word = s.term)))"
        " SELECT term, word FROM found ORDER BY term, sim DESC, word"
    )
