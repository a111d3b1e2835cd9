"""Builds both search backends over a corpus and reports build time and memory."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text as sql

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests import services

from marquee.db import make_engine
from marquee.search.documents import SearchDocument
from marquee.search.embedded import EmbeddedIndex
from marquee.search.index import Index
from marquee.search.models import SearchEntryRow, SearchWordRow
from marquee.search.postgres import PostgresIndex


@dataclass
class Built:
    name: str
    index: Index
    seconds: float
    rss_mb: float
    disk_mb: float
    database_url: str
    var_dir: Path


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _fill(index: Index, docs: list[SearchDocument], batch: int) -> float:
    """Builds the index as `marquee search reindex` does: one rebuild, fed in batches (a
    baseline revision older than `rebuild` gets one upsert per batch, as its reindex did)."""
    started = time.perf_counter()
    batches = [docs[start : start + batch] for start in range(0, len(docs), batch)]
    if hasattr(index, "rebuild"):
        index.rebuild(batches)
    else:
        for part in batches:
            index.upsert(part)
    return time.perf_counter() - started


def _disk_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


@contextmanager
def embedded(docs: list[SearchDocument]) -> Iterator[Built]:
    with tempfile.TemporaryDirectory(prefix="marquee-search-bench-") as tmp:
        var_dir = Path(tmp) / "var"
        before = rss_mb()
        index = EmbeddedIndex(var_dir / "search")
        seconds = _fill(index, docs, 20_000)
        yield Built(
            "embedded",
            index,
            seconds,
            rss_mb() - before,
            _disk_mb(var_dir / "search"),
            f"sqlite:///{var_dir / 'marquee.db'}",
            var_dir,
        )


@contextmanager
def postgres(docs: list[SearchDocument]) -> Iterator[Built]:
    with services.postgres() as url, tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(url)
        for table in (SearchEntryRow, SearchWordRow):
            table.__table__.create(engine, checkfirst=True)  # type: ignore[attr-defined]
        index = PostgresIndex(engine)
        seconds = _fill(index, docs, 2_000)
        with engine.begin() as conn:
            conn.execute(sql("ANALYZE"))
            size = conn.execute(
                sql(
                    "SELECT sum(pg_total_relation_size(c)) FROM unnest(ARRAY"
                    "['search_entries', 'search_words']::regclass[]) c"
                )
            ).scalar_one()
        yield Built("postgres", index, seconds, 0.0, size / 2**20, url, Path(tmp) / "var")
        engine.dispose()


def cpu_count() -> int:
    return os.cpu_count() or 1
