"""Queries of the embedded engine: visibility, filters and the typo-tolerant text match."""

from __future__ import annotations

import tantivy

from marquee.audience import Audience
from marquee.search import text
from marquee.search.embedded_docs import TEXT_FIELDS, country_code
from marquee.search.index import SearchFilters
from marquee.search.windows import FOREVER, seconds

Q = tantivy.Query
# Original titles are rarely set; a typo automaton per field is the costliest part of a query.
FUZZY_FIELDS = ("title", "people")
# When no title has every word, the candidates are the titles holding one of the query's
# distinctive words: those in at most this many entries. Common words ("the", "love") then
# only add to the score, so a long query never turns into a walk over half the catalogue.
DISTINCTIVE = 2_000


class QueryBuilder:
    """Builds queries against one searcher, which it asks how common a word is."""

    def __init__(
        self, index: tantivy.Index, searcher: tantivy.Searcher, *, distinctive: int = DISTINCTIVE
    ) -> None:
        self._index = index
        self._distinctive = distinctive
        self._schema = index.schema
        self._searcher = searcher

    def term(self, field: str, value: str) -> Q:
        return Q.term_query(self._schema, field, value)

    def range(self, field: str, lower: int | None, upper: int | None) -> Q:
        return Q.range_query(self._schema, field, tantivy.FieldType.Integer, lower, upper)

    def visible(self, audience: Audience) -> list[Q]:
        """The hard rule: published, licensed in this country now, within the maturity ceiling.

        Unpublished titles are never written to the index, so no clause is needed for them.
        """
        now = seconds(audience.at, default=0)
        code = country_code(audience.country)
        countries = [(tantivy.Occur.Should, self.range("country", c, c)) for c in (0, code)]
        return [
            self.range("maturity", None, audience.max_maturity),
            Q.boolean_query(countries),
            self.range("starts", None, now),
            self.range("ends", now + 1, FOREVER),
        ]

    def filters(self, filters: SearchFilters) -> list[Q]:
        clauses = []
        if filters.genre:
            clauses.append(self.term("genre", filters.genre))
        if filters.kind:
            clauses.append(self.term("kind", filters.kind))
        if filters.language:
            clauses.append(self.term("language", filters.language))
        if filters.year_from is not None or filters.year_to is not None:
            clauses.append(self.range("year", filters.year_from, filters.year_to))
        return clauses

    def _typos(self, name: str, term: str, boost: float) -> list[Q]:
        """Misspellings of `term` in one field: a Levenshtein automaton (a swap of adjacent
        letters is one edit), or for a short word that the field lacks, its swapped forms."""
        edits = text.max_edits(term)
        if edits:
            return [Q.boost_query(Q.fuzzy_term_query(self._schema, name, term, edits), boost)]
        swapped = text.swaps(term)
        if not swapped or self._searcher.doc_freq(name, term):
            return []
        return [Q.boost_query(Q.term_set_query(self._schema, name, swapped), boost)]

    def term_clause(self, term: str, *, last: bool, fields: dict[str, float]) -> Q:
        """Exact, typo-tolerant and (for the word being typed) prefix matches of one term."""
        options = [
            Q.boost_query(self.term(name, term), boost)
            for name, boost in fields.items()
            if name != "synopsis"
        ]
        if "synopsis" in fields:
            # The parser applies the field's stemmer, so "running" finds "runs".
            options.append(self._index.parse_query(term, ["synopsis"]))
        for name in (name for name in FUZZY_FIELDS if name in fields):
            options += self._typos(name, term, fields[name] * 0.5)
            if last:
                prefix = Q.fuzzy_term_query(self._schema, name, term, 0, True, True)
                options.append(Q.boost_query(prefix, fields[name] * 0.6))
        return Q.disjunction_max_query(options, 0.1)

    def text_query(self, terms: list[str], fields: dict[str, float]) -> Q:
        """Entries holding every term."""
        return Q.boolean_query(
            [(tantivy.Occur.Must, self._clause(terms, i, fields)) for i in range(len(terms))]
        )

    def relaxed_query(self, terms: list[str], fields: dict[str, float]) -> tuple[Q, Q]:
        """Entries holding any of the distinctive terms (or, if none is, the rarest term),
        ranked on all of them; and the same entries without the ranking, which is all that
        counting them needs (the other terms' clauses hold the catalogue's commonest words)."""
        frequency = {term: self._frequency(term, last=term == terms[-1]) for term in terms}
        distinctive = [t for t in terms if frequency[t] <= self._distinctive]
        required = distinctive or [min(terms, key=frequency.__getitem__)]
        clauses = [self._clause(terms, i, fields) for i in range(len(terms))]
        anyof = Q.boolean_query(
            [
                (tantivy.Occur.Should, c)
                for t, c in zip(terms, clauses, strict=True)
                if t in required
            ]
        )
        rest = [
            (tantivy.Occur.Should, c)
            for t, c in zip(terms, clauses, strict=True)
            if t not in required
        ]
        return Q.boolean_query([(tantivy.Occur.Must, anyof), *rest]), anyof

    def _clause(self, terms: list[str], i: int, fields: dict[str, float]) -> Q:
        return self.term_clause(terms[i], last=i == len(terms) - 1, fields=fields)

    def _frequency(self, term: str, *, last: bool) -> int:
        """About how many entries hold the word (or, the one being typed, a word it begins)."""
        exact = sum(self._searcher.doc_freq(name, term) for name in (*TEXT_FIELDS, "synopsis"))
        if not last:
            return exact
        prefixed = sum(
            count
            for name in FUZZY_FIELDS
            for _, count in self._searcher.terms_with_prefix(name, term, limit=self._distinctive)
        )
        return max(exact, prefixed)


def combine(scored: Q | None, filters: list[Q]) -> Q:
    clauses = [(tantivy.Occur.Must, Q.const_score_query(f, 0.0)) for f in filters]
    if scored is not None:
        clauses.append((tantivy.Occur.Must, scored))
    return Q.boolean_query(clauses)
