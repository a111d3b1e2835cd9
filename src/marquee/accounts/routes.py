"""HTTP routes for sign-up and sign-in, the caller's account, profiles, plans and admin users."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request, Response, status

from marquee.accounts import billing, cookies, profile_lock, profiles, service
from marquee.accounts.errors import (
    AdminRequired,
    CsrfFailed,
    EmailTaken,
    IncorrectPin,
    InvalidCredentials,
    InvalidSubscriptionTransition,
    InvalidToken,
    KidsCeilingTooHigh,
    LastProfile,
    PlanNotFound,
    ProfileLimitReached,
    ProfileLocked,
    ProfileNameTaken,
    ProfileNotFound,
    SubscriptionNotFound,
    TokenExpired,
    TokenReused,
    UnknownMaturityRating,
    WeakPassword,
)
from marquee.accounts.models import Profile, User
from marquee.accounts.schemas import (
    ChangePasswordRequest,
    EntitlementsRead,
    LoginRequest,
    PlanRead,
    ProfileCreate,
    ProfileRead,
    ProfileSwitch,
    ProfileToken,
    ProfileUpdate,
    RefreshRequest,
    RegisterRequest,
    RoleUpdate,
    Session,
    SubscriptionGrant,
    SubscriptionRead,
    TokenPair,
    UserRead,
)
from marquee.audience import client_address, parse_networks
from marquee.config import Settings
from marquee.db import transaction
from marquee.deps import (
    CurrentUser,
    DbSession,
    Limiter,
    ProfileTokenHeader,
    RuntimeDep,
    SettingsDep,
    ViewerCountry,
    require_admin,
)
from marquee.errors import NotFound, RateLimited, problem_responses
from marquee.pagination import Page, PageParams, make_page, page_params

auth = APIRouter(prefix="/auth", tags=["auth"])
me = APIRouter(prefix="/me", tags=["me"])
plans = APIRouter(prefix="/plans", tags=["plans"])
admin = APIRouter(
    prefix="/admin/users",
    tags=["admin-users"],
    dependencies=[Depends(require_admin)],
    responses=problem_responses(AdminRequired),
)
routers = [auth, me, plans, admin]


# Where the refresh cookie is sent: the auth routes and nowhere else.
AUTH_PATH = "/api/v1/auth"


def _deliver(
    request: Request, response: Response, settings: Settings, tokens: service.Tokens
) -> TokenPair:
    return cookies.deliver(
        request=request, response=response, settings=settings, tokens=tokens, path=AUTH_PATH
    )


def _device(request: Request) -> str:
    return request.headers.get("user-agent", "")[:200]


def _ip(request: Request, settings: Settings) -> str:
    """The client's address as rate limits see it: through trusted proxies only."""
    address = client_address(
        peer=request.client.host if request.client else None,
        forwarded_for=request.headers.get("x-forwarded-for"),
        trusted=parse_networks(settings.trusted_proxies),
    )
    return str(address) if address is not None else "unknown"


@auth.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=Session,
    responses=problem_responses(EmailTaken, WeakPassword, RateLimited),
)
def register(
    body: RegisterRequest,
    request: Request,
    response: Response,
    session: DbSession,
    settings: SettingsDep,
    limiter: Limiter,
    country: ViewerCountry,
) -> Session:
    service.check_registration_rate(settings=settings, limiter=limiter, ip=_ip(request, settings))
    user = service.register(
        session=session,
        settings=settings,
        email=body.email,
        password=body.password,
        display_name=body.display_name,
        country=country,
    )
    tokens = service.issue_tokens(
        session=session, settings=settings, user=user, device=_device(request)
    )
    pair = _deliver(request, response, settings, tokens)
    return Session(user=UserRead.model_validate(user), tokens=pair)


@auth.post(
    "/login", response_model=Session, responses=problem_responses(InvalidCredentials, RateLimited)
)
def login(
    body: LoginRequest,
    request: Request,
    response: Response,
    session: DbSession,
    settings: SettingsDep,
    limiter: Limiter,
) -> Session:
    user = service.authenticate(
        session=session,
        settings=settings,
        limiter=limiter,
        email=body.email,
        password=body.password,
        ip=_ip(request, settings),
    )
    tokens = service.issue_tokens(
        session=session, settings=settings, user=user, device=_device(request)
    )
    pair = _deliver(request, response, settings, tokens)
    return Session(user=UserRead.model_validate(user), tokens=pair)


