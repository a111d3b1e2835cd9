"""Sliding-window rate limits: in-process by default, Redis when several replicas share them."""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from typing import TYPE_CHECKING, Protocol

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


def make_rate_limiter(redis_url: str | None) -> RateLimiter:
    if redis_url:
        from redis import Redis

        client: Redis[bytes] = Redis.from_url(redis_url)
        return RedisRateLimiter(client)
    return MemoryRateLimiter()
