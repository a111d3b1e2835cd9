"""A request's unit of work: one thread-pool hop and one transaction for the route's body.

Dependencies read the token's claims on the event loop; the account, and the role an
editor's or admin's tool needs, are loaded in the route's own transaction. Counted for the
account's, the editors' and the admins' routes and for the event ingest.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from marquee.accounts.models import Role
from tests.events.factories import make_title
from tests.hops import Counts, once
from tests.support import ApiUser, assert_problem, signup, signup_with_role


@pytest.fixture
def viewer(client: TestClient) -> ApiUser:
    return signup(client)


def test_the_account_routes_take_one_hop_and_one_transaction(
    app: FastAPI, client: TestClient, viewer: ApiUser
) -> None:
    h = viewer.headers
    sends: list[tuple[Callable[[], Response], int]] = [
        (lambda: client.get("/api/v1/me", headers=h), 200),
        (lambda: client.get("/api/v1/me/profiles", headers=h), 200),
        (lambda: client.get(f"/api/v1/me/profiles/{viewer.profile_id}", headers=h), 200),
        (lambda: client.get("/api/v1/me/entitlements", headers=h), 200),
        (lambda: client.get("/api/v1/plans"), 200),
    ]
    for send, status in sends:
        assert once(app, send, status) == Counts(hops=1, transactions=1)


def test_the_editors_and_admins_tools_take_one_hop_and_one_transaction(
    app: FastAPI, client: TestClient
) -> None:
    editor = signup_with_role(client, app, Role.EDITOR).headers
    admin = signup_with_role(client, app, Role.ADMIN).headers
    title = make_title(app.state.runtime.sessionmaker)
    sends: list[tuple[Callable[[], Response], int]] = [
        (lambda: client.get("/api/v1/admin/jobs", headers=editor), 200),
        (lambda: client.get("/api/v1/admin/analytics/trending", headers=editor), 200),
        (lambda: client.get(f"/api/v1/admin/titles/{title}/versions", headers=editor), 200),
        (lambda: client.get("/api/v1/admin/users", headers=admin), 200),
    ]
    for send, status in sends:
        assert once(app, send, status) == Counts(hops=1, transactions=1)


def test_the_event_ingest_takes_one_hop_and_one_transaction(
    app: FastAPI, client: TestClient, viewer: ApiUser
) -> None:
    title = str(make_title(app.state.runtime.sessionmaker))
    batch = {"events": [{"profile_id": viewer.profile_id, "title_id": title, "kind": "play_start"}]}

    def send() -> Response:
        return client.post("/api/v1/events", json=batch, headers=viewer.headers)

    assert once(app, send, 200) == Counts(hops=1, transactions=1)
    assert send().json() == {"accepted": 1, "rejected": []}


def test_a_refused_role_is_still_refused_in_the_routes_own_unit_of_work(
    app: FastAPI, client: TestClient, viewer: ApiUser
) -> None:
    editor = signup_with_role(client, app, Role.EDITOR).headers
    assert_problem(client.get("/api/v1/admin/jobs", headers=viewer.headers), 403, "editor_required")
    assert_problem(client.get("/api/v1/admin/users", headers=editor), 403, "admin_required")
    assert_problem(client.get("/api/v1/admin/analytics/qoe"), 401, "not_authenticated")
