"""Near real-time indexing: titles touched in a committed transaction are re-indexed right after.

The catalogue knows nothing of search. The app factory calls `install`, which listens to the
app's sessions: flushes record which titles (directly, or through their credits, windows,
people and genres) changed, and the commit re-indexes exactly those titles.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker

from marquee.catalog.models import Availability, Credit, Genre, Person, Title
from marquee.db import transaction
from marquee.search import service
from marquee.search.index import Index, make_index

log = logging.getLogger("marquee.search")
_PENDING = "search_pending"


def _touched(obj: Any, pending: dict[str, set[uuid.UUID]]) -> None:
    if isinstance(obj, Title):
        pending["titles"].add(obj.id)
    elif isinstance(obj, Credit | Availability):
        pending["titles"].add(obj.title_id)
    elif isinstance(obj, Person):
        pending["people"].add(obj.id)
    elif isinstance(obj, Genre):
        pending["genres"].add(obj.id)


def _after_flush(session: Session, _context: Any) -> None:
    pending = session.info.setdefault(_PENDING, {"titles": set(), "people": set(), "genres": set()})
    for obj in (*session.new, *session.dirty, *session.deleted):
        _touched(obj, pending)


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(_PENDING, None)


class Reindexer:
    """Re-indexes the titles a committed session touched; failures are logged, never raised."""

    def __init__(self, index: Index, factory: sessionmaker[Session]) -> None:
        self.index = index
        self.factory = factory

    def after_commit(self, session: Session) -> None:
        pending = session.info.pop(_PENDING, None)
        if not pending or not any(pending.values()):
            return
        try:
            with transaction(self.factory) as fresh:
                ids = set(pending["titles"])
                ids |= service.titles_of_people(session=fresh, person_ids=pending["people"])
                ids |= service.titles_of_genres(session=fresh, genre_ids=pending["genres"])
                service.reindex_titles(session=fresh, index=self.index, title_ids=ids)
        except Exception:
            # The catalogue change is committed; `marquee search reindex` repairs the index.
            log.exception("search re-indexing failed", extra={"titles": len(pending["titles"])})


def watch(factory: sessionmaker[Session], index: Index) -> Reindexer:
    """Listen to every session `factory` makes and keep `index` in step with the catalogue."""
    reindexer = Reindexer(index, factory)
    event.listen(factory, "after_flush", _after_flush)
    event.listen(factory, "after_commit", reindexer.after_commit)
    event.listen(factory, "after_rollback", _forget)
    return reindexer


def _rebuild_if_empty(index: Index, factory: sessionmaker[Session]) -> None:
    # A fresh index next to a filled catalogue (first start, bulk import): build it once.
    if index.count() > 0:
        return
    with transaction(factory) as session:
        if session.scalar(select(func.count()).select_from(Title)):
            service.reindex_all(session=session, index=index)


def install(app: FastAPI) -> None:
    """Create the app's search index from its settings and keep it current."""
    factory: sessionmaker[Session] = app.state.sessionmaker
    index = make_index(app.state.settings, app.state.engine)
    try:
        _rebuild_if_empty(index, factory)
    except Exception:
        log.exception("search index rebuild at start failed")
    app.state.search_index = index
    watch(factory, index)
