"""Playback test data: published, playable titles and series, and viewers on a chosen plan."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete
from sqlalchemy.orm import Session

from marquee.accounts import billing
from marquee.accounts.models import Subscription, SubscriptionStatus, User
from marquee.catalog.models import Episode, PublishState, Season, Title, TitleKind
from marquee.db import transaction, utcnow
from marquee.storage import keys
from marquee.versions.models import MediaVersion
from marquee.versions.schemas import Artwork, AudioTrack, Rendition, SubtitleTrack
from tests.catalog.factories import make_title
from tests.support import ApiUser, signup

HEIGHTS = (240, 480, 720, 1080)
_WIDTHS = {240: 426, 360: 640, 480: 854, 720: 1280, 1080: 1920, 2160: 3840}
_BANDWIDTHS = {240: 400_000, 360: 800_000, 480: 1_400_000, 720: 3_000_000, 1080: 6_000_000}


def rendition(height: int, codecs: str = "avc1.640028", frame_rate: float = 25.0) -> Rendition:
    """One video rendition as the packager describes it on a version row."""
    return Rendition(
        name=f"{height}p",
        width=_WIDTHS.get(height, height * 16 // 9),
        height=height,
        bandwidth=_BANDWIDTHS.get(height, 10_000_000),
        average_bandwidth=_BANDWIDTHS.get(height, 10_000_000) * 3 // 4,
        codecs=codecs,
        frame_rate=frame_rate,
    )


def make_version(
    session: Session,
    *,
    title_id: uuid.UUID,
    episode_id: uuid.UUID | None = None,
    duration: float = 600.0,
    heights: tuple[int, ...] = HEIGHTS,
    frame_rate: float = 25.0,
    segment_seconds: float = 4.0,
) -> MediaVersion:
    """A ready version row (no files): 240/480/720/1080p, English audio and subtitles."""
    version_id = uuid.uuid4()
    version = MediaVersion(
        id=version_id,
        title_id=title_id,
        episode_id=episode_id,
        duration_seconds=duration,
        segment_seconds=segment_seconds,
        renditions=tuple(rendition(h, frame_rate=frame_rate) for h in heights),
        audio_tracks=(AudioTrack(name="audio_en", language="en", codecs="mp4a.40.2"),),
        subtitle_tracks=(SubtitleTrack(name="en", language="en"),),
        prefix=keys.version_prefix(version_id),
        hls_master=keys.manifest_hls(version_id),
        dash_manifest=keys.manifest_dash(version_id),
        artwork=Artwork(trickplay=keys.trickplay_track(version_id)),
    )
    session.add(version)
    session.flush()
    return version


def make_playable_title(
    session: Session,
    name: str | None = None,
    *,
    rating: str = "PG",
    windows: list[tuple[str, datetime, datetime | None]] | None = None,
    state: PublishState = PublishState.PUBLISHED,
    encrypted: bool = False,
    duration: float = 600.0,
    heights: tuple[int, ...] = HEIGHTS,
    with_version: bool = True,
) -> Title:
    """A movie, available worldwide unless `windows` says otherwise, pointing at a ready version."""
    title = make_title(session, name, rating=rating, windows=windows, state=state)
    title.encrypted = encrypted
    if with_version:
        version = make_version(session, title_id=title.id, duration=duration, heights=heights)
        title.current_version_id = version.id
    session.flush()
    return title


@dataclass
class Series:
    title: Title
    episodes: list[Episode]  # in viewing order: season by season, episode by episode


def make_playable_series(
    session: Session,
    *,
    seasons: int = 2,
    per_season: int = 2,
    duration: float = 1500.0,
    credits_start: int | None = 1380,
    rating: str = "TV-PG",
) -> Series:
    """A published series whose every episode has a ready version and intro/credits markers."""
    title = make_title(session, rating=rating, kind=TitleKind.SERIES)
    title.encrypted = False
    episodes: list[Episode] = []
    for season_number in range(1, seasons + 1):
        season = Season(title_id=title.id, number=season_number)
        session.add(season)
        session.flush()
        for number in range(1, per_season + 1):
            episode = Episode(
                season_id=season.id,
                title_id=title.id,
                number=number,
                name=f"S{season_number}E{number}",
                intro_start_seconds=30,
                intro_end_seconds=90,
                credits_start_seconds=credits_start,
            )
            session.add(episode)
            session.flush()
            version = make_version(
                session, title_id=title.id, episode_id=episode.id, duration=duration
            )
            episode.current_version_id = version.id
            episodes.append(episode)
    session.flush()
    return Series(title=title, episodes=episodes)


def set_plan(session: Session, *, user_id: uuid.UUID | str, plan: str | None) -> None:
    """Give the account an active `plan` for 30 days, or no subscription at all with None."""
    user = session.get(User, uuid.UUID(str(user_id)))
    assert user is not None
    if plan is None:
        session.execute(delete(Subscription).where(Subscription.user_id == user.id))
        session.expire(user)
        return
    billing.grant_plan(session=session, user=user, plan_code=plan, period_days=30)


def cancel_in_past(session: Session, *, user_id: uuid.UUID | str) -> None:
    """A canceled subscription whose paid period ended yesterday."""
    user = session.get(User, uuid.UUID(str(user_id)))
    assert user is not None
    assert user.subscription is not None
    user.subscription.status = SubscriptionStatus.CANCELED
    user.subscription.canceled_at = utcnow() - timedelta(days=10)
    user.subscription.current_period_end = utcnow() - timedelta(days=1)
    session.flush()


def make_viewer(client: TestClient, app: FastAPI, *, plan: str | None = "standard") -> ApiUser:
    """A signed-up account on `plan` (None: no subscription), with its default adult profile."""
    user = signup(client)
    with transaction(app.state.runtime.sessionmaker) as session:
        set_plan(session, user_id=user.id, plan=plan)
    return user


def add_kids_profile(client: TestClient, user: ApiUser, name: str = "Kids") -> str:
    """A kids profile (ceiling PG / TV-PG at most) on the account; returns its id."""
    response = client.post(
        "/api/v1/me/profiles", json={"name": name, "is_kids": True}, headers=user.headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def start_body(
    profile_id: str,
    *,
    title_id: uuid.UUID | None = None,
    episode_id: uuid.UUID | None = None,
    device: str = "Laptop",
    max_height: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The JSON body of `POST /api/v1/playback/sessions`."""
    body: dict[str, Any] = {
        "profile_id": profile_id,
        "device": {"codecs": ["avc1", "mp4a"], "name": device},
        **extra,
    }
    if max_height is not None:
        body["device"]["max_height"] = max_height
    if title_id is not None:
        body["title_id"] = str(title_id)
    if episode_id is not None:
        body["episode_id"] = str(episode_id)
    return body


@pytest.fixture
def in_app_db(app: FastAPI) -> Callable[[], Any]:
    """`with in_app_db() as session:` a committed unit of work on the app's own database."""
    return lambda: transaction(app.state.runtime.sessionmaker)


@pytest.fixture
def playable_title(app: FastAPI) -> Title:
    """A committed, published PG movie with a ready 240-1080p version of 600 s, unencrypted."""
    with transaction(app.state.runtime.sessionmaker) as session:
        return make_playable_title(session)


@pytest.fixture
def playable_series(app: FastAPI) -> Series:
    """A committed series of 2 seasons x 2 episodes of 1500 s, credits at 1380 s."""
    with transaction(app.state.runtime.sessionmaker) as session:
        return make_playable_series(session)


@pytest.fixture
def viewer(client: TestClient, app: FastAPI) -> ApiUser:
    """An account on the Standard plan (1080p, 2 streams) with its default profile."""
    return make_viewer(client, app, plan="standard")