@auth.post(
    "/refresh",
    response_model=TokenPair,
    responses=problem_responses(InvalidToken, TokenExpired, TokenReused, CsrfFailed),
)
def refresh(
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    body: RefreshRequest | None = None,
) -> TokenPair:
    """A new pair for the body's refresh token, or for the cookie's (with the CSRF header)."""
    settings = runtime.settings
    token = cookies.refresh_token(request, body.refresh_token if body else None)
    with transaction(runtime.sessionmaker) as session:
        try:
            _, tokens = service.rotate_refresh_token(
                session=session, settings=settings, token=token, device=_device(request)
            )
        except TokenReused as reused:
            # Raised only after the unit of work commits: the family's revocation must
            # outlive this failed request.
            refused: TokenReused | None = reused
        else:
            refused = None
    if refused is not None:
        raise refused
    return _deliver(request, response, settings, tokens)


@auth.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(InvalidToken, CsrfFailed),
)
def logout(request: Request, session: DbSession, body: RefreshRequest | None = None) -> Response:
    token = cookies.refresh_token(request, body.refresh_token if body else None)
    service.logout(session=session, token=token)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    cookies.clear(response, path=AUTH_PATH)
    return response


@me.get("", response_model=UserRead)
def read_me(user: CurrentUser) -> User:
    return user


