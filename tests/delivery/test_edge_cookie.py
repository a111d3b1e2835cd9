"""Native HLS at the real nginx edge: the token in the session's media cookie instead of the
path, renewed by heartbeats, checked by nginx alone and cached once with the path-token form."""

from __future__ import annotations

from http.cookies import Morsel
from typing import Any

import httpx
import pytest

from marquee.delivery.signing import MEDIA_COOKIE
from tests.delivery.support import media_cookie
from tests.delivery.test_edge_gate import (
    LINK_SECONDS,
    GatedEdge,
    gated,
    link_expiry,
    wait_until_refused,
)
from tests.playback.conftest import make_viewer, start_body
from tests.support import ApiUser, assert_problem

__all__ = ["gated"]


def _start(gated: GatedEdge, plan: str) -> tuple[ApiUser, dict[str, Any], Morsel[str]]:
    viewer = make_viewer(gated.api, gated.app, plan=plan)
    body = start_body(viewer.profile_id, title_id=gated.title_id)
    answer = gated.api.post("/api/v1/playback/sessions", json=body, headers=viewer.headers)
    assert answer.status_code == 201, answer.text
    return viewer, dict(answer.json()), media_cookie(answer)


def _get(url: str, cookie: Morsel[str] | str | None) -> httpx.Response:
    value = cookie.value if isinstance(cookie, Morsel) else cookie
    headers = {"Cookie": f"{MEDIA_COOKIE}={value}"} if value is not None else {}
    return httpx.get(url, headers=headers)


@pytest.mark.short_links
def test_the_cookie_is_scoped_to_the_session_and_lives_as_long_as_a_link(
    gated: GatedEdge,
) -> None:
    _, started, cookie = _start(gated, "standard")
    assert cookie["path"] == f"/media/{started['session_id']}/"
    assert cookie["max-age"] in (str(LINK_SECONDS), str(LINK_SECONDS - 1))
    assert cookie["httponly"]
    assert cookie["secure"]
    assert cookie["samesite"] == "strict"
    # The link's own token: {expires}.{signature}.{scope}.
    assert cookie.value == started["media_token"].replace("/", ".")
    assert started["native_hls_url"] == (
        f"/media/{started['session_id']}/cookie/{started['hls_url'].split('/')[6]}/master.m3u8"
    )


def test_native_hls_plays_by_cookie_and_shares_the_cache(gated: GatedEdge) -> None:
    _, started, cookie = _start(gated, "standard")
    native = gated.base + started["native_hls_url"]
    master = _get(native, cookie)
    assert master.status_code == 200, master.text
    assert "v720/720p.m3u8" in master.text
    segment = gated.ladder.segment(480)
    by_cookie = _get(native.removesuffix("master.m3u8") + f"v480/{segment}", cookie)
    by_path = httpx.get(gated.media(started, f"v480/{segment}"))
    assert by_cookie.content == by_path.content == gated.ladder.files[segment]
    # One cached copy, whichever form asked first.
    assert (by_cookie.headers["x-cache-status"], by_path.headers["x-cache-status"]) == (
        "MISS",
        "HIT",
    )
    assert gated.origin.hits[segment] == 1


def test_a_missing_forged_or_foreign_cookie_is_refused_by_nginx_alone(gated: GatedEdge) -> None:
    _, started, cookie = _start(gated, "basic")
    _, _, other = _start(gated, "standard")
    folder = gated.base + started["native_hls_url"].removesuffix("master.m3u8")
    top = f"v1080/{gated.ladder.segment(1080)}"
    before = gated.origin.total
    for relative in ("master.m3u8", f"v480/{gated.ladder.segment(480)}"):
        assert_problem(_get(folder + relative, None), 403, "media_link_invalid")
        assert_problem(_get(folder + relative, other), 403, "media_link_invalid")
        assert_problem(_get(folder + relative, "garbage"), 403, "media_link_invalid")
    widened = cookie.value.replace(".240-480-720", ".240-480-720-1080")
    assert_problem(_get(folder + top, widened), 403, "media_link_invalid")
    assert_problem(_get(folder + top, cookie), 403, "rendition_not_allowed")
    assert gated.origin.total == before


@pytest.mark.short_links
def test_a_heartbeat_renews_the_cookie_native_hls_keeps_its_urls(gated: GatedEdge) -> None:
    viewer, started, cookie = _start(gated, "standard")
    url = gated.base + started["native_hls_url"].removesuffix("master.m3u8")
    url += f"v720/{gated.ladder.segment(720)}"
    assert _get(url, cookie).status_code == 200
    expires = link_expiry(started["media_token"])
    lapsed, refused_at = wait_until_refused(url, expires, cookie=cookie.value)
    assert_problem(lapsed, 403, "media_link_expired")
    assert refused_at >= expires
    # The session is still live: a heartbeat sets a renewed cookie for the same URLs.
    beat = gated.api.post(
        f"/api/v1/playback/sessions/{started['session_id']}/heartbeat",
        json={"position": 1.0, "state": "playing"},
        headers=viewer.headers,
    )
    assert beat.status_code == 200, beat.text
    renewed = media_cookie(beat)
    assert renewed.value == beat.json()["media_token"].replace("/", ".")
    again = _get(url, renewed)
    assert again.status_code == 200
    assert again.headers["x-cache-status"] == "HIT"
