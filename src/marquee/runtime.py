"""The one composition root: everything a Marquee process is wired from, built once from settings.

The API (`create_app`), the worker (`marquee worker`) and every CLI command build the same
`Runtime` with `Runtime.from_settings`; they differ in what they run, never in how they are
wired. In particular every process's sessions carry the same listeners (the search outbox),
so nothing correct depends on which process made a change. Caches and background threads
live here, not in modules, so two runtimes in one process (tests, benchmarks) never share
state, and `close()` joins every thread before the engine goes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from marquee.config import Settings
from marquee.db import make_engine, make_sessionmaker, utcnow
from marquee.delivery.origin import Origin
from marquee.events.metrics import EventMetrics
from marquee.events.service import KnownTitles
from marquee.jobs.metrics import QueueCollector
from marquee.jobs.registry import Registry, load_registry, module_names
from marquee.observability import Metrics
from marquee.playback.heartbeats import VersionDurations
from marquee.playback.metrics import StreamSlotsCollector
from marquee.playback.slots import StreamSlots, make_stream_slots
from marquee.ratelimit import RateLimiter, make_rate_limiter
from marquee.readiness import Readiness
from marquee.recommend.breaker import CircuitBreaker
from marquee.recommend.cache import HomeCache
from marquee.recommend.snapshot import SnapshotCache
from marquee.recommend.sources import CandidateSource, TableSource
from marquee.redis_client import make_redis
from marquee.search import hooks as search_hooks
from marquee.search.index import Index, make_index
from marquee.storage import ObjectStore, make_store

if TYPE_CHECKING:
    from redis import Redis

Clock = Callable[[], datetime]


@dataclass
class HomeServing:
    """What serving home rows keeps between requests; the source may be swapped (tests)."""

    source: CandidateSource
    breaker: CircuitBreaker
    cache: HomeCache
    snapshots: SnapshotCache


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessionmaker: sessionmaker[Session]
    store: ObjectStore
    index: Index
    slots: StreamSlots
    rate_limiter: RateLimiter
    metrics: Metrics
    event_metrics: EventMetrics
    home: HomeServing
    origin: Origin
    readiness: Readiness
    # The one Redis client (None without Redis): stream leases, rate limits, readiness.
    redis: Redis[bytes] | None = None
    # Titles known to exist, shared by every event append of this process.
    known_titles: KnownTitles = field(default_factory=KnownTitles)
    # A published version's duration, for heartbeats (versions are immutable).
    durations: VersionDurations = field(default_factory=VersionDurations)
    clock: Clock = utcnow
    _closed: bool = field(default=False, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings, *, clock: Clock = utcnow) -> Runtime:
        engine = make_engine(settings.resolved_database_url)
        factory = make_sessionmaker(engine)
        # Changes that search must follow are queued in their own transaction, whichever
        # process commits them (see search/hooks.py).
        search_hooks.watch(factory)
        store = make_store(settings)
        metrics = Metrics()
        # Read from the database at scrape time: the queue and the stream slots in use.
        errors = metrics.dependency_errors
        metrics.registry.register(QueueCollector(factory, errors))
        idle = settings.playback_idle_seconds
        metrics.registry.register(StreamSlotsCollector(factory, idle, errors))
        # One client, with short timeouts, for everything this process keeps in Redis.
        redis = make_redis(settings)
        return cls(
            settings=settings,
            engine=engine,
            sessionmaker=factory,
            store=store,
            index=make_index(settings, engine),
            slots=make_stream_slots(redis, idle_seconds=idle),
            rate_limiter=make_rate_limiter(redis, failure=settings.rate_limit_failure),
            metrics=metrics,
            event_metrics=EventMetrics(metrics.registry),
            home=HomeServing(
                source=TableSource(),
                breaker=CircuitBreaker(budget_ms=50.0),
                cache=HomeCache(),
                snapshots=SnapshotCache(factory=factory),
            ),
            origin=Origin(settings=settings, store=store, sessions=factory),
            readiness=Readiness(
                engine=engine, redis=redis, store=store, cache_seconds=settings.ready_cache_seconds
            ),
            redis=redis,
            clock=clock,
        )

    @classmethod
    @contextmanager
    def running(cls, settings: Settings) -> Iterator[Runtime]:
        """A runtime for the length of a block: what each CLI command builds."""
        runtime = cls.from_settings(settings)
        try:
            yield runtime
        finally:
            runtime.close()

    @functools.cached_property
    def registry(self) -> Registry:
        """The job kinds this deployment handles; imported on first use (the API rarely needs
        the handlers, and they pull in the media library)."""
        return load_registry(module_names(self.settings))

    def close(self) -> None:
        """Join the background threads, then give the database connections back. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self.home.snapshots.close()
        if self.redis is not None:
            self.redis.close()
        self.engine.dispose()
