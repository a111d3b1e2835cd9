"""Annotated dependencies shared by every router: the session, the caller, the audience."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from marquee.accounts import profile_lock
from marquee.accounts import profiles as account_profiles
from marquee.accounts import service as accounts
from marquee.accounts.errors import AdminRequired, EditorRequired
from marquee.accounts.models import Profile, Role, User
from marquee.audience import Audience, resolve_country
from marquee.catalog import browse as catalog_browse
from marquee.catalog.models import Title
from marquee.config import Settings
from marquee.db import transaction
from marquee.errors import AuthenticationFailed
from marquee.ratelimit import RateLimiter
from marquee.storage import ObjectStore


# The trivial dependencies are coroutines: a plain function would cost each request a hop
# to the thread pool and back for a dictionary lookup.
async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_db(request: Request) -> Iterator[Session]:
    """One session per request: committed when the route returns, rolled back on error."""
    with transaction(request.app.state.sessionmaker) as session:
        yield session


async def get_rate_limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.rate_limiter
    return limiter


async def get_store(request: Request) -> ObjectStore:
    store: ObjectStore = request.app.state.store
    return store


SettingsDep = Annotated[Settings, Depends(get_settings)]
Store = Annotated[ObjectStore, Depends(get_store)]
DbSession = Annotated[Session, Depends(get_db, scope="function")]
Limiter = Annotated[RateLimiter, Depends(get_rate_limiter)]

_bearer = HTTPBearer(auto_error=False)
BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def authenticate(
    *, session: Session, settings: Settings, credentials: HTTPAuthorizationCredentials | None
) -> User:
    """The caller of a bearer token, for routes that open their own unit of work."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationFailed("Sign in to continue.")
    return accounts.user_for_access_token(
        session=session, settings=settings, token=credentials.credentials
    )


def get_current_user(
    session: DbSession, settings: SettingsDep, credentials: BearerCredentials
) -> User:
    return authenticate(session=session, settings=settings, credentials=credentials)


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_editor(user: CurrentUser) -> User:
    if user.role not in (Role.EDITOR, Role.ADMIN):
        raise EditorRequired("This needs the editor role.")
    return user


def require_admin(user: CurrentUser) -> User:
    if user.role != Role.ADMIN:
        raise AdminRequired("This needs the admin role.")
    return user


ProfileTokenHeader = Annotated[
    str | None,
    Header(alias=profile_lock.HEADER, description="From switching into a locked profile."),
]


def get_current_profile(
    session: DbSession,
    settings: SettingsDep,
    user: CurrentUser,
    profile_id: Annotated[uuid.UUID, Query(description="The profile watching.")],
    profile_token: ProfileTokenHeader = None,
) -> Profile:
    profile = account_profiles.get_profile(session=session, user=user, profile_id=profile_id)
    return profile_lock.require_unlocked(settings, profile, profile_token)


CurrentProfile = Annotated[Profile, Depends(get_current_profile)]


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


def get_audience(profile: CurrentProfile, country: ViewerCountry) -> Audience:
    return Audience(country=country, max_maturity=profile.maturity_ceiling)


ProfileAudience = Annotated[Audience, Depends(get_audience)]


def get_visible_title(session: DbSession, audience: ProfileAudience, title_id: uuid.UUID) -> Title:
    """The `{title_id}` in the path, if this profile may see it here and now; else 404."""
    return catalog_browse.get_title(session=session, audience=audience, title_id=title_id)


VisibleTitle = Annotated[Title, Depends(get_visible_title)]
