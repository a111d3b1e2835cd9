"""Plans, subscriptions and the one question playback asks: what may this account watch?"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from marquee.accounts.errors import (
    InvalidSubscriptionTransition,
    PlanNotFound,
    SubscriptionNotFound,
)
from marquee.accounts.models import Plan, Subscription, SubscriptionStatus, User
from marquee.config import Settings
from marquee.db import utcnow

PLANS = (
    # code, name, max_resolution, max_streams, downloads, price_cents
    ("basic", "Basic", 720, 1, 0, 799),
    ("standard", "Standard", 1080, 2, 2, 1399),
    ("premium", "Premium", 2160, 4, 6, 1999),
)


class BillingEvent(enum.StrEnum):
    PAYMENT_SUCCEEDED = "payment_succeeded"
    PAYMENT_FAILED = "payment_failed"
    CANCEL = "cancel"


S, E = SubscriptionStatus, BillingEvent
_TRANSITIONS: dict[tuple[SubscriptionStatus, BillingEvent], SubscriptionStatus] = {
    (S.TRIALING, E.PAYMENT_SUCCEEDED): S.ACTIVE,
    (S.TRIALING, E.PAYMENT_FAILED): S.PAST_DUE,
    (S.TRIALING, E.CANCEL): S.CANCELED,
    (S.ACTIVE, E.PAYMENT_SUCCEEDED): S.ACTIVE,
    (S.ACTIVE, E.PAYMENT_FAILED): S.PAST_DUE,
    (S.ACTIVE, E.CANCEL): S.CANCELED,
    (S.PAST_DUE, E.PAYMENT_SUCCEEDED): S.ACTIVE,
    (S.PAST_DUE, E.CANCEL): S.CANCELED,
    (S.CANCELED, E.PAYMENT_SUCCEEDED): S.ACTIVE,
}


def next_status(status: SubscriptionStatus, event: BillingEvent) -> SubscriptionStatus:
    """The subscription lifecycle as a pure function; impossible moves are refused."""
    try:
        return _TRANSITIONS[(status, event)]
    except KeyError:
        raise InvalidSubscriptionTransition(
            f"A {status.value} subscription cannot take {event.value}."
        ) from None


class PaymentProvider(Protocol):
    """Where money is taken. `manual` means an admin granted the plan."""

    name: str

    def charge(self, *, user: User, plan: Plan, period_days: int) -> str:
        """Take payment for one period; returns the provider's reference."""


class ManualProvider:
    name = "manual"

    def charge(self, *, user: User, plan: Plan, period_days: int) -> str:
        return f"manual:{plan.code}:{period_days}d"


def seed_plans(*, session: Session) -> None:
    """Insert or refresh the built-in plans (idempotent)."""
    for code, name, resolution, streams, downloads, price in PLANS:
        plan = session.get(Plan, code) or Plan(code=code)
        plan.name, plan.max_resolution, plan.max_streams = name, resolution, streams
        plan.downloads, plan.price_cents = downloads, price
        session.add(plan)
    session.flush()


def list_plans(*, session: Session) -> list[Plan]:
    return list(session.scalars(select(Plan).order_by(Plan.price_cents)))


def get_plan(*, session: Session, code: str) -> Plan:
    plan = session.get(Plan, code)
    if plan is None:
        raise PlanNotFound(f"No plan {code!r}.")
    return plan


def start_trial(*, session: Session, settings: Settings, user: User) -> Subscription | None:
    if settings.trial_days <= 0:
        return None
    plan = get_plan(session=session, code=settings.trial_plan)
    subscription = Subscription(
        user_id=user.id,
        plan_code=plan.code,
        status=SubscriptionStatus.TRIALING,
        current_period_end=utcnow() + timedelta(days=settings.trial_days),
    )
    session.add(subscription)
    session.flush()
    return subscription


def grant_plan(
    *,
    session: Session,
    user: User,
    plan_code: str,
    period_days: int,
    provider: PaymentProvider | None = None,
) -> Subscription:
    """Charge through the provider and make the subscription active for one period."""
    provider = provider or ManualProvider()
    plan = get_plan(session=session, code=plan_code)
    reference = provider.charge(user=user, plan=plan, period_days=period_days)
    subscription = user.subscription
    now = utcnow()
    if subscription is None:
        subscription = Subscription(
            user_id=user.id,
            status=SubscriptionStatus.ACTIVE,
            plan_code=plan.code,
            current_period_end=now,
        )
        session.add(subscription)
    else:
        subscription.status = next_status(subscription.status, BillingEvent.PAYMENT_SUCCEEDED)
        subscription.canceled_at = None
    subscription.plan_code = plan.code
    subscription.plan = plan
    subscription.provider, subscription.provider_ref = provider.name, reference
    subscription.current_period_end = now + timedelta(days=period_days)
    session.flush()
    return subscription


def apply_event(*, session: Session, user: User, event: BillingEvent) -> Subscription:
    subscription = user.subscription
    if subscription is None:
        raise SubscriptionNotFound("This account has no subscription.")
    subscription.status = next_status(subscription.status, event)
    if subscription.status == SubscriptionStatus.CANCELED:
        subscription.canceled_at = utcnow()
    session.flush()
    return subscription


@dataclass(frozen=True)
class Entitlements:
    active: bool
    status: SubscriptionStatus | None
    plan: str | None
    max_resolution: int
    max_streams: int
    downloads: int
    period_end: datetime | None


NONE = Entitlements(False, None, None, 0, 0, 0, None)


def entitlements(*, user: User, now: datetime | None = None) -> Entitlements:
    """What the account may watch right now; playback asks nothing else."""
    subscription = user.subscription
    if subscription is None:
        return NONE
    now = now or utcnow()
    watching = subscription.status in (SubscriptionStatus.TRIALING, SubscriptionStatus.ACTIVE)
    # A canceled subscription runs to the end of the period already paid for.
    paid_through = subscription.status == SubscriptionStatus.CANCELED
    active = (watching or paid_through) and subscription.current_period_end > now
    plan = subscription.plan
    return Entitlements(
        active=active,
        status=subscription.status,
        plan=plan.code,
        max_resolution=plan.max_resolution if active else 0,
        max_streams=plan.max_streams if active else 0,
        downloads=plan.downloads if active else 0,
        period_end=subscription.current_period_end,
    )
