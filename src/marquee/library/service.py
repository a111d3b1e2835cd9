"""My List and thumbs ratings: saved and judged only when visible, and logged as events.

Every change is also appended to the event log (`my_list_add`, `thumbs_up`, ...) so that home
rows and the recommenders learn from it the same way they learn from viewing.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from marquee.audience import Audience
from marquee.catalog.browse import title_not_found
from marquee.catalog.models import Title
from marquee.catalog.visibility import visible_to
from marquee.events import service as events
from marquee.events.schemas import LoggedEvent, MyListAdd, MyListRemove, ThumbsDown, ThumbsUp
from marquee.library.models import MyListEntry, TitleRating
from marquee.pagination import PageParams


def _require_visible(session: Session, audience: Audience, title_id: uuid.UUID) -> None:
    found = session.scalar(select(Title.id).where(Title.id == title_id, visible_to(audience)))
    if found is None:
        raise title_not_found()


def _log(session: Session, audience: Audience, event: LoggedEvent) -> None:
    # The title was just checked visible (or the entry existed) and the profile is the caller's.
    events.append(session=session, events=[event], country=audience.country)


def add_to_list(
    *, session: Session, audience: Audience, profile_id: uuid.UUID, title_id: uuid.UUID
) -> MyListEntry:
    """Save a visible title; saving it again keeps the first `added_at`."""
    _require_visible(session, audience, title_id)
    entry = session.get(MyListEntry, (profile_id, title_id))
    if entry is None:
        entry = MyListEntry(profile_id=profile_id, title_id=title_id)
        session.add(entry)
        session.flush()
        _log(session, audience, MyListAdd(profile_id=profile_id, title_id=title_id))
    return entry


def remove_from_list(
    *, session: Session, audience: Audience, profile_id: uuid.UUID, title_id: uuid.UUID
) -> None:
    """Forget a saved title; allowed even when it is no longer visible, and idempotent."""
    result = session.execute(
        delete(MyListEntry).where(
            MyListEntry.profile_id == profile_id, MyListEntry.title_id == title_id
        )
    )
    if getattr(result, "rowcount", 0):
        _log(session, audience, MyListRemove(profile_id=profile_id, title_id=title_id))


def list_status(
    *, session: Session, audience: Audience, profile_id: uuid.UUID, title_id: uuid.UUID
) -> MyListEntry | None:
    _require_visible(session, audience, title_id)
    return session.get(MyListEntry, (profile_id, title_id))


def list_entries(
    *, session: Session, audience: Audience, profile_id: uuid.UUID, params: PageParams
) -> tuple[list[tuple[Title, datetime]], int]:
    """Saved titles this audience may see now, newest first; hidden ones stay saved but unlisted."""
    query = (
        select(Title, MyListEntry.added_at)
        .join(MyListEntry, MyListEntry.title_id == Title.id)
        .where(MyListEntry.profile_id == profile_id, visible_to(audience))
    )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = (
        query.order_by(MyListEntry.added_at.desc(), Title.id)
        .offset(params.offset)
        .limit(params.limit)
        .options(selectinload(Title.genres))
    )
    rows = [(title, added_at) for title, added_at in session.execute(page)]
    return rows, total


def get_rating(
    *, session: Session, audience: Audience, profile_id: uuid.UUID, title_id: uuid.UUID
) -> TitleRating | None:
    _require_visible(session, audience, title_id)
    return session.get(TitleRating, (profile_id, title_id))


def rate(
    *,
    session: Session,
    audience: Audience,
    profile_id: uuid.UUID,
    title_id: uuid.UUID,
    value: int,
) -> TitleRating:
    """Thumbs up (+1) or down (-1) on a visible title; the same value again changes nothing."""
    if value not in (-1, 1):
        raise ValueError("a rating is -1 or 1")
    _require_visible(session, audience, title_id)
    rating = session.get(TitleRating, (profile_id, title_id))
    if rating is not None and rating.value == value:
        return rating
    if rating is None:
        rating = TitleRating(profile_id=profile_id, title_id=title_id, value=value)
        session.add(rating)
    else:
        rating.value = value
    session.flush()
    judged = ThumbsUp if value > 0 else ThumbsDown
    _log(session, audience, judged(profile_id=profile_id, title_id=title_id))
    return rating


def unrate(
    *, session: Session, audience: Audience, profile_id: uuid.UUID, title_id: uuid.UUID
) -> None:
    """Withdraw a rating (idempotent). The log keeps the old judgement until a new one comes."""
    session.execute(
        delete(TitleRating).where(
            TitleRating.profile_id == profile_id, TitleRating.title_id == title_id
        )
    )
