"""HTTP routes for playback sessions, heartbeats, the account's streams and resume positions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status
from sqlalchemy.orm import Session

from marquee.accounts.billing import entitlements
from marquee.accounts.errors import ProfileLocked, ProfileNotFound
from marquee.db import transaction
from marquee.delivery.signing import MediaLink, cookie_prefix, media_cookie
from marquee.deps import (
    Claims,
    ProfileTokenHeader,
    ProfileUnit,
    ProfileWork,
    QueryProfileWork,
    RuntimeDep,
    ViewerCountry,
    load_user,
    model_response,
)
from marquee.errors import NotFound, problem_responses
from marquee.playback import heartbeats, positions, service
from marquee.playback.errors import (
    MaturityRestricted,
    NoSupportedRendition,
    NotAvailableInRegion,
    NotPlayable,
    PositionOutOfRange,
    SessionEnded,
    SessionNotFound,
    SubscriptionRequired,
    TooManyStreams,
)
from marquee.playback.licenses import CLEARKEY_SYSTEM
from marquee.playback.schemas import (
    ContinueWatchingList,
    HeartbeatCreate,
    HeartbeatRead,
    Markers,
    NextEpisode,
    PositionList,
    SessionCreate,
    SessionRead,
    StopCreate,
    StreamList,
    StreamRead,
)
from marquee.playback.slots import StreamSlots

playback = APIRouter(prefix="/playback", tags=["playback"])
profile_rows = APIRouter(prefix="/profiles", tags=["playback"])
routers = [playback, profile_rows]


async def get_slots(runtime: RuntimeDep) -> StreamSlots:
    return runtime.slots


Slots = Annotated[StreamSlots, Depends(get_slots)]


# The hot playback requests (start, heartbeat, stop) are plain functions whose dependencies
# are all coroutines that touch no database: each request takes one thread-pool hop, and in
# it one unit of work, which loads the account, does the work and commits. A request never
# needs a second thread to give its database connection back (with the session as a
# generator dependency, a burst of starts could fill the thread pool with requests waiting
# for a connection while the requests holding the connections waited for a thread to commit).


@playback.post(
    "/sessions",
    status_code=status.HTTP_201_CREATED,
    response_model=SessionRead,
    responses=problem_responses(
        ProfileNotFound,
        ProfileLocked,
        NotFound,
        SubscriptionRequired,
        NotAvailableInRegion,
        MaturityRestricted,
        NotPlayable,
        TooManyStreams,
        NoSupportedRendition,
    ),
)
def start_session(
    body: SessionCreate,
    claims: Claims,
    runtime: RuntimeDep,
    country: ViewerCountry,
    profile_token: ProfileTokenHeader = None,
) -> Response:
    """Press play: entitlement checks, a stream slot, signed HLS/DASH URLs and where to start."""
    settings = runtime.settings
    # The profile is named in the body, so the unit is built here rather than as a dependency.
    work = ProfileUnit(claims, runtime, body.profile_id, country, profile_token)
    with work.begin() as (session, profile, _):
        started = service.start_session(
            session=session,
            settings=settings,
            slots=runtime.slots,
            store=runtime.store,
            user=profile.user,
            profile=profile,
            country=country,
            data=body,
            now=runtime.clock(),
        )
        read = _session_read(
            session, settings.media_base_url, settings.playback_heartbeat_seconds, started
        )
    return _with_media_cookie(
        model_response(read, status.HTTP_201_CREATED), started.link, runtime.clock()
    )


def _with_media_cookie(response: Response, link: MediaLink, now: datetime) -> Response:
    """The session's media cookie, for players that cannot rewrite their media URLs."""
    cookie = media_cookie(link, now=now)
    response.set_cookie(
        cookie.name,
        cookie.value,
        max_age=cookie.max_age,
        path=cookie.path,
        secure=True,
        httponly=True,
        samesite="strict",
    )
    return response


