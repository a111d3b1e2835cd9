"""Each studio and viewer route takes one thread-pool hop: its dependencies touch no database
and its body opens the one transaction (`EditorWork`, `ProfileWork`, `QueryProfileWork`).

A hop is a call of `anyio.to_thread.run_sync`, which Starlette's `run_in_threadpool` and
FastAPI's sync dependencies and routes go through; a session as a generator dependency, or a
role check as a sync one, would each add at least one.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from marquee.accounts.models import Role
from marquee.db import transaction
from tests.catalog.factories import make_genre, make_title
from tests.hops import counting, once
from tests.support import ApiUser, assert_problem, signup, signup_with_role

TUS = {"Tus-Resumable": "1.0.0"}


@pytest.fixture
def editor(client: TestClient, app: FastAPI) -> ApiUser:
    return signup_with_role(client, app, Role.EDITOR)


@pytest.fixture
def title_id(app: FastAPI) -> str:
    with transaction(app.state.runtime.sessionmaker) as session:
        make_genre(session, "Drama")
        return str(make_title(session, "Hop Along").id)


def _title_body(n: int) -> dict[str, Any]:
    return {"kind": "movie", "slug": f"hop-{n}", "name": f"Hop {n}", "maturity_rating": "pg"}


def test_studio_routes_take_one_hop(
    app: FastAPI, client: TestClient, editor: ApiUser, title_id: str
) -> None:
    made = iter(range(1000))
    base = "/api/v1/admin/titles"

    def create() -> Response:
        return client.post(base, json=_title_body(next(made)), headers=editor.headers)

    assert once(app, create, 201).hops == 1
    assert once(app, lambda: client.get(base, headers=editor.headers), 200).hops == 1
    url = f"{base}/{title_id}"
    assert once(app, lambda: client.get(url, headers=editor.headers), 200).hops == 1
    rename = {"name": "Hop Along Again"}
    assert once(app, lambda: client.patch(url, json=rename, headers=editor.headers), 200).hops == 1
    people = "/api/v1/admin/people"
    assert once(app, lambda: client.get(people, headers=editor.headers), 200).hops == 1


def test_tus_routes_take_one_hop_each(
    app: FastAPI, client: TestClient, editor: ApiUser, title_id: str
) -> None:
    meta = ",".join(
        f"{k} {base64.b64encode(v.encode()).decode()}"
        for k, v in {"title_id": title_id, "filename": "master.mp4"}.items()
    )
    create_headers = {**TUS, **editor.headers, "Upload-Length": "8", "Upload-Metadata": meta}

    def create() -> Response:
        return client.post("/api/v1/admin/uploads/", headers=create_headers)

    assert once(app, create, 201).hops == 1
    url = create().headers["Location"]
    assert once(app, lambda: client.head(url, headers={**TUS, **editor.headers}), 200).hops == 1
    assert once(app, lambda: client.get(url, headers=editor.headers), 200).hops == 1


def test_a_viewer_hears_403_from_the_studio_before_any_complaint_about_the_body(
    client: TestClient,
) -> None:
    viewer = signup(client)
    for method, path in [
        ("post", "/api/v1/admin/titles"),
        ("patch", "/api/v1/admin/genres/not-a-uuid"),
        ("post", "/api/v1/admin/uploads/"),
        ("head", "/api/v1/admin/uploads/not-a-uuid"),
    ]:
        with counting() as counts:
            response = client.request(method, path, json={"junk": 1}, headers=viewer.headers)
        assert response.status_code == 403
        if method != "head":
            assert_problem(response, 403, "editor_required")
        assert counts.hops == 0  # refused from the token's claims, on the event loop


def test_viewer_routes_take_one_hop(app: FastAPI, client: TestClient, title_id: str) -> None:
    viewer = signup(client)
    headers, profile = viewer.headers, viewer.profile_id
    query = {"profile_id": profile}
    for path in [
        "/api/v1/titles",
        f"/api/v1/titles/{title_id}",
        "/api/v1/genres",
        "/api/v1/search/suggest",
        "/api/v1/playback/positions",
        f"/api/v1/profiles/{profile}/home",
        f"/api/v1/profiles/{profile}/continue-watching",
        f"/api/v1/profiles/{profile}/my-list",
    ]:
        params = {**query, "title_id": title_id} if path.endswith("positions") else query
        cost = once(app, lambda p=path, q=params: client.get(p, params=q, headers=headers), 200)
        assert cost.hops == 1, path
    save = f"/api/v1/profiles/{profile}/my-list/{title_id}"
    assert once(app, lambda: client.put(save, headers=headers), 200).hops == 1
