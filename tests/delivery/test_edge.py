"""Real nginx, configured from deploy/nginx/marquee.conf, in front of the app under uvicorn."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from starlette.types import Receive, Scope, Send
from typer.testing import CliRunner

from marquee import cli
from marquee.accounts.models import Role
from marquee.config import Settings
from marquee.db import transaction, utcnow
from marquee.delivery.edge import (
    BalancerOptions,
    EdgeConfigError,
    EdgeOptions,
    Upstreams,
    balancer_config,
    nginx_config,
    prepare_dirs,
    render,
)
from marquee.delivery.errors import LinkExpired, LinkInvalid
from tests import services
from tests.catalog.factories import make_title
from tests.delivery.support import Published, link, open_session, publish, tampered, url
from tests.playback.packaged import packaged
from tests.support import assert_problem, signup_with_role

__all__ = ["packaged"]
SEGMENT = "seg-2-00001.m4s"
MIB = 1024 * 1024


@dataclass
class OriginCounter:
    """ASGI wrapper counting the media requests that reach the origin, by path."""

    app: FastAPI
    hits: Counter[str] = field(default_factory=Counter)
    ranges: list[str] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/media/"):
            self.hits[scope["path"].rsplit("/", 1)[-1]] += 1
            headers = dict(scope["headers"])
            self.ranges.append(headers.get(b"range", b"").decode())
        await self.app(scope, receive, send)

    @property
    def total(self) -> int:
        return sum(self.hits.values())


@dataclass
class Edge:
    base: str
    port: int
    origin: OriginCounter
    published: Published
    app: FastAPI

    def url(self, relative: str, session_id: uuid.UUID | None = None) -> str:
        sid = session_id or open_session(self.app, self.published)
        return self.base + url(self.app.state.runtime.settings, sid, self.published, relative)


@contextmanager
def start_edge(
    app: FastAPI, published: Published, root: Path, *, media_root: Path | None = None
) -> Iterator[Edge]:
    """Real nginx from the production template in front of the app, counting origin calls."""
    counter = OriginCounter(app)
    origin_port, edge_port = services.free_port(), services.free_port()
    options = EdgeOptions(
        listen=f"127.0.0.1:{edge_port}",
        origins=Upstreams(servers=(f"127.0.0.1:{origin_port}",)),
        cache_dir=root / "cache",
        run_dir=root / "run",
        log_dir=root / "logs",
        user="root" if os.geteuid() == 0 else None,
        worker_processes="2",
        cache_max_size="1g",
        media_root=media_root,
    )
    prepare_dirs(options)
    config = root / "nginx.conf"
    config.write_text(nginx_config(app.state.runtime.settings, options))
    with services.serve_app(counter, origin_port), services.nginx(config, edge_port):
        yield Edge(f"http://127.0.0.1:{edge_port}", edge_port, counter, published, app)


@pytest.fixture
def edge(app: FastAPI, packaged: Path, tmp_path: Path) -> Iterator[Edge]:
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(2 * MIB + MIB // 2))
    published = publish(app, packaged, {"big.bin": big})
    with start_edge(app, published, tmp_path / "edge") as running:
        yield running


def _nginx_options(root: Path) -> dict[str, object]:
    return {
        "run_dir": root / "run",
        "log_dir": root / "logs",
        "user": "root" if os.geteuid() == 0 else None,
        "worker_processes": "2",
    }


@contextmanager
def api_process(settings: Settings, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """A real `marquee serve` on loopback with the test's settings: something to kill -9."""
    env = {
        **os.environ,
        "MARQUEE_ENV": settings.env,
        "MARQUEE_DATABASE_URL": settings.resolved_database_url,
        "MARQUEE_VAR_DIR": str(settings.var_dir),
        "MARQUEE_JSON_LOGS": "false",
        "MARQUEE_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "marquee.cli", "serve", "--port", str(port)]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    try:
        services.wait_for_port(port, timeout=90)
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=20)


