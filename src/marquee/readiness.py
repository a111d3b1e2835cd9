"""Readiness: can this process serve? The database, Redis and the object store, probed cheaply.

One probe of each, at most every `cache_seconds`: a load balancer polling every replica,
or a burst of /readyz, never turns into a burst of queries against a struggling service.
Each probe is bounded by its client's own timeouts (see `marquee.redis_client` and the S3
settings), so /readyz answers within about a second even when a dependency is frozen.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Engine

from marquee.observability import dependency_of
from marquee.storage import ObjectStore

if TYPE_CHECKING:
    from redis import Redis

# A key no one writes: asking whether it exists is one HEAD (S3) or one stat (local).
PROBE_KEY = "readyz/probe"
OK, DOWN = "ok", "unavailable"


@dataclass(frozen=True)
class Report:
    checks: dict[str, str]  # dependency -> "ok" | "unavailable" (Redis only when configured)
    checked_at: float

    @property
    def ready(self) -> bool:
        return all(state == OK for state in self.checks.values())


class Readiness:
    def __init__(
        self,
        *,
        engine: Engine,
        redis: Redis[bytes] | None,
        store: ObjectStore,
        cache_seconds: float = 1.5,
    ) -> None:
        self._engine = engine
        self._redis = redis
        self._store = store
        self._cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._last: Report | None = None

    def report(self) -> Report:
        """The latest probe if it is fresh, else a new one (one probe at a time)."""
        with self._lock:
            last = self._last
            if last is not None and time.monotonic() - last.checked_at < self._cache_seconds:
                return last
            self._last = self._probe()
            return self._last

    def _probe(self) -> Report:
        checks = {"database": _state(self._database)}
        if self._redis is not None:
            checks["redis"] = _state(self._ping_redis)
        checks["object_store"] = _state(self._object_store)
        return Report(checks=checks, checked_at=time.monotonic())

    def _database(self) -> None:
        with self._engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def _ping_redis(self) -> None:
        assert self._redis is not None
        self._redis.ping()

    def _object_store(self) -> None:
        self._store.exists(PROBE_KEY)


def _state(probe: Callable[[], None]) -> str:
    try:
        probe()
    except Exception as exc:
        # Only an outage makes a dependency "unavailable"; a bug in a probe must be seen.
        if dependency_of(exc) is None:
            raise
        return DOWN
    return OK
