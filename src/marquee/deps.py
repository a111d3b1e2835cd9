"""Annotated dependencies shared by every router: the runtime, the caller's claims, the country,
and the request's unit of work (`ProfileWork`, `AccountWork`, `EditorWork`, `AdminWork`,
`unit_of_work`, `model_response`).

Dependencies that are coroutines touch no database and cost no thread-pool hop; a route that
needs the database is a plain function that opens its one transaction in its body.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, NamedTuple, TypeVar

import anyio.to_thread
from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from marquee.accounts import profile_lock
from marquee.accounts import profiles as account_profiles
from marquee.accounts.errors import AdminRequired, EditorRequired, InvalidToken
from marquee.accounts.models import Profile, Role, User
from marquee.accounts.security import AccessClaims, decode_access_token
from marquee.audience import Audience, resolve_country
from marquee.config import Settings
from marquee.db import transaction
from marquee.errors import AuthenticationFailed
from marquee.ratelimit import RateLimiter
from marquee.runtime import Runtime
from marquee.storage import ObjectStore

T = TypeVar("T")


def runtime_of(app: FastAPI) -> Runtime:
    """The runtime `create_app` put on the app: the one typed thing its state holds."""
    runtime = app.state.runtime
    assert isinstance(runtime, Runtime)
    return runtime


# The trivial dependencies are coroutines: a plain function would cost each request a hop
# to the thread pool and back for an attribute lookup.
async def get_runtime(request: Request) -> Runtime:
    return runtime_of(request.app)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_settings(runtime: RuntimeDep) -> Settings:
    return runtime.settings


async def get_rate_limiter(runtime: RuntimeDep) -> RateLimiter:
    return runtime.rate_limiter


async def get_store(runtime: RuntimeDep) -> ObjectStore:
    return runtime.store


async def unit_of_work(request: Request, work: Callable[[Session], T]) -> T:
    """`work` in one transaction, off the event loop, for async routes that must do other I/O
    between their transactions (a tus PATCH locks the upload, streams the body, then records
    what arrived). Routes that need only one transaction are plain functions instead."""
    factory = runtime_of(request.app).sessionmaker

    def run() -> T:
        with transaction(factory) as session:
            return work(session)

    return await anyio.to_thread.run_sync(run)


def model_response(model: BaseModel, status_code: int = 200) -> JSONResponse:
    """The response serialised once, inside the route's thread.

    A plain-function route that returns a model has it validated again against its response
    model in a second thread-pool hop (or, from a coroutine, on the event loop every request
    of this process shares); the route keeps `response_model` for the OpenAPI document.
    """
    return JSONResponse(model.model_dump(mode="json"), status_code=status_code)


SettingsDep = Annotated[Settings, Depends(get_settings)]
Store = Annotated[ObjectStore, Depends(get_store)]
Limiter = Annotated[RateLimiter, Depends(get_rate_limiter)]

_bearer = HTTPBearer(auto_error=False)
BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def get_claims(settings: SettingsDep, credentials: BearerCredentials) -> AccessClaims:
    """The caller's signed, unexpired access token, checked on the event loop (no database).

    So a caller without a valid token hears 401 before any complaint about the body; the
    route body loads the account (`load_user`) in its one unit of work, which also refuses
    tokens revoked since they were issued.
    """
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationFailed("Sign in to continue.")
    return decode_access_token(
        secret=settings.secret_key.get_secret_value(), token=credentials.credentials
    )


Claims = Annotated[AccessClaims, Depends(get_claims)]


def load_user(*, session: Session, claims: AccessClaims) -> User:
    """The account behind `claims`, in the route's transaction; 401 once its tokens were revoked."""
    user = session.get(User, claims.user_id)
    if user is None or claims.version != user.token_version:
        raise InvalidToken("The access token is no longer valid.")
    return user


def load_editor(*, session: Session, claims: AccessClaims) -> User:
    """`load_user`, refused unless the account may edit the catalogue."""
    user = load_user(session=session, claims=claims)
    if user.role not in (Role.EDITOR, Role.ADMIN):
        raise EditorRequired("This needs the editor role.")
    return user


def load_admin(*, session: Session, claims: AccessClaims) -> User:
    """`load_user`, refused unless the account administers this instance."""
    user = load_user(session=session, claims=claims)
    if user.role != Role.ADMIN:
        raise AdminRequired("This needs the admin role.")
    return user


ProfileId = Annotated[uuid.UUID, Query(description="The profile watching.")]
ProfileTokenHeader = Annotated[
    str | None,
    Header(alias=profile_lock.HEADER, description="From switching into a locked profile."),
]


def load_profile(*, session: Session, claims: AccessClaims, profile_id: uuid.UUID) -> Profile:
    """The caller's profile, loaded in the route's unit of work; another account's is a 404."""
    user = load_user(session=session, claims=claims)
    profile = account_profiles.get_profile(session=session, user=user, profile_id=profile_id)
    # The session holds what it loaded only weakly: without this, `profile.user` would
    # select the account again once `user` goes out of scope here.
    set_committed_value(profile, "user", user)
    return profile


