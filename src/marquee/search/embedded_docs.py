"""The embedded engine's schema and how a search document becomes its entries."""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass

import tantivy

from marquee.search import text
from marquee.search.documents import SearchDocument
from marquee.search.index import SearchHit
from marquee.search.models import BUCKETS, SAMPLE_BUCKETS
from marquee.search.windows import WORLDWIDE, disjoint_rows

# v2 added `sample` and made `country` a number; a new version is a new folder, which the API finds empty and has rebuilt.
SCHEMA_VERSION = "v2"
# Popularity only nudges relevance: 1,000 plays multiply a score by about 1.3.
POPULARITY_DAMPING = 0.04
TEXT_FIELDS = {"title": 4.0, "original_title": 3.0, "people": 2.5, "genre_text": 1.5}
# The fixed 1-in-16 sample of titles (the same titles as PostgreSQL's) that facet counts of
# very large matches are taken from: an indexed term, so it leads the engine's intersection.
SAMPLE_FIELD = "sample"


def schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("title_id", stored=True, tokenizer_name="raw")
    for name in TEXT_FIELDS:
        builder.add_text_field(name)
    builder.add_text_field("synopsis", tokenizer_name="en_stem")
    for name in ("genre", "kind", "language"):
        builder.add_text_field(name, fast=True, tokenizer_name="raw")
    for name in ("year", "decade", "maturity", "published", "starts", "ends", "popularity"):
        builder.add_integer_field(name, indexed=True, fast=True)
    builder.add_integer_field("country", indexed=True, fast=True)
    builder.add_integer_field(SAMPLE_FIELD, indexed=True)
    builder.add_float_field("weight", fast=True)
    builder.add_bytes_field("display", stored=True)
    return builder.build()


def country_code(country: str) -> int:
    """A licence row's country as a number, worldwide being 0: a filter on a number column is
    read lazily alongside the text match, where a set of words must first gather every
    entry of the country (four in five entries are worldwide)."""
    return 0 if country == WORLDWIDE else int.from_bytes(country.upper().encode()[:7], "big")


def popularity_weight(plays: int) -> float:
    """A field value that tantivy's log2(2 + v) weighting turns into 1 + damping * ln(1 + plays)."""
    return float(2 ** (1 + POPULARITY_DAMPING * math.log1p(max(plays, 0))) - 2)


def _display(doc: SearchDocument) -> bytes:
    return json.dumps(
        {
            "title": doc.title,
            "kind": doc.kind,
            "year": doc.year,
            "genres": doc.genres,
            "language": doc.language,
            "people": doc.people[:20],
        }
    ).encode()


@dataclass(frozen=True)
class Stored:
    """What a hit shows and its facets count, decoded once from an entry's stored fields."""

    title_id: uuid.UUID
    title: str
    kind: str
    year: int | None
    genres: list[str]
    language: str | None
    people: list[str]

    def hit(self, score: float) -> SearchHit:
        return SearchHit(
            self.title_id, self.title, self.kind, self.year, self.genres, self.language, score
        )


def decode(stored: tantivy.Document) -> Stored:
    display = json.loads(stored["display"][0])
    return Stored(
        title_id=uuid.UUID(stored["title_id"][0]),
        title=display["title"],
        kind=display["kind"],
        year=display["year"],
        genres=display["genres"],
        language=display["language"],
        people=display["people"],
    )


def entries(doc: SearchDocument) -> list[tantivy.Document]:
    """One entry per disjoint availability row; unpublished titles get none at all."""
    if not doc.published:
        return []
    out = []
    for country, start, end in disjoint_rows(doc.windows):
        entry = tantivy.Document()
        entry.add_text("title_id", str(doc.title_id))
        entry.add_text("title", text.index_text(doc.title))
        entry.add_text("original_title", text.index_text(doc.original_title))
        for name in doc.people:
            entry.add_text("people", text.index_text(name))
        entry.add_text("genre_text", text.index_text(" ".join(doc.genres)))
        entry.add_text("synopsis", text.index_text(doc.synopsis))
        for genre in doc.genres:
            entry.add_text("genre", genre)
        entry.add_text("kind", doc.kind)
        entry.add_text("language", doc.language or "")
        entry.add_integer("country", country_code(country))
        entry.add_integer("year", doc.year or 0)
        entry.add_integer("decade", doc.decade or 0)
        entry.add_integer("maturity", doc.maturity_level)
        entry.add_integer("published", 1)
        entry.add_integer("starts", start)
        entry.add_integer("ends", end)
        entry.add_integer("popularity", doc.popularity)
        entry.add_integer(SAMPLE_FIELD, int(doc.title_id.int % BUCKETS < SAMPLE_BUCKETS))
        entry.add_float("weight", popularity_weight(doc.popularity))
        entry.add_bytes("display", _display(doc))
        out.append(entry)
    return out
