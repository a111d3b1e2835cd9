"""`marquee serve` behind nginx: an idle kept-alive connection stays open longer than the
proxy keeps it, so nginx never reuses a connection the server is closing."""

from __future__ import annotations

import http.client
import time

from marquee.cli import KEEP_ALIVE_SECONDS
from marquee.config import Settings
from tests import services
from tests.delivery.test_edge import api_process

# nginx closes an idle upstream connection after `keepalive_timeout` (60 s unless set); the
# deploy files and the rendered configs leave it at that.
NGINX_UPSTREAM_KEEPALIVE = 60
# uvicorn's own default, which made nginx send requests into closing connections.
UVICORN_DEFAULT_KEEPALIVE = 5


def test_an_idle_connection_outlives_uvicorns_default_and_nginxs_keepalive(
    settings: Settings,
) -> None:
    assert KEEP_ALIVE_SECONDS > NGINX_UPSTREAM_KEEPALIVE
    port = services.free_port()
    with api_process(settings, port):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.request("GET", "/healthz")
            first = conn.getresponse()
            first.read()
            assert first.status == 200
            kept = conn.sock
            # Idle for longer than uvicorn's default: the server must not close the socket.
            time.sleep(UVICORN_DEFAULT_KEEPALIVE + 1.5)
            conn.request("GET", "/healthz")
            second = conn.getresponse()
            second.read()
            assert second.status == 200
            assert conn.sock is kept, "the server closed the idle connection"
        finally:
            conn.close()
