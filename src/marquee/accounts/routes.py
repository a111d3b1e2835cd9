"""HTTP routes for sign-up and sign-in, the caller's account, profiles, plans and admin users."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request, Response, status

from marquee.accounts import billing, profiles, service
from marquee.accounts.models import Profile, User
from marquee.accounts.schemas import (
    ChangePasswordRequest,
    EntitlementsRead,
    LoginRequest,
    PlanRead,
    ProfileCreate,
    ProfileRead,
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
from marquee.db import transaction
from marquee.deps import (
    CurrentUser,
    DbSession,
    Limiter,
    RuntimeDep,
    SettingsDep,
    ViewerCountry,
    require_admin,
)
from marquee.errors import NotFound
from marquee.pagination import Page, PageParams, make_page, page_params

auth = APIRouter(prefix="/auth", tags=["auth"])
me = APIRouter(prefix="/me", tags=["me"])
plans = APIRouter(prefix="/plans", tags=["plans"])
admin = APIRouter(
    prefix="/admin/users", tags=["admin-users"], dependencies=[Depends(require_admin)]
)
routers = [auth, me, plans, admin]


def _tokens(tokens: service.Tokens) -> TokenPair:
    return TokenPair(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_in=tokens.expires_in,
    )


def _device(request: Request) -> str:
    return request.headers.get("user-agent", "")[:200]


def _ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@auth.post("/register", status_code=status.HTTP_201_CREATED, response_model=Session)
def register(
    body: RegisterRequest,
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    country: ViewerCountry,
) -> Session:
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
    return Session(user=UserRead.model_validate(user), tokens=_tokens(tokens))


@auth.post("/login", response_model=Session)
def login(
    body: LoginRequest,
    request: Request,
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
        ip=_ip(request),
    )
    tokens = service.issue_tokens(
        session=session, settings=settings, user=user, device=_device(request)
    )
    return Session(user=UserRead.model_validate(user), tokens=_tokens(tokens))


@auth.post("/refresh", response_model=TokenPair)
def refresh(body: RefreshRequest, request: Request, runtime: RuntimeDep) -> TokenPair:
    with transaction(runtime.sessionmaker) as session:
        try:
            _, tokens = service.rotate_refresh_token(
                session=session,
                settings=runtime.settings,
                token=body.refresh_token,
                device=_device(request),
            )
        except service.TokenReused as reused:
            # Answered only after the unit of work commits: the family's revocation must
            # outlive this failed request.
            refused: service.TokenReused | None = reused
        else:
            refused = None
    if refused is not None:
        raise refused
    return _tokens(tokens)


@auth.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(body: RefreshRequest, session: DbSession) -> Response:
    service.logout(session=session, token=body.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@me.get("", response_model=UserRead)
def read_me(user: CurrentUser) -> User:
    return user


@me.post("/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(body: ChangePasswordRequest, user: CurrentUser, session: DbSession) -> Response:
    service.change_password(
        session=session, user=user, current=body.current_password, new=body.new_password
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@me.post("/sign-out-everywhere", status_code=status.HTTP_204_NO_CONTENT)
def sign_out_everywhere(user: CurrentUser, session: DbSession) -> Response:
    service.sign_out_everywhere(session=session, user=user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@me.get("/subscription", response_model=SubscriptionRead)
def read_subscription(user: CurrentUser) -> object:
    if user.subscription is None:
        raise NotFound("This account has no subscription.", code="subscription_not_found")
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
    )


@me.get("/profiles", response_model=Page[ProfileRead])
def list_profiles(user: CurrentUser, session: DbSession) -> Page[ProfileRead]:
    rows = [profile_read(p) for p in profiles.list_profiles(session=session, user=user)]
    return make_page(
        rows, total=len(rows), params=PageParams(offset=0, limit=profiles.MAX_PROFILES)
    )


@me.post("/profiles", status_code=status.HTTP_201_CREATED, response_model=ProfileRead)
def create_profile(body: ProfileCreate, user: CurrentUser, session: DbSession) -> ProfileRead:
    profile = profiles.create_profile(session=session, user=user, **body.model_dump())
    return profile_read(profile)


@me.get("/profiles/{profile_id}", response_model=ProfileRead)
def read_profile(profile_id: uuid.UUID, user: CurrentUser, session: DbSession) -> ProfileRead:
    return profile_read(profiles.get_profile(session=session, user=user, profile_id=profile_id))


@me.patch("/profiles/{profile_id}", response_model=ProfileRead)
def update_profile(
    profile_id: uuid.UUID, body: ProfileUpdate, user: CurrentUser, session: DbSession
) -> ProfileRead:
    changes = body.model_dump(exclude_unset=True)
    profile = profiles.update_profile(
        session=session, user=user, profile_id=profile_id, changes=changes
    )
    return profile_read(profile)


@me.delete("/profiles/{profile_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_profile(profile_id: uuid.UUID, user: CurrentUser, session: DbSession) -> Response:
    profiles.delete_profile(session=session, user=user, profile_id=profile_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@plans.get("", response_model=list[PlanRead])
def list_plans(session: DbSession) -> list[object]:
    return list(billing.list_plans(session=session))


@admin.get("", response_model=Page[UserRead])
def list_users(session: DbSession, params: PageParams = Depends(page_params)) -> Page[UserRead]:
    users, total = service.list_users(session=session, offset=params.offset, limit=params.limit)
    return make_page([UserRead.model_validate(u) for u in users], total=total, params=params)


@admin.put("/{user_id}/role", response_model=UserRead)
def set_role(user_id: uuid.UUID, body: RoleUpdate, session: DbSession) -> User:
    return service.set_role(session=session, user_id=user_id, role=body.role)


@admin.put("/{user_id}/subscription", response_model=SubscriptionRead)
def grant_subscription(user_id: uuid.UUID, body: SubscriptionGrant, session: DbSession) -> object:
    user = service.get_user(session=session, user_id=user_id)
    return billing.grant_plan(
        session=session, user=user, plan_code=body.plan, period_days=body.period_days
    )


@admin.post("/{user_id}/subscription/cancel", response_model=SubscriptionRead)
def cancel_subscription(user_id: uuid.UUID, session: DbSession) -> object:
    user = service.get_user(session=session, user_id=user_id)
    return billing.apply_event(session=session, user=user, event=billing.BillingEvent.CANCEL)
