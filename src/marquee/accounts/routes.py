"""HTTP routes for sign-up and sign-in, the caller's account, plans and admin users.

Each route is a plain function whose body is its one unit of work: the account is loaded
(and a role checked) in the route's own transaction, from claims read on the event loop.
The profile and PIN routes live in `profile_routes`.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from marquee.accounts import billing, cookies, profile_routes, service
from marquee.accounts.errors import (
    AdminRequired,
    CsrfFailed,
    EmailTaken,
    InvalidCredentials,
    InvalidSubscriptionTransition,
    InvalidToken,
    PlanNotFound,
    SubscriptionNotFound,
    TokenExpired,
    TokenReused,
    WeakPassword,
)
from marquee.accounts.schemas import (
    ChangePasswordRequest,
    EntitlementsRead,
    LoginRequest,
    PlanRead,
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
    AccountWork,
    AdminWork,
    Limiter,
    RuntimeDep,
    ViewerCountry,
    model_response,
)
from marquee.errors import NotFound, RateLimited, problem_responses
from marquee.pagination import Page, PageParams, make_page, page_params

auth = APIRouter(prefix="/auth", tags=["auth"])
me = APIRouter(prefix="/me", tags=["me"])
plans = APIRouter(prefix="/plans", tags=["plans"])
# The role is checked in each route's unit of work (`AdminWork`), so the router only declares
# the refusal for the OpenAPI document.
admin = APIRouter(
    prefix="/admin/users", tags=["admin-users"], responses=problem_responses(AdminRequired)
)
# The profile routes sit under /me, right after its own routes, as they always have.
routers = [auth, me, profile_routes.router, plans, admin]


# Where the refresh cookie is sent: the auth routes and nowhere else.
AUTH_PATH = "/api/v1/auth"


def _deliver(
    request: Request, response: Response, settings: Settings, tokens: service.Tokens
) -> TokenPair:
    return cookies.deliver(
        request=request, response=response, settings=settings, tokens=tokens, path=AUTH_PATH
    )


def _with_cookies(model: BaseModel, cookies_from: Response, status_code: int = 200) -> JSONResponse:
    """`model` serialised in the route's thread, carrying the cookies set on `cookies_from`
    (a returned response is sent as it is, without the injected one's headers)."""
    reply = model_response(model, status_code)
    reply.raw_headers.extend(h for h in cookies_from.raw_headers if h[0] == b"set-cookie")
    return reply


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
    runtime: RuntimeDep,
    limiter: Limiter,
    country: ViewerCountry,
) -> Response:
    settings = runtime.settings
    service.check_registration_rate(settings=settings, limiter=limiter, ip=_ip(request, settings))
    with transaction(runtime.sessionmaker) as session:
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
        read = UserRead.model_validate(user)
    pair = _deliver(request, response, settings, tokens)
    return _with_cookies(Session(user=read, tokens=pair), response, status.HTTP_201_CREATED)


@auth.post(
    "/login", response_model=Session, responses=problem_responses(InvalidCredentials, RateLimited)
)
def login(
    body: LoginRequest,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    limiter: Limiter,
) -> Response:
    settings = runtime.settings
    with transaction(runtime.sessionmaker) as session:
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
        read = UserRead.model_validate(user)
    pair = _deliver(request, response, settings, tokens)
    return _with_cookies(Session(user=read, tokens=pair), response)


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
) -> Response:
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
    return _with_cookies(_deliver(request, response, settings, tokens), response)


@auth.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(InvalidToken, CsrfFailed),
)
def logout(request: Request, runtime: RuntimeDep, body: RefreshRequest | None = None) -> Response:
    token = cookies.refresh_token(request, body.refresh_token if body else None)
    with transaction(runtime.sessionmaker) as session:
        service.logout(session=session, token=token)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    cookies.clear(response, path=AUTH_PATH)
    return response


@me.get("", response_model=UserRead)
def read_me(work: AccountWork) -> Response:
    with work.begin() as (_, user):
        read = UserRead.model_validate(user)
    return model_response(read)


@me.post(
    "/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(InvalidCredentials, WeakPassword),
)
def change_password(body: ChangePasswordRequest, work: AccountWork) -> Response:
    with work.begin() as (session, user):
        service.change_password(
            session=session,
            settings=work.runtime.settings,
            user=user,
            current=body.current_password,
            new=body.new_password,
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@me.post("/sign-out-everywhere", status_code=status.HTTP_204_NO_CONTENT)
def sign_out_everywhere(work: AccountWork) -> Response:
    with work.begin() as (session, user):
        service.sign_out_everywhere(session=session, user=user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@me.get(
    "/subscription",
    response_model=SubscriptionRead,
    responses=problem_responses(SubscriptionNotFound),
)
def read_subscription(work: AccountWork) -> Response:
    with work.begin() as (_, user):
        if user.subscription is None:
            raise SubscriptionNotFound("This account has no subscription.")
        read = SubscriptionRead.model_validate(user.subscription)
    return model_response(read)


@me.get("/entitlements", response_model=EntitlementsRead)
def read_entitlements(work: AccountWork) -> Response:
    with work.begin() as (_, user):
        granted = billing.entitlements(user=user)
    return model_response(EntitlementsRead(**granted.__dict__))


@plans.get("", response_model=list[PlanRead])
def list_plans(runtime: RuntimeDep) -> Response:
    with transaction(runtime.sessionmaker) as session:
        rows = [PlanRead.model_validate(p) for p in billing.list_plans(session=session)]
    return JSONResponse([row.model_dump(mode="json") for row in rows])


@admin.get("", response_model=Page[UserRead])
def list_users(work: AdminWork, params: Annotated[PageParams, Depends(page_params)]) -> Response:
    with work.begin() as (session, _):
        users, total = service.list_users(session=session, offset=params.offset, limit=params.limit)
        rows = [UserRead.model_validate(u) for u in users]
    return model_response(make_page(rows, total=total, params=params))


@admin.put("/{user_id}/role", response_model=UserRead, responses=problem_responses(NotFound))
def set_role(user_id: uuid.UUID, body: RoleUpdate, work: AdminWork) -> Response:
    with work.begin() as (session, _):
        read = UserRead.model_validate(
            service.set_role(session=session, user_id=user_id, role=body.role)
        )
    return model_response(read)


@admin.put(
    "/{user_id}/subscription",
    response_model=SubscriptionRead,
    responses=problem_responses(NotFound, PlanNotFound, InvalidSubscriptionTransition),
)
def grant_subscription(user_id: uuid.UUID, body: SubscriptionGrant, work: AdminWork) -> Response:
    with work.begin() as (session, _):
        user = service.get_user(session=session, user_id=user_id)
        granted = billing.grant_plan(
            session=session, user=user, plan_code=body.plan, period_days=body.period_days
        )
        read = SubscriptionRead.model_validate(granted)
    return model_response(read)


@admin.post(
    "/{user_id}/subscription/cancel",
    response_model=SubscriptionRead,
    responses=problem_responses(NotFound, SubscriptionNotFound, InvalidSubscriptionTransition),
)
def cancel_subscription(user_id: uuid.UUID, work: AdminWork) -> Response:
    with work.begin() as (session, _):
        user = service.get_user(session=session, user_id=user_id)
        cancelled = billing.apply_event(
            session=session, user=user, event=billing.BillingEvent.CANCEL
        )
        read = SubscriptionRead.model_validate(cancelled)
    return model_response(read)
