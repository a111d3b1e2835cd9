"""Body limits before parsing and the browser hardening headers, on every kind of response."""

from __future__ import annotations

import json
import select
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from marquee.accounts.models import Role
from tests import services
from tests.support import assert_problem, signup_with_role

MIB = 1024 * 1024
REGISTER = "/api/v1/auth/register"


def _rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def _json_of(size: int) -> bytes:
    """A syntactically valid JSON document of about `size` bytes."""
    return json.dumps({"events": [{"kind": "x" * 1000}] * (size // 1015)}).encode()


def _read_response(sock: socket.socket, timeout: float) -> bytes:
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_a_declared_body_over_the_limit_is_refused_unread(client: TestClient) -> None:
    body = _json_of(2 * MIB)
    response = client.post(REGISTER, content=body, headers={"Content-Type": "application/json"})
    problem = assert_problem(response, 413, "payload_too_large")
    assert problem["max_bytes"] == MIB


def test_a_chunked_body_is_counted_as_it_arrives(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"email": "a@example.com", "password": "'
        for _ in range(40):
            yield b"x" * 65536
        yield b'"}'

    response = client.post(REGISTER, content=chunks(), headers={"Content-Type": "application/json"})
    assert_problem(response, 413, "payload_too_large")


def test_a_body_under_the_limit_still_parses(client: TestClient) -> None:
    response = client.post(REGISTER, json={"email": "x", "password": "y" * 1000})
    assert_problem(response, 422, "validation_error")


def test_events_take_a_larger_batch_and_no_more(client: TestClient) -> None:
    headers = {"Content-Type": "application/json"}
    two = client.post("/api/v1/events", content=_json_of(2 * MIB), headers=headers)
    assert two.status_code != 413
    six = client.post("/api/v1/events", content=_json_of(6 * MIB), headers=headers)
    assert_problem(six, 413, "payload_too_large")


def test_a_tus_patch_is_bounded_by_the_chunk_size(client: TestClient, app: FastAPI) -> None:
    editor = signup_with_role(client, app, Role.EDITOR)
    headers = {
        **editor.headers,
        "Tus-Resumable": "1.0.0",
        "Upload-Offset": "0",
        "Content-Type": "application/offset+octet-stream",
        "Content-Length": str(65 * MIB),
    }
    response = client.patch(f"/api/v1/admin/uploads/{uuid.uuid4()}", headers=headers)
    assert_problem(response, 413, "payload_too_large")


def test_a_20_mb_body_gets_413_fast_and_costs_no_memory(app: FastAPI) -> None:
    body = _json_of(20 * MIB)
    with services.serve_app(app, services.free_port()) as base:
        port = int(base.rsplit(":", 1)[1])
        before = _rss_bytes()
        for path in (REGISTER, "/api/v1/events"):
            started = time.monotonic()
            with socket.create_connection(("127.0.0.1", port)) as sock:
                head = (
                    f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n"
                )
                sock.sendall(head.encode() + body[: 64 * 1024])
                answer = _read_response(sock, timeout=5)
            elapsed = time.monotonic() - started
            assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
            assert b"application/problem+json" in answer
            assert elapsed < 0.5, elapsed
        # Without Content-Length the count cuts the body off after the limit.
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(
                f"POST {REGISTER} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                "Transfer-Encoding: chunked\r\n\r\n".encode()
            )
            sent = 0
            answer = b""
            while sent < len(body):
                piece = body[sent : sent + 256 * 1024]
                try:
                    sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    break
                sent += len(piece)
                if select.select([sock], [], [], 0)[0]:
                    answer = _read_response(sock, timeout=5)
                    break
            if not answer:
                answer = _read_response(sock, timeout=5)
            assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
            # Answered long before the body ended (the rest sat in socket buffers, unread).
            assert sent < len(body), sent
        grown = _rss_bytes() - before
    assert grown < 8 * MIB, grown


def _assert_hardened(response: object, *, docs: bool = False) -> None:
    from httpx import Response

    assert isinstance(response, Response)
    headers = response.headers
    csp = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    if docs:
        assert "cdn.jsdelivr.net" in csp
    else:
        assert "script-src 'self';" in csp or csp.endswith("script-src 'self'")
        assert "unsafe-inline" not in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert "camera=()" in headers["permissions-policy"]
    assert "strict-transport-security" not in headers


def test_every_kind_of_response_is_hardened(client: TestClient) -> None:
    _assert_hardened(client.get("/"))
    _assert_hardened(client.get("/title/some-deep-link"))
    _assert_hardened(client.get("/api/v1/plans"))
    _assert_hardened(client.get("/api/v1/me"))
    _assert_hardened(client.get("/openapi.json"))
    _assert_hardened(client.get(f"/artwork/{uuid.uuid4()}/poster.jpg"))
    _assert_hardened(client.get("/docs"), docs=True)
    _assert_hardened(client.get("/redoc"), docs=True)
    _assert_hardened(client.post(REGISTER, content=b"x" * (2 * MIB)))


def test_media_files_carry_no_document_headers(client: TestClient) -> None:
    # Any media answer (here a refused link): nosniff, none of the page-only policies.
    headers = client.get(f"/media/{uuid.uuid4()}/1/{'A' * 22}/360/{uuid.uuid4()}/a.m4s").headers
    assert headers["x-content-type-options"] == "nosniff"
    for page_only in ("content-security-policy", "permissions-policy", "x-frame-options"):
        assert page_only not in headers


def test_hsts_only_over_https(app: FastAPI) -> None:
    with TestClient(app, base_url="https://testserver") as secure:
        hsts = secure.get("/api/v1/plans").headers["strict-transport-security"]
    assert hsts.startswith("max-age=31536000")
