"""The event log: validated batch ingest, typed appends by Marquee itself, and retention."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from pydantic import ValidationError
from sqlalchemy import case, delete, insert, null, select
from sqlalchemy.orm import Session

from marquee.catalog.models import Title
from marquee.db import utcnow
from marquee.events.models import Event
from marquee.events.schemas import (
    EventIn,
    EventKind,
    LoggedEvent,
    Rejection,
    event_adapter,
    logged_adapter,
)

MAX_CLOCK_SKEW = timedelta(minutes=5)
MAX_AGE = timedelta(days=30)
_ENVELOPE = {"profile_id", "title_id", "episode_id", "occurred_at", "kind"}


@dataclass(frozen=True)
class IngestResult:
    accepted: list[EventIn]
    rejected: list[Rejection]


def _validation_message(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ()))
    return f"{where}: {first.get('msg', 'invalid')}" if where else str(first.get("msg", "invalid"))


def _check_time(event: EventIn, now: datetime) -> str | None:
    at = event.occurred_at
    if at is None:
        return None
    if at.tzinfo is None:
        return "occurred_at must carry a timezone"
    if at > now + MAX_CLOCK_SKEW:
        return "occurred_at is in the future"
    if at < now - MAX_AGE:
        return "occurred_at is older than the log accepts"
    return None


def validate_batch(
    *, raw: Sequence[Any], profile_ids: set[uuid.UUID], now: datetime
) -> tuple[list[tuple[int, EventIn]], list[Rejection]]:
    """Each event on its own: bad ones are reported with their index, good ones kept."""
    good: list[tuple[int, EventIn]] = []
    rejected: list[Rejection] = []
    for index, item in enumerate(raw):
        try:
            event = event_adapter.validate_python(item)
        except ValidationError as exc:
            rejected.append(
                Rejection(index=index, code="invalid_event", detail=_validation_message(exc))
            )
            continue
        if event.profile_id not in profile_ids:
            rejected.append(
                Rejection(index=index, code="profile_not_found", detail="No such profile.")
            )
            continue
        problem = _check_time(event, now)
        if problem is not None:
            rejected.append(Rejection(index=index, code="invalid_time", detail=problem))
            continue
        good.append((index, event))
    return good, rejected


class KnownTitles:
    """Title ids seen to exist, so that each batch only looks up the ones it has not met yet.

    Bounded; a title deleted later may still be accepted for a while, which only costs an
    analytics row that references nothing.
    """

    def __init__(self, limit: int = 200_000) -> None:
        self.limit = limit
        self._ids: set[uuid.UUID] = set()

    def filter(self, session: Session, ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        wanted = set(ids)
        unknown = wanted - self._ids
        if unknown:
            found = set(session.scalars(select(Title.id).where(Title.id.in_(unknown))))
            if len(self._ids) + len(found) > self.limit:
                self._ids.clear()
            self._ids |= found
        return wanted & self._ids


def ingest(
    *,
    session: Session,
    raw: Sequence[Any],
    profile_ids: set[uuid.UUID],
    country: str | None,
    now: datetime | None = None,
    known: KnownTitles | None = None,
) -> IngestResult:
    """Validate a batch and append its good events in one multi-row insert."""
    now = now or utcnow()
    good, rejected = validate_batch(raw=raw, profile_ids=profile_ids, now=now)
    titles = (known or KnownTitles()).filter(session, (event.title_id for _, event in good))
    accepted: list[EventIn] = []
    rows: list[dict[str, Any]] = []
    for index, event in good:
        if event.title_id not in titles:
            rejected.append(Rejection(index=index, code="title_not_found", detail="No such title."))
            continue
        accepted.append(event)
        rows.append(_row(event, country=country, now=now))
    if rows:
        session.execute(insert(Event), rows)
    rejected.sort(key=lambda r: r.index)
    return IngestResult(accepted=accepted, rejected=rejected)


def append(
    *,
    session: Session,
    events: Sequence[LoggedEvent],
    country: str | None,
    now: datetime | None = None,
) -> None:
    """Append events Marquee itself produced (playback, My List, thumbs, imported history).

    The producer vouches for the profile and the title (it has just loaded or checked them),
    and the typed constructor validated the fields, so nothing is looked up again here.
    """
    now = now or utcnow()
    if events:
        session.execute(insert(Event), [_row(e, country=country, now=now) for e in events])


def _row(event: LoggedEvent, *, country: str | None, now: datetime) -> dict[str, Any]:
    payload = event.model_dump(mode="json", exclude=_ENVELOPE, exclude_none=True)
    return {
        "profile_id": event.profile_id,
        "title_id": event.title_id,
        "episode_id": event.episode_id,
        "kind": event.kind.value,
        "occurred_at": event.occurred_at or now,
        "country": country,
        "payload": payload,
        "recorded_at": now,
    }


def decode(row: Event) -> LoggedEvent | None:
    """The typed event a stored row holds; None for a row no current kind describes.

    Fields a kind no longer has are ignored, so that rows written before a change still read.
    """
    if row.title_id is None:
        return None
    try:
        return logged_adapter.validate_python(
            {
                **(row.payload or {}),
                "kind": row.kind,
                "profile_id": row.profile_id,
                "title_id": row.title_id,
                "episode_id": row.episode_id,
                "occurred_at": row.occurred_at,
            },
            extra="ignore",
        )
    except ValidationError:
        return None


def prune(*, session: Session, older_than: datetime) -> int:
    """Retention: drop events that happened before `older_than`; returns how many went."""
    result = session.execute(delete(Event).where(Event.occurred_at < older_than))
    return int(getattr(result, "rowcount", 0) or 0)


class RecentEvent(Protocol):
    """One of a profile's latest events, as re-ranking reads it."""

    title_id: uuid.UUID | None
    kind: str
    # Where playback stood and how long the title runs: progress events only, else None.
    position: float | None
    duration: float | None


def recent_rows(
    *, session: Session, profile_id: uuid.UUID, limit: int = 500
) -> Sequence[RecentEvent]:
    """The profile's latest events as light rows (no ORM objects), newest first."""
    progress = Event.kind == EventKind.PROGRESS.value
    # Read in SQL, and only from progress events: no payload is decoded in Python.
    position = case((progress, Event.payload["position"].as_float()), else_=null())
    duration = case((progress, Event.payload["duration"].as_float()), else_=null())
    query = (
        select(Event.title_id, Event.kind, position.label("position"), duration.label("duration"))
        .where(Event.profile_id == profile_id)
        .order_by(Event.occurred_at.desc(), Event.id.desc())
        .limit(limit)
    )
    return session.execute(query).all()