def test_with_one_of_two_origins_killed_uncached_segments_still_answer(
    app: FastAPI, packaged: Path, tmp_path: Path
) -> None:
    published = publish(app, packaged)
    segments = sorted(name for name in published.files if name.endswith(".m4s"))
    assert len(segments) >= 6
    ports = [services.free_port(), services.free_port()]
    edge_port = services.free_port()
    root = tmp_path / "edge"
    options = EdgeOptions(
        listen=f"127.0.0.1:{edge_port}",
        origins=Upstreams(servers=tuple(f"127.0.0.1:{port}" for port in ports)),
        cache_dir=root / "cache",
        cache_max_size="1g",
        **_nginx_options(root),  # type: ignore[arg-type]
    )
    prepare_dirs(options)
    config = root / "nginx.conf"
    config.write_text(nginx_config(app.state.runtime.settings, options))
    settings = app.state.runtime.settings
    base = f"http://127.0.0.1:{edge_port}"
    with ExitStack() as stack:
        first, _ = (stack.enter_context(api_process(settings, port)) for port in ports)
        stack.enter_context(services.nginx(config, edge_port))
        *served, last = segments
        before = httpx.get(base + url(settings, open_session(app, published), published, served[0]))
        assert before.status_code == 200
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        answers = []
        for name in served[1:]:
            for _ in range(2):  # a miss, then a hit, each from a session of its own
                sid = open_session(app, published)
                answers.append((name, httpx.get(base + url(settings, sid, published, name))))
        assert [(n, r.status_code) for n, r in answers] == [(n, 200) for n, _ in answers]
        assert all(r.content == published.files[n].read_bytes() for n, r in answers)
        assert {r.headers["x-cache-status"] for _, r in answers} == {"MISS", "HIT"}
        stack.close()  # every origin gone: what nginx says itself is a problem too
        with services.nginx(config, edge_port):
            down = httpx.get(base + url(settings, open_session(app, published), published, last))
            assert_problem(down, 502, "upstream_unavailable")
            assert down.headers["retry-after"] == "5"
            assert down.headers["access-control-allow-origin"] == "*"
            assert_problem(httpx.get(base + "/nowhere"), 404, "not_found")


@dataclass
class RequestLog:
    """ASGI wrapper keeping what a replica saw of each request through the load balancer."""

    app: FastAPI
    seen: list[dict[str, str]] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = {k.decode(): v.decode() for k, v in scope["headers"]}
            self.seen.append({**headers, "client": scope["client"][0], "scheme": scope["scheme"]})
        await self.app(scope, receive, send)


def test_the_load_balancer_keeps_host_and_port_spreads_and_survives_a_lost_replica(
    app: FastAPI, client: TestClient, tmp_path: Path
) -> None:
    editor = signup_with_role(client, app, Role.EDITOR)
    with transaction(app.state.runtime.sessionmaker) as session:
        title_id = str(make_title(session).id)
    replicas = [RequestLog(app), RequestLog(app)]
    ports = [services.free_port() for _ in replicas]
    lb_port = services.free_port()
    root = tmp_path / "lb"
    options = BalancerOptions(
        listen=f"127.0.0.1:{lb_port}",
        apis=Upstreams(servers=tuple(f"127.0.0.1:{port}" for port in ports)),
        **_nginx_options(root),  # type: ignore[arg-type]
    )
    prepare_dirs(options)
    config = root / "nginx.conf"
    config.write_text(balancer_config(options))
    base = f"http://127.0.0.1:{lb_port}"
    with ExitStack() as stack:
        stopping = [stack.enter_context(ExitStack()) for _ in replicas]
        for replica, port, own in zip(replicas, ports, stopping, strict=True):
            own.enter_context(services.serve_app(replica, port))
        stack.enter_context(services.nginx(config, lb_port))
        created = httpx.post(
            base + "/api/v1/admin/uploads/",
            headers={
                "Host": "tv.example:8443",
                "Authorization": f"Bearer {editor.access_token}",
                "Tus-Resumable": "1.0.0",
                "Upload-Length": "10",
                "Upload-Metadata": f"title_id {_b64(title_id)},filename {_b64('m.mov')}",
                "X-Request-Id": "lb-test-1",
            },
        )
        assert created.status_code == 201, created.text
        assert created.headers["location"].startswith("http://tv.example:8443/api/v1/admin/")
        assert created.headers["x-request-id"] == "lb-test-1"
        upload = next(seen for r in replicas for seen in r.seen if seen.get("upload-length"))
        assert upload["host"] == "tv.example:8443"
        assert upload["x-forwarded-host"] == "tv.example:8443"
        assert upload["x-forwarded-proto"] == "http"
        assert upload["x-forwarded-port"] == str(lb_port)
        assert upload["x-forwarded-for"] == "127.0.0.1"
        statuses = [httpx.get(base + "/healthz").status_code for _ in range(10)]
        assert statuses == [200] * 10
        assert all(r.seen for r in replicas)  # both replicas took requests
        stopping[0].close()
        statuses = [httpx.get(base + "/healthz").status_code for _ in range(20)]
        assert statuses == [200] * 20
        stopping[1].close()
        down = httpx.get(base + "/healthz")
        assert_problem(down, 502, "upstream_unavailable")
        assert down.headers["retry-after"] == "5"
        too_big = httpx.post(base + "/api/v1/auth/login", content=b"x" * (300 * MIB))
        assert_problem(too_big, 413, "payload_too_large")


