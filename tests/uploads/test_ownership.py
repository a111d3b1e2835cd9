"""An upload belongs to the editor who created it (and to admins): nobody else sees it."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from marquee.accounts.models import Role
from tests.support import assert_problem, signup_with_role
from tests.uploads.test_service import OCTETS, TUS, _create, _offset, _patch, title_id

__all__ = ["title_id"]  # the fixture, shared with the tus tests


def test_another_editor_can_neither_read_append_nor_delete(
    client: TestClient, app: FastAPI, title_id: str
) -> None:
    owner = signup_with_role(client, app, Role.EDITOR)
    other = signup_with_role(client, app, Role.EDITOR)
    url = _create(client, owner, title_id, 8)
    assert _patch(client, owner, url, 0, b"1234").status_code == 204

    assert client.head(url, headers={**TUS, **other.headers}).status_code == 404
    assert_problem(client.get(url, headers=other.headers), 404, "upload_not_found")
    appended = client.patch(
        url, headers={**OCTETS, **other.headers, "Upload-Offset": "4"}, content=b"5678"
    )
    assert_problem(appended, 404, "upload_not_found")
    deleted = client.delete(url, headers={**TUS, **other.headers})
    assert_problem(deleted, 404, "upload_not_found")

    assert _offset(client, owner, url) == 4
    assert client.get(url, headers=owner.headers).json()["offset"] == 4


def test_an_admin_may_manage_any_upload(client: TestClient, app: FastAPI, title_id: str) -> None:
    owner = signup_with_role(client, app, Role.EDITOR)
    admin = signup_with_role(client, app, Role.ADMIN)
    url = _create(client, owner, title_id, 8)
    assert _offset(client, admin, url) == 0
    assert client.delete(url, headers={**TUS, **admin.headers}).status_code == 204
