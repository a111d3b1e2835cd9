"""SQL text of the PostgreSQL search backend, assembled from fixed fragments (values are bound)."""

# Every fragment joined here is a constant of this module; viewer input only ever arrives as a
# bound parameter, so the string building flagged by S608 cannot carry an injection.
# ruff: noqa: S608

from __future__ import annotations

from sqlalchemy import TextClause, text

from marquee.search.index import SearchFilters

VISIBLE = """
d.published AND d.maturity <= :max_maturity AND EXISTS (
    SELECT 1 FROM search_windows w
    WHERE w.title_id = d.title_id AND w.country IN ('*', :country)
      AND w.starts_at <= :now AND (w.ends_at IS NULL OR w.ends_at > :now)
)"""

POPULARITY = "(1 + 0.04 * ln(1 + greatest(d.popularity, 0)))"

# The title starts with what was typed (article aside), or holds it as a phrase.
PHRASE = """(CASE
    WHEN starts_with(d.title_norm, :qnorm) OR starts_with(d.title_norm, 'the ' || :qnorm)
      OR starts_with(d.title_norm, 'a ' || :qnorm) THEN 1.0
    WHEN strpos(' ' || d.title_norm, ' ' || :qnorm) > 0 THEN 0.3
    ELSE 0 END)"""

ORDERS = {
    "relevance": "score DESC, d.title_id",
    "popular": "d.popularity DESC, score DESC, d.title_id",
    "newest": "d.year DESC NULLS LAST, d.popularity DESC, d.title_id",
}


def tsquery_expr(count: int, *, require_all: bool, synopsis: bool) -> str:
    """Per term: its title/people variants, or (optionally) its stemmed synopsis form."""
    parts = []
    for i in range(count):
        part = f"to_tsquery('simple', :t{i})"
        if synopsis:
            part = f"({part} || to_tsquery('english', :s{i}))"
        parts.append(part)
    return f" {'&&' if require_all else '||'} ".join(parts)


def _filters(filters: SearchFilters) -> str:
    clauses = []
    if filters.genre:
        clauses.append("d.genre_keys @> CAST(:genre AS jsonb)")
    if filters.kind:
        clauses.append("d.kind = :kind")
    if filters.language:
        clauses.append("d.language = :language")
    if filters.year_from is not None:
        clauses.append("d.year >= :year_from")
    if filters.year_to is not None:
        clauses.append("d.year <= :year_to")
    return "".join(f" AND {c}" for c in clauses)


def match_sql(
    terms: int,
    filters: SearchFilters,
    *,
    require_all: bool = True,
    synopsis: bool = True,
    weights: str | None = None,
) -> str:
    """Visible documents matching the first `terms` term parameters, with their blended score.

    Rows must match every term (or any, when `require_all` is false) but are ranked on any:
    ts_rank's proximity scoring of an AND query misjudges prefix terms that overlap.
    """
    # People names are only read for suggestions; carrying them through a search costs.
    columns = "d.title_id, d.title, d.kind, d.year, d.decade, d.genres, d.language, d.popularity"
    if weights == "b":
        columns += ", d.people"
    if terms == 0:
        return (
            f"SELECT {columns}, 0.0 AS score FROM search_documents d"
            f" WHERE {VISIBLE}{_filters(filters)}"
        )
    query = tsquery_expr(terms, require_all=require_all, synopsis=synopsis)
    ranked = tsquery_expr(terms, require_all=False, synopsis=synopsis)
    vector = f"ts_filter(d.document, '{{{weights}}}')" if weights else "d.document"
    score = "(ts_rank(d.document, q.ranked) + 0.5 * similarity(d.title_norm, :qnorm)"
    score += f" + {PHRASE}) * {POPULARITY}"
    return (
        f"SELECT {columns}, {score} AS score"
        f" FROM search_documents d, (SELECT {query} AS query, {ranked} AS ranked) q"
        f" WHERE {vector} @@ q.query AND {VISIBLE}{_filters(filters)}"
    )


def page(match: str, order: str) -> TextClause:
    return text(f"SELECT * FROM ({match}) d ORDER BY {ORDERS[order]} OFFSET :offset LIMIT :limit")


FACET_ROWS = """
SELECT 'total' AS facet, NULL AS value, count(*) AS n FROM m
UNION ALL SELECT 'genre', g.value, count(*)
    FROM m, jsonb_array_elements_text(m.genres) AS g(value) GROUP BY g.value
UNION ALL SELECT 'decade', CAST(m.decade AS text), count(*) FROM m GROUP BY m.decade
UNION ALL SELECT 'type', m.kind, count(*) FROM m GROUP BY m.kind
UNION ALL SELECT 'language', m.language, count(*) FROM m GROUP BY m.language"""


def search(match: str, order: str) -> TextClause:
    """One statement for a results page and its facet counts, so the match is computed once.

    Facet rows carry (facet, value, n); hit rows carry the page, numbered by `ord`.
    """
    return text(
        f"WITH m AS MATERIALIZED ({match}),"
        f" f AS ({FACET_ROWS}),"
        f" p AS (SELECT d.*, row_number() OVER (ORDER BY {ORDERS[order]}) AS ord FROM m d"
        f"   ORDER BY ord OFFSET :offset LIMIT :limit)"
        " SELECT f.facet, f.value, f.n, NULL AS ord, CAST(NULL AS uuid) AS title_id,"
        "   NULL AS title, NULL AS kind, CAST(NULL AS integer) AS year,"
        "   CAST(NULL AS jsonb) AS genres, NULL AS language,"
        "   CAST(NULL AS double precision) AS score FROM f"
        " UNION ALL SELECT NULL, NULL, NULL, p.ord, p.title_id, p.title, p.kind, p.year,"
        "   p.genres, p.language, p.score FROM p"
    )


def corrections() -> TextClause:
    """Candidate corrections per term from the trigram index (the edit budget is checked after).

    A term that is itself a dictionary word (or, for the word being typed, the start of one)
    gets no corrections: "nightw" should find "Nightwatch", not "Night".
    """
    return text(
        "WITH q(term, is_last) AS ("
        "  SELECT * FROM unnest(CAST(:terms AS text[]), CAST(:last AS boolean[])))"
        " SELECT q.term, c.word FROM q CROSS JOIN LATERAL ("
        "   SELECT w.word FROM search_words w"
        "   WHERE w.word % q.term AND abs(length(w.word) - length(q.term)) <= 2"
        "   ORDER BY similarity(w.word, q.term) DESC LIMIT 40) c"
        " WHERE NOT EXISTS (SELECT 1 FROM search_words x"
        "   WHERE x.word >= q.term AND x.word < q.term || '~' AND (q.is_last OR x.word = q.term))"
    )
