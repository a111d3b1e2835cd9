"""The site at `/`: the built client's shell, hashed assets and deep-link fallback."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from marquee import site
from marquee.errors import install_handlers
from tests.support import assert_problem


def _site_app(web_dir: Path) -> FastAPI:
    app = FastAPI(title="Marquee")
    install_handlers(app)
    site.mount_web(app, web_dir)

    @app.get("/api/v1/ping")
    def ping() -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/media/{rest:path}")
    def media(rest: str) -> dict[str, str]:
        return {"media": rest}

    return app


@pytest.fixture
def built(tmp_path: Path) -> Path:
    web = tmp_path / "dist"
    (web / "assets").mkdir(parents=True)
    (web / "index.html").write_text("<!doctype html><title>Marquee client</title>")
    (web / "assets" / "index-abc123.js").write_text("console.log(1)")
    (web / "favicon.svg").write_text("<svg/>")
    return web


def test_built_index_is_served_and_revalidated(built: Path) -> None:
    client = TestClient(_site_app(built))
    response = client.get("/")
    assert response.status_code == 200
    assert "Marquee client" in response.text
    assert response.headers["cache-control"] == "no-cache"


def test_hashed_assets_are_cached_immutable(built: Path) -> None:
    client = TestClient(_site_app(built))
    response = client.get("/assets/index-abc123.js")
    assert response.status_code == 200
    assert response.text == "console.log(1)"
    assert "immutable" in response.headers["cache-control"]
    assert client.get("/assets/missing.js").status_code == 404


def test_deep_links_fall_back_to_the_client(built: Path) -> None:
    client = TestClient(_site_app(built))
    for path in ("/title/7f1c", "/profiles", "/watch/a/b", "/search?q=toy"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Marquee client" in response.text
    assert client.get("/favicon.svg").text == "<svg/>"


def test_server_paths_are_never_shadowed(built: Path) -> None:
    client = TestClient(_site_app(built))
    assert client.get("/api/v1/ping").json() == {"ok": "yes"}
    assert client.get("/media/s/1/sig/v/seg.m4s").json() == {"media": "s/1/sig/v/seg.m4s"}
    assert_problem(client.get("/api/v1/nothing-here"), 404, "not_found")
    assert_problem(client.get("/api"), 404, "not_found")
    assert_problem(client.get("/healthz"), 404, "not_found")
    assert client.post("/title/x").status_code in (404, 405)


def test_without_a_build_the_plain_page_points_to_the_api(tmp_path: Path) -> None:
    client = TestClient(_site_app(tmp_path / "nothing"))
    response = client.get("/")
    assert response.status_code == 200
    assert "/docs" in response.text
    assert_problem(client.get("/title/x"), 404, "not_found")


def test_client_paths() -> None:
    assert site.is_client_path("/title/1")
    assert site.is_client_path("/apiary")
    assert not site.is_client_path("/api/v1/titles")
    assert not site.is_client_path("/metrics")
    assert not site.is_client_path("/openapi.json")
