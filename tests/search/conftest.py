"""Search fixtures: one index per backend (embedded beside SQLite, full text on PostgreSQL)."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from marquee.config import Settings
from marquee.db import utcnow
from marquee.jobs.registry import JobKind
from marquee.runtime import Runtime
from marquee.search.documents import SearchDocument, Window
from marquee.search.index import Index, make_index
from tests.support import worker_beside

_counter = itertools.count(1)
EVER = utcnow() - timedelta(days=3650)


@pytest.fixture
def index(settings: Settings, db_engine: Engine) -> Index:
    return make_index(settings, db_engine)


def doc(title: str | None = None, **fields: Any) -> SearchDocument:
    """A published movie, rated PG, available worldwide for years, unless told otherwise."""
    values: dict[str, Any] = {
        "title_id": uuid.uuid4(),
        "kind": "movie",
        "title": title or f"Filler {next(_counter)}",
        "published": True,
        "windows": [Window("*", EVER)],
        "maturity_level": 3,
        "genres": ["Drama"],
        "year": 1995,
        "language": "en",
    }
    values.update(fields)
    return SearchDocument(**values)


@pytest.fixture
def search_worker(
    settings: Settings, make_runtime: Callable[[Settings], Runtime]
) -> Iterator[None]:
    """A worker applying search jobs beside the app, on a runtime of its own."""
    with worker_beside(make_runtime(settings), [JobKind.SEARCH_REINDEX]):
        yield
