"""The load balancer and a replica that dies with a request in flight: a heartbeat, which is
harmless to send twice, goes to the next replica; a session start, which is not, does not."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from marquee.delivery.edge import BalancerOptions, Upstreams, balancer_config, prepare_dirs
from tests import services
from tests.delivery.test_edge import _nginx_options

HEARTBEAT = "/api/v1/playback/sessions/5b1c0a62-0d7e-4e36-9d0e-1f2b3c4d5e6f/heartbeat"


@contextmanager
def dying_replica(port: int) -> Iterator[None]:
    """Takes each request whole, then drops the connection unanswered, as a replica killed
    mid-request does."""
    server = socket.create_server(("127.0.0.1", port))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(2)
                with suppress(OSError):
                    conn.recv(65536)

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        server.close()


async def _answer(request: Request) -> JSONResponse:
    return JSONResponse({"replica": "alive"})


ALIVE = Starlette(routes=[Route("/{path:path}", _answer, methods=["POST"])])


def test_a_heartbeat_cut_off_by_a_dying_replica_goes_to_the_next_one(tmp_path: Path) -> None:
    dying, alive, lb_port = (services.free_port() for _ in range(3))
    root = tmp_path / "lb"
    options = BalancerOptions(
        listen=f"127.0.0.1:{lb_port}",
        apis=Upstreams(servers=(f"127.0.0.1:{dying}", f"127.0.0.1:{alive}"), max_fails=100),
        **_nginx_options(root),  # type: ignore[arg-type]
    )
    prepare_dirs(options)
    config = root / "nginx.conf"
    config.write_text(balancer_config(options))
    base = f"http://127.0.0.1:{lb_port}"
    body = {"position": 12.0, "state": "playing"}
    with (
        dying_replica(dying),
        services.serve_app(ALIVE, alive),
        services.nginx(config, lb_port),
    ):
        beats = [httpx.post(base + HEARTBEAT, json=body, timeout=10) for _ in range(8)]
        starts = [
            httpx.post(base + "/api/v1/playback/sessions", json={}, timeout=10) for _ in range(8)
        ]
    assert [r.status_code for r in beats] == [200] * 8
    assert all(r.json() == {"replica": "alive"} for r in beats)
    # A start sent twice could take two stream slots: the one that reached the dying replica
    # fails, as it must, rather than be sent again.
    assert 502 in {r.status_code for r in starts}


async def _unavailable(request: Request) -> JSONResponse:
    problem = {
        "type": "database_unavailable",
        "title": "The database is unavailable.",
        "status": 503,
    }
    return JSONResponse(
        problem,
        status_code=503,
        headers={"Retry-After": "2"},
        media_type="application/problem+json",
    )


UNAVAILABLE = Starlette(routes=[Route("/{path:path}", _unavailable, methods=["GET", "POST"])])


def test_replicas_answering_503_during_an_outage_stay_in_the_balancer(tmp_path: Path) -> None:
    # Every replica shares the database: when it is down, each answers 503 with Retry-After.
    # Counted as failures, those would take every replica out of the group, and viewers
    # would hear the balancer's own 502 "no live upstreams" instead.
    first, second, lb_port = (services.free_port() for _ in range(3))
    root = tmp_path / "lb"
    options = BalancerOptions(
        listen=f"127.0.0.1:{lb_port}",
        apis=Upstreams(servers=(f"127.0.0.1:{first}", f"127.0.0.1:{second}")),
        **_nginx_options(root),  # type: ignore[arg-type]
    )
    prepare_dirs(options)
    config = root / "nginx.conf"
    config.write_text(balancer_config(options))
    base = f"http://127.0.0.1:{lb_port}"
    with (
        services.serve_app(UNAVAILABLE, first),
        services.serve_app(UNAVAILABLE, second),
        services.nginx(config, lb_port),
    ):
        replies = [httpx.get(base + "/api/v1/titles", timeout=10) for _ in range(6)]
        replies += [httpx.post(base + HEARTBEAT, json={}, timeout=10) for _ in range(6)]
    assert [r.status_code for r in replies] == [503] * 12
    assert all(r.json()["type"] == "database_unavailable" for r in replies)
    assert all(r.headers["Retry-After"] == "2" for r in replies)