def _b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode()).decode()


def test_a_cold_miss_reaches_the_origin_once_then_every_session_hits_the_cache(
    edge: Edge,
) -> None:
    data = edge.published.files[SEGMENT].read_bytes()
    first = httpx.get(edge.url(SEGMENT))
    assert first.status_code == 200
    assert first.content == data
    assert first.headers["x-cache-status"] == "MISS"
    assert first.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert first.headers["access-control-allow-origin"] == "*"
    second = httpx.get(edge.url(SEGMENT))  # another session, same cached copy
    assert second.headers["x-cache-status"] == "HIT"
    assert second.content == data
    assert edge.origin.hits[SEGMENT] == 1


def test_a_segment_is_one_cache_entry_and_ranges_are_cut_from_it(edge: Edge) -> None:
    data = edge.published.files[SEGMENT].read_bytes()
    part = httpx.get(edge.url(SEGMENT), headers={"Range": "bytes=10-109"})
    assert part.status_code == 206
    assert part.content == data[10:110]
    assert edge.origin.ranges == [""]  # the origin was asked for the whole file, once
    tail = httpx.get(edge.url(SEGMENT), headers={"Range": f"bytes={len(data) - 50}-"})
    assert (tail.status_code, tail.content) == (206, data[-50:])
    assert tail.headers["x-cache-status"] == "HIT"
    assert edge.origin.hits[SEGMENT] == 1


def test_a_hundred_concurrent_misses_reach_the_origin_exactly_once(edge: Edge) -> None:
    target = edge.url(SEGMENT)
    data = edge.published.files[SEGMENT].read_bytes()

    async def burst() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=100)
        async with httpx.AsyncClient(limits=limits, timeout=30) as client:
            return await asyncio.gather(*(client.get(target) for _ in range(100)))

    responses = asyncio.run(burst())
    assert [r.status_code for r in responses] == [200] * 100
    assert all(r.content == data for r in responses)
    assert edge.origin.hits[SEGMENT] == 1


def test_tampered_and_expired_links_are_refused_at_the_edge(edge: Edge) -> None:
    settings = edge.app.state.runtime.settings
    sid = open_session(edge.app, edge.published)
    good = link(settings, sid, edge.published.version_id)
    for relative in (SEGMENT, "master.m3u8"):
        refused = httpx.get(edge.base + tampered(good) + relative)
        # The problem's own title, as the origin answers it, not a generic one.
        assert assert_problem(refused, 403, "media_link_invalid")["title"] == LinkInvalid.title
        longer = good.prefix.replace(f"/{good.expires}/", f"/{good.expires + 86400}/")
        assert_problem(httpx.get(edge.base + longer + relative), 403, "media_link_invalid")
        past = link(
            settings, sid, edge.published.version_id, expires_at=utcnow() - timedelta(seconds=5)
        )
        expired = assert_problem(
            httpx.get(edge.base + past.prefix + relative), 403, "media_link_expired"
        )
        assert expired["title"] == LinkExpired.title
    assert edge.origin.total == 0


def test_manifests_pass_through_per_session_and_are_never_cached(edge: Edge) -> None:
    small = open_session(edge.app, edge.published, max_height=240)
    large = open_session(edge.app, edge.published, max_height=1080)
    for _ in range(2):
        narrow = httpx.get(edge.url("master.m3u8", small))
        assert narrow.status_code == 200
        assert "240p.m3u8" in narrow.text
        assert "360p.m3u8" not in narrow.text
    wide = httpx.get(edge.url("master.m3u8", large))
    assert "480p.m3u8" in wide.text
    assert narrow.headers["cache-control"] == "private, max-age=10"
    assert edge.origin.hits["master.m3u8"] == 3
    stopped = open_session(edge.app, edge.published, stopped=True)
    assert_problem(httpx.get(edge.url("manifest.mpd", stopped)), 403, "media_session_ended")


