"""The ClearKey licence endpoint: keys only for a live session of an entitled account."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete

from marquee.accounts import billing
from marquee.accounts.models import Subscription, User
from marquee.app import create_app
from marquee.config import Settings
from marquee.db import transaction, utcnow
from marquee.playback import licenses
from marquee.playback.models import PlaybackSession
from marquee.versions import content_keys
from marquee.versions.content_keys import TitleKey
from tests.catalog.factories import make_title
from tests.playback.conftest import make_version
from tests.support import assert_problem, signup


@dataclass
class Licensed:
    session_id: uuid.UUID
    url: str
    key: TitleKey
    user_id: uuid.UUID


def _start(app: FastAPI, client: TestClient, *, encrypted: bool = True) -> Licensed:
    """A subscriber watching an encrypted title: a live session row and its licence URL."""
    user = signup(client)
    settings: Settings = app.state.runtime.settings
    with transaction(app.state.runtime.sessionmaker) as session:
        account = session.get(User, uuid.UUID(user.id))
        assert account is not None
        billing.grant_plan(session=session, user=account, plan_code="standard", period_days=30)
        title = make_title(session)
        title.encrypted = encrypted
        title_key = content_keys.key_for_title(
            session=session, settings=settings, title_id=title.id
        )
        assert title_key is not None
        if not encrypted:
            title_key = TitleKey(title.id, uuid.uuid4(), bytes(16))
        playback = PlaybackSession(
            user_id=account.id,
            profile_id=uuid.UUID(user.profile_id),
            title_id=title.id,
            version_id=uuid.uuid4(),
            max_height=1080,
            device={"codecs": ["avc1", "mp4a"], "name": "Laptop"},
            country="US",
            expires_at=utcnow() + timedelta(hours=6),
        )
        session.add(playback)
        session.flush()
        url = licenses.license_url(settings, playback)
        return Licensed(playback.id, url, title_key, account.id)


def _body(*kids: uuid.UUID | bytes, **extra: Any) -> dict[str, Any]:
    raw = [k.bytes if isinstance(k, uuid.UUID) else k for k in kids]
    return {"kids": [licenses.b64url(k) for k in raw], "type": "temporary", **extra}


def _update(app: FastAPI, session_id: uuid.UUID, **fields: Any) -> None:
    with transaction(app.state.runtime.sessionmaker) as session:
        playback = session.get(PlaybackSession, session_id)
        assert playback is not None
        for name, value in fields.items():
            setattr(playback, name, value)


def test_a_live_session_gets_the_title_key(app: FastAPI, client: TestClient) -> None:
    started = _start(app, client)
    response = client.post(started.url, json=_body(started.key.kid))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["type"] == "temporary"
    (jwk,) = body["keys"]
    assert jwk["kty"] == "oct"
    assert licenses.from_b64url(jwk["kid"]) == started.key.kid.bytes
    assert licenses.from_b64url(jwk["k"]) == started.key.key


@pytest.mark.parametrize("content_type", ["application/octet-stream", "text/plain", None])
def test_the_cdm_message_is_read_whatever_its_content_type(
    app: FastAPI, client: TestClient, content_type: str | None
) -> None:
    started = _start(app, client)
    headers = {"Content-Type": content_type} if content_type else {}
    raw = json.dumps(_body(started.key.kid)).encode()
    response = client.post(started.url, content=raw, headers=headers)
    assert response.status_code == 200, response.text


def test_padded_key_ids_are_accepted(app: FastAPI, client: TestClient) -> None:
    started = _start(app, client)
    padded = licenses.b64url(started.key.kid.bytes) + "=="
    response = client.post(started.url, json={"kids": [padded], "type": "temporary"})
    assert response.status_code == 200, response.text


def test_no_licence_for_a_stopped_session(app: FastAPI, client: TestClient) -> None:
    started = _start(app, client)
    _update(app, started.session_id, stopped_at=utcnow())
    assert_problem(client.post(started.url, json=_body(started.key.kid)), 403, "license_denied")


def test_no_licence_for_a_silent_session(app: FastAPI, client: TestClient) -> None:
    started = _start(app, client)
    _update(app, started.session_id, last_seen_at=utcnow() - timedelta(minutes=3))
    assert_problem(client.post(started.url, json=_body(started.key.kid)), 403, "license_denied")


def test_no_licence_once_the_subscription_is_gone(app: FastAPI, client: TestClient) -> None:
    started = _start(app, client)
    with transaction(app.state.runtime.sessionmaker) as session:
        session.execute(delete(Subscription).where(Subscription.user_id == started.user_id))
    assert_problem(client.post(started.url, json=_body(started.key.kid)), 403, "license_denied")


@pytest.mark.parametrize("how", ["tampered", "missing", "other_session", "expired"])
def test_no_licence_without_the_sessions_own_valid_token(
    app: FastAPI, client: TestClient, how: str
) -> None:
    started = _start(app, client)
    path, _, token = started.url.partition("?token=")
    settings: Settings = app.state.runtime.settings
    if how == "tampered":
        url = f"{path}?token={token[:-3]}abc"
    elif how == "missing":
        url = path
    elif how == "other_session":
        other = _start(app, client)
        url = f"{path}?token={other.url.partition('?token=')[2]}"
    else:
        past = licenses.license_token(
            settings, session_id=started.session_id, expires_at=utcnow() - timedelta(seconds=1)
        )
        url = f"{path}?token={past}"
    response = client.post(url, json=_body(started.key.kid))
    assert_problem(response, 403, "license_denied")
    assert licenses.b64url(started.key.key) not in response.text


def test_no_licence_for_an_unknown_session(app: FastAPI, client: TestClient) -> None:
    settings: Settings = app.state.runtime.settings
    ghost = uuid.uuid4()
    token = licenses.license_token(
        settings, session_id=ghost, expires_at=utcnow() + timedelta(hours=1)
    )
    url = f"/api/v1/playback/sessions/{ghost}/license?token={token}"
    assert_problem(client.post(url, json=_body(uuid.uuid4())), 403, "license_denied")


def test_an_unknown_key_id_is_refused(app: FastAPI, client: TestClient) -> None:
    started = _start(app, client)
    other = _start(app, client)
    assert_problem(client.post(started.url, json=_body(uuid.uuid4())), 403, "license_denied")
    # Another title's key is not this session's to have, even next to its own.
    both = _body(started.key.kid, other.key.kid)
    assert_problem(client.post(started.url, json=both), 403, "license_denied")


def test_a_clear_title_has_no_key_to_release(app: FastAPI, client: TestClient) -> None:
    started = _start(app, client, encrypted=False)
    # The title's key row exists from `_start`; a different kid is asked for.
    assert_problem(client.post(started.url, json=_body(started.key.kid)), 403, "license_denied")


def test_malformed_json_is_a_400(app: FastAPI, client: TestClient) -> None:
    started = _start(app, client)
    response = client.post(started.url, content=b'{"kids": [', headers={})
    assert_problem(response, 400, "malformed_json")


INVALID_REQUESTS: list[object] = [
    {"kids": []},
    {"kids": ["short"]},
    {"kids": ["A" * 22 + "!!"]},
    {"kids": [licenses.b64url(bytes(15)) + "AAA"]},
    {"kids": [licenses.b64url(bytes(16))], "type": "persistent-license"},
    {"kids": [licenses.b64url(bytes(16))], "extra": 1},
    {"kids": [licenses.b64url(bytes(16))] * 17},
    {"kids": "not a list"},
    [],
]


def test_invalid_licence_requests_are_a_422(app: FastAPI, client: TestClient) -> None:
    started = _start(app, client)
    for body in INVALID_REQUESTS:
        response = client.post(started.url, json=body)
        assert response.status_code == 422, body
        assert_problem(response, 422, "validation_error")


def test_an_oversized_body_is_refused(app: FastAPI, client: TestClient) -> None:
    started = _start(app, client)
    response = client.post(started.url, content=b"{" + b" " * 5000 + b"}")
    assert_problem(response, 400, "malformed_request")


def test_a_player_on_another_origin_may_ask(settings: Settings, tmp_path: Path) -> None:
    origin = "https://watch.example.org"
    cors = settings.model_copy(update={"cors_origins": [origin]})
    app = create_app(cors)
    try:
        with TestClient(app) as client:
            started = _start(app, client)
            preflight = client.options(
                started.url,
                headers={
                    "Origin": origin,
                    "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": "content-type",
                },
            )
            assert preflight.status_code == 200
            assert preflight.headers["access-control-allow-origin"] == origin
            response = client.post(
                started.url, json=_body(started.key.kid), headers={"Origin": origin}
            )
            assert response.status_code == 200
            assert response.headers["access-control-allow-origin"] == origin
    finally:
        app.state.runtime.close()


def _play_version_with_kid(app: FastAPI, started: Licensed, kid: uuid.UUID) -> None:
    """Point the session at a version row whose tracks record `kid`."""
    with transaction(app.state.runtime.sessionmaker) as session:
        playback = session.get(PlaybackSession, started.session_id)
        assert playback is not None
        version = make_version(session, title_id=playback.title_id)
        version.renditions = tuple(r.model_copy(update={"kid": kid}) for r in version.renditions)
        playback.version_id = version.id


def test_a_shared_version_gets_the_key_it_was_encrypted_with(
    app: FastAPI, client: TestClient
) -> None:
    owner = _start(app, client)
    sharer = _start(app, client)
    _play_version_with_kid(app, sharer, owner.key.kid)
    response = client.post(sharer.url, json=_body(owner.key.kid))
    assert response.status_code == 200, response.text
    (jwk,) = response.json()["keys"]
    assert licenses.from_b64url(jwk["k"]) == owner.key.key
    # The sharer's own title key is not what its version needs.
    assert_problem(client.post(sharer.url, json=_body(sharer.key.kid)), 403, "license_denied")


def test_a_version_whose_key_is_gone_gets_no_licence(app: FastAPI, client: TestClient) -> None:
    started = _start(app, client)
    lost = uuid.uuid4()
    _play_version_with_kid(app, started, lost)
    assert_problem(client.post(started.url, json=_body(lost)), 403, "license_denied")
