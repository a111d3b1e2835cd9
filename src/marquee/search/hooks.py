"""Near real-time indexing through the jobs table: a change to the catalogue queues its re-index.

The catalogue knows nothing of search. Every runtime's sessionmaker carries these listeners
(`watch`, called by `Runtime.from_settings`), so the API, the worker and the CLI behave
alike: flushes record which titles changed (directly, or through their credits, windows,
people and genres), and just before the commit one `search_reindex` job naming them is
queued in the same transaction. The change and its re-index commit or roll back together,
so a crash after the commit loses nothing; the process that owns index writes applies the
job (see `marquee.search.tasks` and docs/search.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from marquee.catalog.models import Availability, Credit, Genre, Person, Title
from marquee.jobs import service as jobs
from marquee.jobs.registry import JobKind
from marquee.search.tasks import ReindexPayload

_PENDING = "search_pending"
# A re-index is cheap and idempotent; a job that keeps failing says so in the jobs view.
REINDEX_ATTEMPTS = 10


def _pending(session: Session) -> dict[str, set[uuid.UUID]]:
    pending: dict[str, set[uuid.UUID]] = session.info.setdefault(
        _PENDING, {"titles": set(), "people": set(), "genres": set()}
    )
    return pending


def _touched(obj: Any, pending: dict[str, set[uuid.UUID]]) -> None:
    if isinstance(obj, Title):
        pending["titles"].add(obj.id)
    elif isinstance(obj, Credit | Availability):
        pending["titles"].add(obj.title_id)
    elif isinstance(obj, Person):
        pending["people"].add(obj.id)
    elif isinstance(obj, Genre):
        pending["genres"].add(obj.id)


def touch_titles(*, session: Session, title_ids: Iterable[uuid.UUID]) -> None:
    """Bulk writes (Core inserts and updates) pass the listeners by: their caller names the
    titles, and the commit queues them with everything else the transaction touched."""
    _pending(session)["titles"].update(title_ids)


def _after_flush(session: Session, _context: Any) -> None:
    pending = _pending(session)
    for obj in (*session.new, *session.dirty, *session.deleted):
        _touched(obj, pending)


def _before_commit(session: Session) -> None:
    """Queue the re-index of what this transaction touched, inside the transaction."""
    if session.in_nested_transaction():
        return  # a savepoint: the outer commit queues everything at once
    session.flush()  # the commit's own flush could otherwise record titles after the queueing
    pending = session.info.pop(_PENDING, None)
    if not pending or not any(pending.values()):
        return
    payload = ReindexPayload(
        titles=sorted(pending["titles"]),
        people=sorted(pending["people"]),
        genres=sorted(pending["genres"]),
    )
    jobs.enqueue(
        session=session,
        kind=JobKind.SEARCH_REINDEX,
        payload=payload.model_dump(mode="json"),
        key=f"{JobKind.SEARCH_REINDEX}:{uuid.uuid4()}",
        max_attempts=REINDEX_ATTEMPTS,
    )


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(_PENDING, None)


def watch(factory: sessionmaker[Session]) -> None:
    """Make every session of `factory` queue the re-indexing its commits call for."""
    event.listen(factory, "after_flush", _after_flush)
    event.listen(factory, "before_commit", _before_commit)
    event.listen(factory, "after_rollback", _forget)


def queue_rebuild(*, session: Session) -> None:
    """Queue a rebuild of the whole index (a fresh index beside a filled catalogue)."""
    jobs.enqueue(
        session=session,
        kind=JobKind.SEARCH_REINDEX,
        payload=ReindexPayload(everything=True).model_dump(mode="json"),
        key=f"{JobKind.SEARCH_REINDEX}:all:{uuid.uuid4()}",
        max_attempts=REINDEX_ATTEMPTS,
    )
