"""Sliding-window rate limits: in-process by default, Redis when several replicas share them."""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from redis import Redis


class RateLimiter(Protocol):
    def retry_after(self, key: str, *, limit: int, window: int) -> int | None:
        """Seconds until `key` may act again, or None while it is under `limit`."""

    def hit(self, key: str, *, window: int) -> None:
        """Record one action for `key`."""

    def reset(self, key: str) -> None: ...


class MemoryRateLimiter:
    def __init__(self) -> None:
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _live(self, key: str, window: int, now: float) -> deque[float]:
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - window:
            hits.popleft()
        return hits

    def retry_after(self, key: str, *, limit: int, window: int) -> int | None:
        now = time.monotonic()
        with self._lock:
            hits = self._live(key, window, now)
            if len(hits) < limit:
                return None
            return int(hits[-limit] + window - now) + 1

    def hit(self, key: str, *, window: int) -> None:
        now = time.monotonic()
        with self._lock:
            self._live(key, window, now).append(now)

    def reset(self, key: str) -> None:
        with self._lock:
            self._hits.pop(key, None)


class RedisRateLimiter:
    """A sorted set of hit times per key, trimmed to the window on every read."""

    def __init__(self, client: Redis[bytes], prefix: str = "marquee:rl:") -> None:
        self._redis = client
        self._prefix = prefix

    def retry_after(self, key: str, *, limit: int, window: int) -> int | None:
        name = self._prefix + key
        now = time.time()
        pipe = self._redis.pipeline()
        pipe.zremrangebyscore(name, 0, now - window)
        pipe.zrange(name, -limit, -limit, withscores=True)
        pipe.zcard(name)
        _, oldest, count = pipe.execute()
        if int(count) < limit or not oldest:
            return None
        return int(float(oldest[0][1]) + window - now) + 1

    def hit(self, key: str, *, window: int) -> None:
        name = self._prefix + key
        now = time.time()
        pipe = self._redis.pipeline()
        pipe.zadd(name, {f"{now}:{uuid.uuid4().hex[:8]}": now})
        pipe.expire(name, window + 1)
        pipe.execute()

    def reset(self, key: str) -> None:
        self._redis.delete(self._prefix + key)


class FailOpenRateLimiter:
    """Redis's limits while it answers; this process's own while it does not.

    The `rate_limit_failure = "open"` policy: sign-ins keep working through a Redis outage,
    limited per replica instead of per deployment. After a failure Redis is left alone for
    `pause` seconds, so that a frozen server costs one timeout, not one per check.
    """

    def __init__(self, primary: RateLimiter, *, pause: float = 2.0) -> None:
        self._primary = primary
        self._fallback = MemoryRateLimiter()
        self._pause = pause
        self._down_until = 0.0

    def _use_primary(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self) -> None:
        self._down_until = time.monotonic() + self._pause

    def retry_after(self, key: str, *, limit: int, window: int) -> int | None:
        if self._use_primary():
            try:
                return self._primary.retry_after(key, limit=limit, window=window)
            except _UNREACHABLE:
                self._failed()
        return self._fallback.retry_after(key, limit=limit, window=window)

    def hit(self, key: str, *, window: int) -> None:
        self._fallback.hit(key, window=window)
        if self._use_primary():
            try:
                self._primary.hit(key, window=window)
            except _UNREACHABLE:
                self._failed()

    def reset(self, key: str) -> None:
        self._fallback.reset(key)
        if self._use_primary():
            try:
                self._primary.reset(key)
            except _UNREACHABLE:
                self._failed()


def _unreachable() -> tuple[type[Exception], ...]:
    from redis.exceptions import ConnectionError, TimeoutError

    return (ConnectionError, TimeoutError)


_UNREACHABLE = _unreachable()


def make_rate_limiter(
    client: Redis[bytes] | None, *, failure: Literal["closed", "open"] = "closed"
) -> RateLimiter:
    """Redis when the deployment has one. Closed, its outage refuses the limited actions
    (the 503 of `marquee.outages`); open, they fall back to this process's limits."""
    if client is None:
        return MemoryRateLimiter()
    limiter = RedisRateLimiter(client)
    return FailOpenRateLimiter(limiter) if failure == "open" else limiter
