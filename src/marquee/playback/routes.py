"""HTTP routes for playback sessions, heartbeats, the account's streams and resume positions."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, FastAPI, Request, Response, status
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel
from sqlalchemy.orm import Session

from marquee.accounts import profiles
from marquee.accounts.billing import entitlements
from marquee.accounts.errors import ProfileNotFound
from marquee.accounts.models import User
from marquee.accounts.security import decode_access_token
from marquee.audience import Audience
from marquee.config import Settings
from marquee.db import transaction
from marquee.deps import (
    BearerCredentials,
    CurrentProfile,
    CurrentUser,
    DbSession,
    SettingsDep,
    ViewerCountry,
    authenticate,
)
from marquee.errors import AuthenticationFailed, NotFound, problem_responses
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
from marquee.playback.slots import StreamSlots, make_stream_slots

playback = APIRouter(prefix="/playback", tags=["playback"])
profile_rows = APIRouter(prefix="/profiles", tags=["playback"])
routers = [playback, profile_rows]


def install(app: FastAPI) -> None:
    """The stream slot store, built once by the app factory: Redis if configured, else the table."""
    app.state.stream_slots = make_stream_slots(app.state.settings.redis_url)


async def get_slots(request: Request) -> StreamSlots:
    slots: StreamSlots = request.app.state.stream_slots
    return slots


Slots = Annotated[StreamSlots, Depends(get_slots)]


def _json(model: BaseModel, status_code: int = status.HTTP_200_OK) -> JSONResponse:
    """The response serialised once, inside the unit of work's thread.

    A model returned instead would be validated again against the route's response model,
    on the event loop every request of this process shares.
    """
    return JSONResponse(model.model_dump(mode="json"), status_code=status_code)


async def signed_token(
    settings: SettingsDep, credentials: BearerCredentials
) -> HTTPAuthorizationCredentials:
    """A well-formed, unexpired bearer token, checked on the event loop (no database).

    So that, as with `CurrentUser`, a caller without a valid token hears 401 before any
    complaint about the body; the account itself is loaded in the request's unit of work.
    """
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationFailed("Sign in to continue.")
    decode_access_token(
        secret=settings.secret_key.get_secret_value(), token=credentials.credentials
    )
    return credentials


Token = Annotated[HTTPAuthorizationCredentials, Depends(signed_token)]
Work = Callable[[Session, User], Response]


def _in_thread(request: Request, credentials: HTTPAuthorizationCredentials, work: Work) -> Response:
    """Authenticate, run `work` and commit in one unit of work on one thread.

    The hot playback requests (start, heartbeat, stop) take one thread-pool hop instead of
    one per dependency, and a request never needs a second thread to give its database
    connection back: with the session as a generator dependency, a burst of starts could
    fill the thread pool with requests waiting for a connection while the requests holding
    the connections waited for a thread to commit and return them.
    """
    settings: Settings = request.app.state.settings
    with transaction(request.app.state.sessionmaker) as session:
        user = authenticate(session=session, settings=settings, credentials=credentials)
        return work(session, user)


async def _one_hop(
    request: Request, credentials: HTTPAuthorizationCredentials, work: Work
) -> Response:
    return await anyio.to_thread.run_sync(_in_thread, request, credentials, work)


@playback.post(
    "/sessions",
    status_code=status.HTTP_201_CREATED,
    response_model=SessionRead,
    responses=problem_responses(
        ProfileNotFound,
        NotFound,
        SubscriptionRequired,
        NotAvailableInRegion,
        MaturityRestricted,
        NotPlayable,
        TooManyStreams,
        NoSupportedRendition,
    ),
)
async def start_session(
    request: Request,
    body: SessionCreate,
    credentials: Token,
    settings: SettingsDep,
    slots: Slots,
    country: ViewerCountry,
) -> Response:
    """Press play: entitlement checks, a stream slot, signed HLS/DASH URLs and where to start."""

    def work(session: Session, user: User) -> Response:
        profile = profiles.get_profile(session=session, user=user, profile_id=body.profile_id)
        started = service.start_session(
            session=session,
            settings=settings,
            slots=slots,
            user=user,
            profile=profile,
            country=country,
            data=body,
        )
        read = _session_read(
            session, settings.media_base_url, settings.playback_heartbeat_seconds, started
        )
        return _json(read, status.HTTP_201_CREATED)

    return await _one_hop(request, credentials, work)


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
        license_url=started.license_url,
        key_system=CLEARKEY_SYSTEM if started.license_url else None,
        resume_position=started.resume_position,
        start_position=started.start_position,
        start_segment=started.start_segment,
        segment_seconds=started.segment_seconds,
        duration=target.version.duration_seconds,
        expires_at=pb.expires_at,
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
async def heartbeat(
    request: Request,
    session_id: uuid.UUID,
    body: HeartbeatCreate,
    credentials: Token,
    settings: SettingsDep,
    slots: Slots,
) -> Response:
    """About every `heartbeat_seconds`: keeps the stream slot and saves the position."""

    def work(session: Session, user: User) -> Response:
        expires_at = heartbeats.heartbeat(
            session=session,
            settings=settings,
            slots=slots,
            user=user,
            session_id=session_id,
            data=body,
        )
        read = HeartbeatRead(
            expires_at=expires_at, next_heartbeat_seconds=settings.playback_heartbeat_seconds
        )
        return _json(read)

    return await _one_hop(request, credentials, work)


@playback.post(
    "/sessions/{session_id}/stop",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(SessionNotFound),
)
async def stop_session(
    request: Request,
    session_id: uuid.UUID,
    body: StopCreate,
    credentials: Token,
    slots: Slots,
) -> Response:
    """Frees the stream slot and saves where the viewer stopped."""

    def work(session: Session, user: User) -> Response:
        heartbeats.stop(
            session=session, slots=slots, user=user, session_id=session_id, position=body.position
        )
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return await _one_hop(request, credentials, work)


@playback.get("/streams", response_model=StreamList)
def list_streams(user: CurrentUser, session: DbSession, slots: Slots) -> StreamList:
    """The account's streams playing now, for "signed in on these devices"."""
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
        for pb, name in service.live_streams(session=session, slots=slots, user=user)
    ]
    return StreamList(items=items, max_streams=entitlements(user=user).max_streams)


@playback.get(
    "/positions", response_model=PositionList, responses=problem_responses(ProfileNotFound)
)
def list_positions(
    profile: CurrentProfile, session: DbSession, title_id: uuid.UUID
) -> PositionList:
    """Where this profile is in a movie, or in each episode of a series."""
    items = positions.for_title(session=session, profile_id=profile.id, title_id=title_id)
    return PositionList(items=items)


@profile_rows.get(
    "/{profile_id}/continue-watching",
    response_model=ContinueWatchingList,
    responses=problem_responses(ProfileNotFound),
)
def continue_watching(
    profile_id: uuid.UUID, user: CurrentUser, session: DbSession, country: ViewerCountry
) -> ContinueWatchingList:
    """Unfinished titles, newest first, only those this profile may still watch here."""
    profile = profiles.get_profile(session=session, user=user, profile_id=profile_id)
    audience = Audience(country=country, max_maturity=profile.maturity_ceiling)
    items = positions.continue_watching(session=session, profile_id=profile.id, audience=audience)
    return ContinueWatchingList(items=items)