@me.post(
    "/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(InvalidCredentials, WeakPassword),
)
def change_password(
    body: ChangePasswordRequest, user: CurrentUser, session: DbSession, settings: SettingsDep
) -> Response:
    service.change_password(
        session=session,
        settings=settings,
        user=user,
        current=body.current_password,
        new=body.new_password,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@me.post("/sign-out-everywhere", status_code=status.HTTP_204_NO_CONTENT)
def sign_out_everywhere(user: CurrentUser, session: DbSession) -> Response:
    service.sign_out_everywhere(session=session, user=user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@me.get(
    "/subscription",
    response_model=SubscriptionRead,
    responses=problem_responses(SubscriptionNotFound),
)
def read_subscription(user: CurrentUser) -> object:
    if user.subscription is None:
        raise SubscriptionNotFound("This account has no subscription.")
    return user.subscription


@me.get("/entitlements", response_model=EntitlementsRead)
def read_entitlements(user: CurrentUser) -> EntitlementsRead:
    granted = billing.entitlements(user=user)
    return EntitlementsRead(**granted.__dict__)


def profile_read(profile: Profile) -> ProfileRead:
    return ProfileRead(
        id=profile.id,
        name=profile.name,
        is_kids=profile.is_kids,
        maturity_ceiling=profiles.ceiling_label(profile.maturity_ceiling),
        maturity_level=profile.maturity_ceiling,
        language=profile.language,
        subtitle_language=profile.subtitle_language,
        subtitles_enabled=profile.subtitles_enabled,
        audio_language=profile.audio_language,
        avatar=profile.avatar,
        locked=profile.pin_hash is not None,
    )


@me.get("/profiles", response_model=Page[ProfileRead])
def list_profiles(user: CurrentUser, session: DbSession) -> Page[ProfileRead]:
    rows = [profile_read(p) for p in profiles.list_profiles(session=session, user=user)]
    return make_page(
        rows, total=len(rows), params=PageParams(offset=0, limit=profiles.MAX_PROFILES)
    )


@me.post(
    "/profiles",
    status_code=status.HTTP_201_CREATED,
    response_model=ProfileRead,
    responses=problem_responses(
        ProfileNameTaken,
        ProfileLimitReached,
        UnknownMaturityRating,
        KidsCeilingTooHigh,
        ProfileLocked,
    ),
)
def create_profile(
    body: ProfileCreate,
    user: CurrentUser,
    session: DbSession,
    settings: SettingsDep,
    token: ProfileTokenHeader = None,
) -> ProfileRead:
    profile_lock.require_guardian(session=session, settings=settings, user=user, token=token)
    profile = profiles.create_profile(
        session=session, user=user, **body.model_dump(exclude={"pin"})
    )
    if body.pin is not None:
        profile_lock.set_pin(settings, profile, body.pin)
    session.flush()
    return profile_read(profile)


@me.get(
    "/profiles/{profile_id}",
    response_model=ProfileRead,
    responses=problem_responses(ProfileNotFound),
)
def read_profile(profile_id: uuid.UUID, user: CurrentUser, session: DbSession) -> ProfileRead:
    return profile_read(profiles.get_profile(session=session, user=user, profile_id=profile_id))


@me.post(
    "/profiles/{profile_id}/switch",
    response_model=ProfileToken,
    responses=problem_responses(ProfileNotFound, IncorrectPin, RateLimited),
)
def switch_profile(
    profile_id: uuid.UUID,
    body: ProfileSwitch,
    user: CurrentUser,
    session: DbSession,
    settings: SettingsDep,
    limiter: Limiter,
) -> ProfileToken:
    """Switch into a profile: a locked one needs its PIN (a few tries per quarter hour)."""
    profile = profiles.get_profile(session=session, user=user, profile_id=profile_id)
    token = profile_lock.switch(settings=settings, limiter=limiter, profile=profile, pin=body.pin)
    return ProfileToken(profile_token=token, expires_in=profile_lock.TOKEN_TTL_SECONDS)


@me.patch(
    "/profiles/{profile_id}",
    response_model=ProfileRead,
    responses=problem_responses(
        ProfileNotFound, ProfileNameTaken, UnknownMaturityRating, KidsCeilingTooHigh, ProfileLocked
    ),
)
def update_profile(
    profile_id: uuid.UUID,
    body: ProfileUpdate,
    user: CurrentUser,
    session: DbSession,
    settings: SettingsDep,
    token: ProfileTokenHeader = None,
) -> ProfileRead:
    changes = body.model_dump(exclude_unset=True)
    target = profiles.get_profile(session=session, user=user, profile_id=profile_id)
    profile_lock.require_may_change(
        session=session, settings=settings, user=user, profile=target, changes=changes, token=token
    )
    pin_given, pin = "pin" in changes, changes.pop("pin", None)
    profile = profiles.update_profile(
        session=session, user=user, profile_id=profile_id, changes=changes
    )
    if pin_given:
        profile_lock.set_pin(settings, profile, pin)
    session.flush()
    return profile_read(profile)


@me.delete(
    "/profiles/{profile_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(ProfileNotFound, LastProfile, ProfileLocked),
)
def delete_profile(
    profile_id: uuid.UUID,
    user: CurrentUser,
    session: DbSession,
    settings: SettingsDep,
    token: ProfileTokenHeader = None,
) -> Response:
    profile_lock.require_guardian(session=session, settings=settings, user=user, token=token)
    profiles.delete_profile(session=session, user=user, profile_id=profile_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@plans.get("", response_model=list[PlanRead])
def list_plans(session: DbSession) -> list[object]:
    return list(billing.list_plans(session=session))


@admin.get("", response_model=Page[UserRead])
def list_users(session: DbSession, params: PageParams = Depends(page_params)) -> Page[UserRead]:
    users, total = service.list_users(session=session, offset=params.offset, limit=params.limit)
    return make_page([UserRead.model_validate(u) for u in users], total=total, params=params)


@admin.put("/{user_id}/role", response_model=UserRead, responses=problem_responses(NotFound))
def set_role(user_id: uuid.UUID, body: RoleUpdate, session: DbSession) -> User:
    return service.set_role(session=session, user_id=user_id, role=body.role)


@admin.put(
    "/{user_id}/subscription",
    response_model=SubscriptionRead,
    responses=problem_responses(NotFound, PlanNotFound, InvalidSubscriptionTransition),
)
def grant_subscription(user_id: uuid.UUID, body: SubscriptionGrant, session: DbSession) -> object:
    user = service.get_user(session=session, user_id=user_id)
    return billing.grant_plan(
        session=session, user=user, plan_code=body.plan, period_days=body.period_days
    )


@admin.post(
    "/{user_id}/subscription/cancel",
    response_model=SubscriptionRead,
    responses=problem_responses(NotFound, SubscriptionNotFound, InvalidSubscriptionTransition),
)
def cancel_subscription(user_id: uuid.UUID, session: DbSession) -> object:
    user = service.get_user(session=session, user_id=user_id)
    return billing.apply_event(session=session, user=user, event=billing.BillingEvent.CANCEL)
