"""`marquee demo`: migrate, then load demo accounts and the MovieLens demo catalogue (idempotent).

MovieLens-100K gives 1,682 movies and 100,000 ratings by 943 people. Each
person becomes a demo account with one profile, and their ratings become that
profile's history in the event log, so recommendations have real data to learn.

The ratings were given in 1997-98. Kept at those dates, the log's retention (400 days by
default) would delete the whole history at the first daily prune, and the home rows would be
retrained on nothing. So the history is moved forward as one block: it keeps its order and
the spacing between ratings, and ends `HISTORY_ENDS_BEFORE` before the moment of the import.
Its seven months then stay inside retention for the demo's first half year of running and
age out one day at a time after that, like any other viewing history. Running the demo again
on an install loaded before this holds gives it the history back, moved (`restore_history`).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from marquee.accounts import billing, service
from marquee.accounts.models import Profile, Role, Subscription, SubscriptionStatus, User
from marquee.accounts.security import hash_password
from marquee.catalog import movielens
from marquee.catalog.importer import import_movies, insert_rows
from marquee.datasets import movielens_100k
from marquee.db import refresh_statistics, transaction, utcnow
from marquee.demo.media import attach_demo_media
from marquee.demo.series import ensure_demo_series
from marquee.events import service as events
from marquee.events.models import Event
from marquee.events.schemas import EventKind, Rating
from marquee.maturity import Maturity
from marquee.migrate import upgrade
from marquee.recommend import train_db
from marquee.recommend.tables import ModelRun
from marquee.search import hooks as search_hooks

if TYPE_CHECKING:
    from marquee.runtime import Runtime

DEMO_PASSWORD = "marquee-demo"
DEMO_ACCOUNTS = (
    ("viewer@marquee.demo", Role.VIEWER, "premium"),
    ("editor@marquee.demo", Role.EDITOR, "premium"),
    ("admin@marquee.demo", Role.ADMIN, "premium"),
)
HISTORY_EMAIL = "ml-user-{}@marquee.demo"
HISTORY_PLAN = "standard"
HISTORY_COUNTRY = "US"  # MovieLens-100K was collected from US users
HISTORY_ENDS_BEFORE = timedelta(days=3)
# Ratings dated before this were imported before the history was moved (see above).
UNMOVED_BEFORE = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ImportReport:
    titles_added: int
    accounts_added: int
    events_added: int
    seconds: float


def ensure_demo_accounts(*, runtime: Runtime) -> None:
    with transaction(runtime.sessionmaker) as session:
        for email, role, plan in DEMO_ACCOUNTS:
            user = service.get_user_by_email(session=session, email=email)
            if user is None:
                user = service.register(
                    session=session,
                    settings=runtime.settings,
                    email=email,
                    password=DEMO_PASSWORD,
                    display_name=email.split("@")[0].title(),
                    role=role,
                )
                billing.grant_plan(session=session, user=user, plan_code=plan, period_days=3650)


def _existing_history_accounts(session: Session) -> set[int]:
    pattern = HISTORY_EMAIL.format("%")
    emails = session.scalars(select(User.email).where(User.email.like(pattern)))
    return {int(email.split("@")[0].rsplit("-", 1)[1]) for email in emails}


def _account_rows(user_ids: list[int], password_hash: str) -> dict[str, list[dict[str, Any]]]:
    now = utcnow()
    rows: dict[str, list[dict[str, Any]]] = {"users": [], "profiles": [], "subscriptions": []}
    for ml_id in user_ids:
        user_id, profile_id = uuid.uuid4(), uuid.uuid4()
        rows["users"].append(
            {
                "id": user_id,
                "email": HISTORY_EMAIL.format(ml_id),
                "password_hash": password_hash,
                "role": Role.VIEWER,
                "display_name": f"MovieLens {ml_id}",
                "country": HISTORY_COUNTRY,
            }
        )
        rows["profiles"].append(
            {
                "id": profile_id,
                "user_id": user_id,
                "name": "Main",
                "maturity_ceiling": Maturity.ADULTS,
            }
        )
        rows["subscriptions"].append(
            {
                "id": uuid.uuid4(),
                "user_id": user_id,
                "plan_code": HISTORY_PLAN,
                "status": SubscriptionStatus.ACTIVE,
                "current_period_end": now + timedelta(days=3650),
            }
        )
    return rows


def import_accounts(*, session: Session, user_ids: list[int]) -> dict[int, uuid.UUID]:
    """Create the MovieLens people not imported yet; returns their ids → new profile ids."""
    done = _existing_history_accounts(session)
    fresh = [ml_id for ml_id in user_ids if ml_id not in done]
    if not fresh:
        return {}
    # One hash for all: argon2 is slow on purpose, and these accounts share a password.
    rows = _account_rows(fresh, hash_password(DEMO_PASSWORD))
    insert_rows(session, User, rows["users"])
    insert_rows(session, Profile, rows["profiles"])
    insert_rows(session, Subscription, rows["subscriptions"])
    return {ml_id: p["id"] for ml_id, p in zip(fresh, rows["profiles"], strict=True)}


def history_shift(ratings: list[movielens.Rating], now: datetime) -> timedelta:
    """How far the imported history moves so that its last rating falls before `now`."""
    if not ratings:
        return timedelta(0)
    last = datetime.fromtimestamp(max(r.timestamp for r in ratings), UTC)
    return (now - HISTORY_ENDS_BEFORE) - last


def import_history(
    *,
    session: Session,
    ratings: list[movielens.Rating],
    profiles: dict[int, uuid.UUID],
    titles: dict[int, uuid.UUID],
    now: datetime,
) -> int:
    """Ratings of newly created profiles become `rating` events, moved to recent dates."""
    shift = history_shift(ratings, now)
    history = [
        Rating(
            profile_id=profiles[r.user_id],
            title_id=titles[r.item_id],
            occurred_at=datetime.fromtimestamp(r.timestamp, UTC) + shift,
            rating=r.rating,
            source=movielens.SOURCE,
        )
        for r in ratings
        if r.user_id in profiles and r.item_id in titles
    ]
    events.append(session=session, events=history, country=HISTORY_COUNTRY, now=now)
    return len(history)


def _history_profiles(session: Session) -> dict[int, uuid.UUID]:
    query = (
        select(User.email, Profile.id)
        .join(Profile, Profile.user_id == User.id)
        .where(User.email.like(HISTORY_EMAIL.format("%")))
    )
    return {
        int(email.split("@")[0].rsplit("-", 1)[1]): pid for email, pid in session.execute(query)
    }


def restore_history(
    *,
    session: Session,
    ratings: list[movielens.Rating],
    titles: dict[int, uuid.UUID],
    now: datetime,
) -> int:
    """Give back, moved, a history that an install loaded before the move lost or would lose.

    Such an install holds the ratings at their 1997-98 dates, where the next prune deletes
    them, or has already lost them to it; either way the home rows would have nothing to learn
    from. A history that is there and moved is left alone.
    """
    rated = Event.kind == EventKind.RATING.value
    session.execute(delete(Event).where(rated, Event.occurred_at < UNMOVED_BEFORE))
    if session.scalar(select(Event.id).where(rated).limit(1)) is not None:
        return 0
    profiles = _history_profiles(session)
    if not profiles:
        return 0
    return import_history(
        session=session, ratings=ratings, profiles=profiles, titles=titles, now=now
    )


def import_movielens(
    *, session: Session, directory: Path, now: datetime | None = None
) -> ImportReport:
    """Titles, accounts and history from a MovieLens-100K directory; a re-run adds nothing."""
    started = time.perf_counter()
    now = now or utcnow()
    movies = movielens.read_movies(directory / "ml-100k.item")
    titles, titles_added = import_movies(session=session, movies=movies)
    if titles_added:
        # Bulk inserts pass the search outbox by: name the titles, so that this
        # transaction queues their re-index like any other catalogue change.
        search_hooks.touch_titles(session=session, title_ids=titles.values())
    user_ids = movielens.read_user_ids(directory / "ml-100k.user")
    profiles = import_accounts(session=session, user_ids=user_ids)
    ratings = list(movielens.read_ratings(directory / "ml-100k.inter"))
    if profiles:
        added = import_history(
            session=session, ratings=ratings, profiles=profiles, titles=titles, now=now
        )
    else:
        added = restore_history(session=session, ratings=ratings, titles=titles, now=now)
    session.flush()
    return ImportReport(titles_added, len(profiles), added, time.perf_counter() - started)


def load_movielens(*, runtime: Runtime, now: datetime | None = None) -> ImportReport:
    directory = movielens_100k(runtime.settings.var_dir / "cache")
    with transaction(runtime.sessionmaker) as session:
        return import_movielens(session=session, directory=directory, now=now)


def load_demo_series(*, runtime: Runtime) -> int:
    with transaction(runtime.sessionmaker) as session:
        return ensure_demo_series(session=session)


def train_recommendations(*, runtime: Runtime, force: bool) -> float | None:
    """Fit the home-row models on the history unless a fitted run exists; returns seconds taken."""
    with transaction(runtime.sessionmaker) as session:
        if not force and session.scalar(select(ModelRun.id).limit(1)) is not None:
            return None
        summary = train_db.train(session=session)
        refresh_statistics(session)
        return summary.seconds if summary else None


def _media_summary(runtime: Runtime) -> str:
    media = attach_demo_media(runtime=runtime)
    return (
        f"; media in {media.seconds:.1f}s: {media.clips_encoded} clips encoded, "
        f"{media.titles} titles and {media.episodes} episodes made playable"
    )


def load_demo(runtime: Runtime, *, media: bool = False, now: datetime | None = None) -> str:
    """Load everything on `runtime` (as every command, on its sessions: the titles added
    queue their search re-index for the worker); with `media`, encode the demo clips (once)
    so every title plays.

    `now` is the moment the imported history is placed before (the current time by default).
    """
    started = time.perf_counter()
    upgrade(runtime)
    ensure_demo_accounts(runtime=runtime)
    report = load_movielens(runtime=runtime, now=now)
    series = load_demo_series(runtime=runtime)
    trained = train_recommendations(runtime=runtime, force=report.events_added > 0)
    playable = _media_summary(runtime) if media else ""
    elapsed = time.perf_counter() - started
    return (
        f"demo ready in {elapsed:.1f}s (MovieLens import {report.seconds:.1f}s: "
        f"{report.titles_added} titles, {report.accounts_added} accounts, "
        f"{report.events_added} events added; {series} demo series added"
        f"{f'; recommendations trained in {trained:.1f}s' if trained is not None else ''}"
        f"{playable})\n"
        f"sign in as {DEMO_ACCOUNTS[0][0]} / {DEMO_PASSWORD} "
        f"(editor: {DEMO_ACCOUNTS[1][0]}, admin: {DEMO_ACCOUNTS[2][0]}; "
        f"history accounts: {HISTORY_EMAIL.format(1)} … {HISTORY_EMAIL.format(943)})"
    )
