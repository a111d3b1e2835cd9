"""A small HTTP/1.1 load generator on asyncio streams: keep-alive connections, timed requests.

No third-party load tool is needed (wrk is not installed here); the same client drives
Marquee and the nginx baselines, so their figures are comparable. Run with uvloop when
present: the client then costs far less CPU than the servers it measures.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


class HttpError(RuntimeError):
    pass


class Connection:
    """One keep-alive connection; requests on it are sequential, as a browser's are."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None or self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(
                self.host, self.port, limit=1 << 20
            )
        return self._reader, self._writer

    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
        read_body: bool = True,
    ) -> Reply:
        reader, writer = await self._open()
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if body or method in ("POST", "PUT"):
            lines.append(f"Content-Length: {len(body)}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        status_line = await reader.readline()
        if not status_line:
            raise HttpError("connection closed")
        status = int(status_line.split(b" ", 2)[1])
        reply_headers: dict[str, str] = {}
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            reply_headers[name.strip().lower()] = value.strip()
        data = await _read_body(reader, reply_headers, method, status, read_body)
        if reply_headers.get("connection", "").lower() == "close":
            await self.close()
        return Reply(status, reply_headers, data)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
        self._reader = self._writer = None


async def _read_body(
    reader: asyncio.StreamReader, headers: dict[str, str], method: str, status: int, keep: bool
) -> bytes:
    if method == "HEAD" or status in (204, 304):
        return b""
    if "content-length" in headers:
        length = int(headers["content-length"])
        if keep:
            return await reader.readexactly(length)
        while length > 0:  # drain without keeping: throughput runs move gigabytes
            chunk = await reader.read(min(length, 1 << 20))
            if not chunk:
                raise HttpError("short body")
            length -= len(chunk)
        return b""
    if headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while (size := int((await reader.readline()).split(b";")[0], 16)) > 0:
            parts.append(await reader.readexactly(size))
            await reader.readline()
        await reader.readline()
        return b"".join(parts) if keep else b""
    raise HttpError("response without a length")


class _Counting(asyncio.Protocol):
    """Reads responses by counting body bytes as they arrive: nothing is copied or kept."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self._head = b""
        self._left = -1
        self._status = 0
        self._length = 0
        self._done: asyncio.Future[tuple[int, int]] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no subclass

    def connection_lost(self, exc: Exception | None) -> None:
        if self._done is not None and not self._done.done():
            self._done.set_exception(HttpError("connection closed"))

    def send(self, request: bytes) -> asyncio.Future[tuple[int, int]]:
        assert self.transport is not None
        self._done = asyncio.get_running_loop().create_future()
        self._head, self._left = b"", -1
        self.transport.write(request)
        return self._done

    def data_received(self, data: bytes) -> None:
        if self._left < 0:
            self._head += data
            end = self._head.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self._head[:end].decode("latin-1").lower()
            self._status = int(head.split(" ", 2)[1])
            length = (
                head.split("content-length:", 1)[1].split("\r\n", 1)[0]
                if "content-length:" in head
                else "0"
            )
            self._length = self._left = int(length)
            data = self._head[end + 4 :]
        self._left -= len(data)
        if self._left <= 0 and self._done is not None and not self._done.done():
            self._done.set_result((self._status, self._length))


@dataclass
class Samples:
    """Latencies in milliseconds and bytes moved, with the wall time they took."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    nbytes: int = 0
    seconds: float = 0.0
    cpu: float = 0.0  # CPU seconds the server spent, when measured

    @property
    def cpu_us_per_request(self) -> float:
        return self.cpu / len(self.latencies) * 1e6 if self.latencies else float("nan")

    @property
    def gbits_per_cpu(self) -> float:
        """Gbit moved per CPU second of the server: what one core could sustain."""
        return self.nbytes * 8 / self.cpu / 1e9 if self.cpu else float("nan")

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) if self.latencies else float("nan")

    @property
    def p99(self) -> float:
        return self.percentile(0.99)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    @property
    def gbits(self) -> float:
        return self.nbytes * 8 / self.seconds / 1e9 if self.seconds else 0.0


async def closed_loop(
    host: str,
    port: int,
    paths: Callable[[int], str],
    *,
    connections: int,
    seconds: float,
    headers: dict[str, str] | None = None,
) -> Samples:
    """`connections` clients each sending GETs back to back for `seconds`; paths(n) picks each.

    Bodies are counted, not kept, so the client stays cheap next to the servers it measures.
    """
    samples = Samples()
    deadline = time.perf_counter() + seconds

    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())

    async def client(n: int) -> None:
        loop = asyncio.get_running_loop()
        transport, protocol = await loop.create_connection(_Counting, host, port)
        i = n
        try:
            while time.perf_counter() < deadline:
                request = f"GET {paths(i)} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n".encode()
                started = time.perf_counter()
                status, length = await protocol.send(request)
                samples.latencies.append((time.perf_counter() - started) * 1000)
                if status not in (200, 206):
                    samples.errors += 1
                samples.nbytes += length
                i += connections
        finally:
            transport.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(connections)))
    samples.seconds = time.perf_counter() - started
    return samples


def run(main: Callable[[], Awaitable[None]]) -> None:
    """Run `main` on uvloop when it is installed, else on the default loop."""
    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())


def load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())