def unlocked_profile(
    *,
    session: Session,
    settings: Settings,
    claims: AccessClaims,
    profile_id: uuid.UUID,
    profile_token: str | None,
) -> Profile:
    """The caller's profile as `profile_id` in the query names it, once `profile_token`
    unlocks it if it has a PIN; loaded in the route's unit of work."""
    profile = load_profile(session=session, claims=claims, profile_id=profile_id)
    return profile_lock.require_unlocked(settings, profile, profile_token)


async def get_country(request: Request, settings: SettingsDep) -> str:
    header = request.headers.get(settings.country_header) if settings.country_header else None
    return resolve_country(
        peer=request.client.host if request.client else None,
        header_value=header,
        forwarded_for=request.headers.get("x-forwarded-for"),
        trusted_proxies=settings.trusted_proxies,
        cidrs=settings.country_cidrs,
        default=settings.default_country,
    )


ViewerCountry = Annotated[str, Depends(get_country)]


class ProfileScope(NamedTuple):
    """What a viewer's unit of work holds: its transaction, the unlocked profile (whose
    `user` is the signed-in account, already loaded) and what that profile may see."""

    session: Session
    profile: Profile
    audience: Audience


class ProfileUnit:
    """A request's unit of work as one of the caller's profiles (another account's is a 404):
    `begin()` opens the one transaction, loads the profile, refuses it while it is locked
    and the request carries no token unlocking it, and says what it may see here and now.
    Built on the event loop without the database, so a plain-function route takes one
    thread-pool hop for its body and its transaction. The profile is named in the path
    (`ProfileWork`) or the query (`QueryProfileWork`); a route that reads it from its body
    builds the unit there.
    """

    def __init__(
        self,
        claims: AccessClaims,
        runtime: Runtime,
        profile_id: uuid.UUID,
        country: str,
        profile_token: str | None = None,
    ) -> None:
        self.claims, self.runtime = claims, runtime
        self.profile_id, self.country, self.profile_token = profile_id, country, profile_token

    @contextmanager
    def begin(self) -> Iterator[ProfileScope]:
        with transaction(self.runtime.sessionmaker) as session:
            profile = unlocked_profile(
                session=session,
                settings=self.runtime.settings,
                claims=self.claims,
                profile_id=self.profile_id,
                profile_token=self.profile_token,
            )
            audience = Audience(country=self.country, max_maturity=profile.maturity_ceiling)
            yield ProfileScope(session, profile, audience)


async def get_profile_work(
    claims: Claims,
    runtime: RuntimeDep,
    profile_id: uuid.UUID,
    country: ViewerCountry,
    profile_token: ProfileTokenHeader = None,
) -> ProfileUnit:
    return ProfileUnit(claims, runtime, profile_id, country, profile_token)


async def get_query_profile_work(
    claims: Claims,
    runtime: RuntimeDep,
    profile_id: ProfileId,
    country: ViewerCountry,
    profile_token: ProfileTokenHeader = None,
) -> ProfileUnit:
    return ProfileUnit(claims, runtime, profile_id, country, profile_token)


ProfileWork = Annotated[ProfileUnit, Depends(get_profile_work)]
QueryProfileWork = Annotated[ProfileUnit, Depends(get_query_profile_work)]


class AccountUnit:
    """A request's unit of work as the signed-in account, for the account's own routes and
    the editors' and admins' tools: `begin()` opens the one transaction and loads the
    account, refusing a revoked token or a missing role there. Built on the event loop from
    the token's claims alone, so a plain-function route takes one thread-pool hop."""

    def __init__(self, claims: AccessClaims, runtime: Runtime, load: Callable[..., User]) -> None:
        self.claims, self.runtime, self._load = claims, runtime, load

    @contextmanager
    def begin(self) -> Iterator[tuple[Session, User]]:
        with transaction(self.runtime.sessionmaker) as session:
            yield session, self._load(session=session, claims=self.claims)


async def get_account_work(claims: Claims, runtime: RuntimeDep) -> AccountUnit:
    return AccountUnit(claims, runtime, load_user)


# A role change revokes the account's tokens, so the role a token carries holds until the
# transaction confirms it: a viewer hears 403 on the event loop, before any complaint about
# the body, and the route body checks again against the account.
async def get_editor_work(claims: Claims, runtime: RuntimeDep) -> AccountUnit:
    if claims.role not in (Role.EDITOR, Role.ADMIN):
        raise EditorRequired("This needs the editor role.")
    return AccountUnit(claims, runtime, load_editor)


async def get_admin_work(claims: Claims, runtime: RuntimeDep) -> AccountUnit:
    if claims.role != Role.ADMIN:
        raise AdminRequired("This needs the admin role.")
    return AccountUnit(claims, runtime, load_admin)


AccountWork = Annotated[AccountUnit, Depends(get_account_work)]
EditorWork = Annotated[AccountUnit, Depends(get_editor_work)]
AdminWork = Annotated[AccountUnit, Depends(get_admin_work)]