def _session_read(
    session: Session, base_url: str, heartbeat_seconds: int, started: service.Started
) -> SessionRead:
    pb, target = started.playback, started.target
    prefix = f"{base_url}{started.link.prefix}"
    episode = target.episode
    trickplay = target.version.artwork.trickplay
    upcoming = service.next_episode_of(session=session, episode_id=pb.episode_id)
    return SessionRead(
        session_id=pb.id,
        hls_url=f"{prefix}master.m3u8",
        dash_url=f"{prefix}manifest.mpd",
        native_hls_url=f"{base_url}{cookie_prefix(started.link)}master.m3u8",
        license_url=started.license_url,
        key_system=CLEARKEY_SYSTEM if started.license_url else None,
        resume_position=started.resume_position,
        start_position=started.start_position,
        start_segment=started.start_segment,
        segment_seconds=started.segment_seconds,
        duration=target.version.duration_seconds,
        expires_at=pb.expires_at,
        media_token=started.link.token,
        heartbeat_seconds=heartbeat_seconds,
        title_id=pb.title_id,
        episode_id=pb.episode_id,
        max_height=pb.max_height,
        trickplay_url=_version_url(prefix, target.version.prefix, trickplay),
        markers=Markers(
            intro_start=episode.intro_start_seconds if episode else None,
            intro_end=episode.intro_end_seconds if episode else None,
            credits_start=episode.credits_start_seconds if episode else None,
        ),
        next_episode=NextEpisode(
            episode_id=upcoming.id,
            title=upcoming.name,
            season=upcoming.season.number,
            number=upcoming.number,
        )
        if upcoming
        else None,
    )


def _version_url(prefix: str, version_prefix: str, key: object) -> str | None:
    """A stored key of the version as a URL under the session's signed prefix."""
    if not isinstance(key, str) or not key.startswith(version_prefix):
        return None
    return f"{prefix}{key[len(version_prefix) :]}"


@playback.post(
    "/sessions/{session_id}/heartbeat",
    response_model=HeartbeatRead,
    responses=problem_responses(SessionNotFound, SessionEnded, PositionOutOfRange),
)
def heartbeat(
    session_id: uuid.UUID, body: HeartbeatCreate, claims: Claims, runtime: RuntimeDep
) -> Response:
    """About every `heartbeat_seconds`: keeps the stream slot and saves the position."""
    settings = runtime.settings
    with transaction(runtime.sessionmaker) as session:
        user = load_user(session=session, claims=claims)
        renewal = heartbeats.heartbeat(
            session=session,
            settings=settings,
            slots=runtime.slots,
            user=user,
            session_id=session_id,
            data=body,
            now=runtime.clock(),
            durations=runtime.durations,
        )
    read = HeartbeatRead(
        expires_at=renewal.slot_expires_at,
        next_heartbeat_seconds=settings.playback_heartbeat_seconds,
        media_token=renewal.link.token,
        media_expires_at=renewal.link.expires_at,
        max_height=renewal.max_height,
        license_url=renewal.license_url,
    )
    return _with_media_cookie(model_response(read), renewal.link, runtime.clock())


@playback.post(
    "/sessions/{session_id}/stop",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(SessionNotFound),
)
def stop_session(
    session_id: uuid.UUID, body: StopCreate, claims: Claims, runtime: RuntimeDep
) -> Response:
    """Frees the stream slot and saves where the viewer stopped."""
    with transaction(runtime.sessionmaker) as session:
        user = load_user(session=session, claims=claims)
        heartbeats.stop(
            session=session,
            slots=runtime.slots,
            user=user,
            session_id=session_id,
            position=body.position,
            now=runtime.clock(),
            durations=runtime.durations,
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@playback.get("/streams", response_model=StreamList)
def list_streams(claims: Claims, runtime: RuntimeDep) -> Response:
    """The account's streams playing now, for "signed in on these devices"."""
    with transaction(runtime.sessionmaker) as session:
        user = load_user(session=session, claims=claims)
        items = [
            StreamRead(
                session_id=pb.id,
                profile_id=pb.profile_id,
                title_id=pb.title_id,
                title=name,
                device_name=str(pb.device.get("name", "")),
                started_at=pb.created_at,
                last_seen_at=pb.last_seen_at,
            )
            for pb, name in service.live_streams(session=session, slots=runtime.slots, user=user)
        ]
        streams = StreamList(items=items, max_streams=entitlements(user=user).max_streams)
    return model_response(streams)


@playback.get(
    "/positions",
    response_model=PositionList,
    responses=problem_responses(ProfileNotFound, ProfileLocked),
)
def list_positions(work: QueryProfileWork, title_id: uuid.UUID) -> Response:
    """Where this profile is in a movie, or in each episode of a series."""
    with work.begin() as (session, profile, _):
        items = positions.for_title(session=session, profile_id=profile.id, title_id=title_id)
        found = PositionList(items=items)
    return model_response(found)


@profile_rows.get(
    "/{profile_id}/continue-watching",
    response_model=ContinueWatchingList,
    responses=problem_responses(ProfileNotFound, ProfileLocked),
)
def continue_watching(work: ProfileWork) -> Response:
    """Unfinished titles, newest first, only those this profile may still watch here."""
    with work.begin() as (session, profile, audience):
        items = positions.continue_watching(
            session=session, profile_id=profile.id, audience=audience
        )
        rows = ContinueWatchingList(items=items)
    return model_response(rows)
