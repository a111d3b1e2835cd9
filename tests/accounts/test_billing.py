"""Plans, the subscription lifecycle, entitlements and the admin grant API."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from marquee.accounts import billing
from marquee.accounts.billing import BillingEvent
from marquee.accounts.models import Role, SubscriptionStatus, User
from marquee.db import transaction, utcnow
from marquee.errors import Unprocessable
from tests.support import assert_problem, signup, signup_with_role

S, E = SubscriptionStatus, BillingEvent


@pytest.mark.parametrize(
    ("status", "event", "expected"),
    [
        (S.TRIALING, E.PAYMENT_SUCCEEDED, S.ACTIVE),
        (S.ACTIVE, E.PAYMENT_FAILED, S.PAST_DUE),
        (S.PAST_DUE, E.PAYMENT_SUCCEEDED, S.ACTIVE),
        (S.ACTIVE, E.CANCEL, S.CANCELED),
        (S.CANCELED, E.PAYMENT_SUCCEEDED, S.ACTIVE),
    ],
)
def test_next_status(
    status: SubscriptionStatus, event: BillingEvent, expected: SubscriptionStatus
) -> None:
    assert billing.next_status(status, event) == expected


def test_impossible_transitions_are_refused() -> None:
    with pytest.raises(Unprocessable):
        billing.next_status(S.CANCELED, E.CANCEL)
    with pytest.raises(Unprocessable):
        billing.next_status(S.CANCELED, E.PAYMENT_FAILED)


def test_plans_are_listed_in_price_order(client: TestClient) -> None:
    plans = client.get("/api/v1/plans").json()
    assert [(p["code"], p["max_resolution"], p["max_streams"], p["downloads"]) for p in plans] == [
        ("basic", 720, 1, 0),
        ("standard", 1080, 2, 2),
        ("premium", 2160, 4, 6),
    ]


def test_new_accounts_get_a_trial(client: TestClient) -> None:
    user = signup(client)
    subscription = client.get("/api/v1/me/subscription", headers=user.headers).json()
    assert subscription["status"] == "trialing"
    assert subscription["plan"]["code"] == "standard"
    granted = client.get("/api/v1/me/entitlements", headers=user.headers).json()
    assert granted == {**granted, "active": True, "max_resolution": 1080, "max_streams": 2}


def test_entitlements_follow_the_subscription(app: FastAPI, client: TestClient) -> None:
    user = signup(client)
    with transaction(app.state.runtime.sessionmaker) as session:
        stored = session.get(User, uuid.UUID(user.id))
        assert stored is not None
        now = utcnow()
        assert billing.entitlements(user=stored, now=now).active
        assert not billing.entitlements(user=stored, now=now + timedelta(days=15)).active
        billing.apply_event(session=session, user=stored, event=E.PAYMENT_FAILED)
        lapsed = billing.entitlements(user=stored, now=now)
        assert not lapsed.active
        assert lapsed.max_streams == 0
        billing.grant_plan(session=session, user=stored, plan_code="premium", period_days=30)
        premium = billing.entitlements(user=stored, now=now)
        assert (premium.active, premium.max_resolution, premium.max_streams, premium.downloads) == (
            True,
            2160,
            4,
            6,
        )
        billing.apply_event(session=session, user=stored, event=E.CANCEL)
        assert billing.entitlements(user=stored, now=now).active  # paid through the period end
        assert not billing.entitlements(user=stored, now=now + timedelta(days=31)).active


def test_admin_grants_and_cancels_a_plan(app: FastAPI, client: TestClient) -> None:
    admin = signup_with_role(client, app, Role.ADMIN)
    viewer = signup(client)
    url = f"/api/v1/admin/users/{viewer.id}/subscription"
    granted = client.put(url, json={"plan": "premium", "period_days": 30}, headers=admin.headers)
    assert granted.status_code == 200
    assert granted.json()["status"] == "active"
    assert granted.json()["provider"] == "manual"
    assert client.get("/api/v1/me/entitlements", headers=viewer.headers).json()["max_streams"] == 4
    canceled = client.post(f"{url}/cancel", headers=admin.headers)
    assert canceled.json()["status"] == "canceled"
    assert_problem(
        client.post(f"{url}/cancel", headers=admin.headers), 422, "invalid_subscription_transition"
    )


def test_admin_grant_failures(app: FastAPI, client: TestClient) -> None:
    admin = signup_with_role(client, app, Role.ADMIN)
    editor = signup_with_role(client, app, Role.EDITOR)
    viewer = signup(client)
    url = f"/api/v1/admin/users/{viewer.id}/subscription"
    assert_problem(
        client.put(url, json={"plan": "gold"}, headers=admin.headers), 404, "plan_not_found"
    )
    assert_problem(
        client.put(url, json={"plan": "basic", "period_days": 0}, headers=admin.headers),
        422,
        "validation_error",
    )
    assert_problem(
        client.put(url, json={"plan": "basic"}, headers=editor.headers), 403, "admin_required"
    )
    assert_problem(
        client.put(url, json={"plan": "basic"}, headers=viewer.headers), 403, "admin_required"
    )
    missing = "/api/v1/admin/users/00000000-0000-0000-0000-000000000000/subscription"
    assert_problem(
        client.put(missing, json={"plan": "basic"}, headers=admin.headers), 404, "not_found"
    )
    assert (
        client.get("/api/v1/me/subscription", headers=viewer.headers).json()["status"] == "trialing"
    )


def test_admin_sets_roles_and_lists_users(app: FastAPI, client: TestClient) -> None:
    admin = signup_with_role(client, app, Role.ADMIN)
    viewer = signup(client)
    response = client.put(
        f"/api/v1/admin/users/{viewer.id}/role", json={"role": "editor"}, headers=admin.headers
    )
    assert response.json()["role"] == "editor"
    # The old token carried the old role: it must not keep working.
    assert_problem(client.get("/api/v1/me", headers=viewer.headers), 401, "invalid_token")
    bad_role = client.put(
        f"/api/v1/admin/users/{viewer.id}/role", json={"role": "god"}, headers=admin.headers
    )
    assert_problem(bad_role, 422, "validation_error")
    page = client.get("/api/v1/admin/users?limit=1", headers=admin.headers).json()
    assert page["total"] == 2
    assert len(page["items"]) == 1
    assert page["next_cursor"]
    rest = client.get(
        f"/api/v1/admin/users?limit=1&cursor={page['next_cursor']}", headers=admin.headers
    ).json()
    assert rest["items"][0]["id"] != page["items"][0]["id"]
    assert rest["next_cursor"] is None
    assert_problem(
        client.get("/api/v1/admin/users?cursor=garbage!", headers=admin.headers),
        400,
        "invalid_cursor",
    )