def test_large_files_are_cached_in_slices_and_ranges_are_served_from_them(edge: Edge) -> None:
    data = edge.published.files["big.bin"].read_bytes()
    target = edge.url("big.bin")
    part = httpx.get(target, headers={"Range": f"bytes={MIB + 10}-{MIB + 109}"})
    assert part.status_code == 206
    assert part.content == data[MIB + 10 : MIB + 110]
    assert edge.origin.hits["big.bin"] == 1  # only the slice holding the range
    whole = httpx.get(target)
    assert whole.status_code == 200
    assert whole.content == data
    assert edge.origin.hits["big.bin"] == 3  # the two other slices
    assert httpx.get(edge.url("big.bin")).content == data
    assert edge.origin.hits["big.bin"] == 3
    assert f"bytes={MIB}-{2 * MIB - 1}" in edge.origin.ranges


def raw_get(port: int, path: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: edge\r\nConnection: close\r\n\r\n".encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_paths_that_climb_out_never_reach_a_file(edge: Edge) -> None:
    prefix = link(edge.app.state.runtime.settings, uuid.uuid4(), edge.published.version_id).prefix
    for escape in ("../../../../../etc/passwd", "%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd"):
        answer = raw_get(edge.port, prefix + escape)
        assert answer.split(b" ", 2)[1] in (b"400", b"403", b"404"), answer[:200]
        assert b"root:" not in answer
    inside = link(
        edge.app.state.runtime.settings,
        open_session(edge.app, edge.published),
        edge.published.version_id,
    )
    answer = raw_get(edge.port, inside.prefix + "x/%2e%2e/.hidden")
    assert answer.split(b" ", 2)[1] == b"404"


def test_the_config_refuses_secrets_nginx_would_misread(tmp_path: Path) -> None:
    for secret in ('a"b', "a$b", "a b", "a;b", "a\\b", "a{b", ""):
        settings = Settings(env="test", media_link_secret=SecretStr(secret))
        with pytest.raises(EdgeConfigError):
            nginx_config(settings, EdgeOptions())
    with pytest.raises(EdgeConfigError):
        nginx_config(
            Settings(env="test"), EdgeOptions(origins=Upstreams(servers=("127.0.0.1:80; evil",)))
        )
    with pytest.raises(EdgeConfigError):
        nginx_config(Settings(env="test"), EdgeOptions(origins=Upstreams(servers=())))
    with pytest.raises(EdgeConfigError):
        balancer_config(BalancerOptions(apis=Upstreams(fail_timeout="10s; evil")))
    with pytest.raises(EdgeConfigError):
        render("listen {{ port }};", {})


def test_cli_renders_the_edge_with_the_link_secret_and_the_cors_origins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MARQUEE_MEDIA_LINK_SECRET", "edge-secret-42")
    monkeypatch.setenv("MARQUEE_CORS_ORIGINS", '["https://tv.example"]')
    output = tmp_path / "edge.conf"
    result = CliRunner().invoke(
        cli.app,
        [
            "edge",
            "config",
            "--listen",
            "127.0.0.1:9090",
            "--output",
            str(output),
            "--origin",
            "10.0.0.1:8000",
            "--origin",
            "10.0.0.2:8000",
            "--max-fails",
            "3",
        ],
    )
    assert result.exit_code == 0, result.output
    text = output.read_text()
    assert 'secure_link_md5 "$secure_link_expires:$session:$scope:$version edge-secret-42";' in text
    assert "listen 127.0.0.1:9090;" in text
    assert "server 10.0.0.1:8000 max_fails=3 fail_timeout=10s;" in text
    assert "server 10.0.0.2:8000 max_fails=3 fail_timeout=10s;" in text
    assert "proxy_next_upstream error timeout http_502 http_504;" in text
    assert '"https://tv.example" "https://tv.example";' in text
    assert not re.search(r"\{\{\s*\w+\s*\}\}", text)
    assert output.stat().st_mode & 0o077 == 0
    check = subprocess.run(
        ["/usr/sbin/nginx", "-t", "-q", "-e", str(tmp_path / "e.log"), "-c", str(output)],
        capture_output=True,
        text=True,
    )
    # Only the absent production folders may stop it; the syntax itself must pass.
    assert "emerg" not in check.stderr or "No such file or directory" in check.stderr, check.stderr
