"""The nginx edge replaces what a client says about its own country and forwarding chain."""

from __future__ import annotations

import json
import os
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
from starlette.types import Receive, Scope, Send

from marquee.config import Settings
from marquee.db import utcnow
from marquee.delivery import signing
from marquee.delivery.edge import EdgeOptions, Upstreams, nginx_config, prepare_dirs
from tests import services


async def echo_headers(scope: Scope, receive: Receive, send: Send) -> None:
    """An origin that answers with the request headers it was given."""
    assert scope["type"] == "http"
    body = json.dumps({k.decode(): v.decode() for k, v in scope["headers"]}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def test_the_edge_strips_the_country_header_and_restarts_the_chain(tmp_path: Path) -> None:
    settings = Settings(env="test", var_dir=tmp_path / "var")
    origin_port, edge_port = services.free_port(), services.free_port()
    root = tmp_path / "edge"
    options = EdgeOptions(
        listen=f"127.0.0.1:{edge_port}",
        origins=Upstreams(servers=(f"127.0.0.1:{origin_port}",)),
        cache_dir=root / "cache",
        run_dir=root / "run",
        log_dir=root / "logs",
        user="root" if os.geteuid() == 0 else None,
        worker_processes="1",
        cache_max_size="10m",
    )
    prepare_dirs(options)
    config = root / "nginx.conf"
    config.write_text(nginx_config(settings, options))
    link = signing.sign(
        settings.media_link_secret.get_secret_value(),
        session_id=uuid.uuid4(),
        version_id=uuid.uuid4(),
        heights=(240,),
        expires_at=utcnow() + timedelta(minutes=5),
    )
    lying = {"CloudFront-Viewer-Country": "FR", "X-Forwarded-For": "198.51.100.7"}
    with services.serve_app(echo_headers, origin_port), services.nginx(config, edge_port):
        base = f"http://127.0.0.1:{edge_port}"
        for name in ("master.m3u8", "seg-1-00001.m4s"):
            response = httpx.get(f"{base}{link.prefix}{name}", headers=lying, timeout=10)
            assert response.status_code == 200, response.text
            seen = response.json()
            assert "cloudfront-viewer-country" not in seen
            assert seen["x-forwarded-for"] == "127.0.0.1"
