"""Readiness probes each dependency once per cache period, and only outages make it unready."""

from __future__ import annotations

import time
from pathlib import Path

from redis import Redis
from sqlalchemy import Engine

from marquee.config import Settings
from marquee.readiness import Readiness
from marquee.redis_client import make_redis
from marquee.storage.local import LocalStore
from tests.outage_services import redis_server


def _client(settings: Settings, url: str) -> Redis[bytes]:
    update = {"redis_url": url, "redis_socket_timeout_seconds": 0.25}
    client = make_redis(settings.model_copy(update=update))
    assert client is not None
    return client


def test_the_probe_is_reused_for_the_cache_period_then_taken_again(
    settings: Settings, db_engine: Engine, tmp_path: Path
) -> None:
    with redis_server() as redis:
        client = _client(settings, redis.url)
        readiness = Readiness(
            engine=db_engine, redis=client, store=LocalStore(tmp_path), cache_seconds=1.0
        )
        try:
            first = readiness.report()
            assert first.ready
            assert first.checks == {"database": "ok", "redis": "ok", "object_store": "ok"}
            redis.kill()
            # Within the period nobody is probed again: a burst of /readyz costs nothing.
            assert readiness.report() is first
            time.sleep(1.05)
            after = readiness.report()
            assert not after.ready
            assert after.checks["redis"] == "unavailable"
        finally:
            client.close()


def test_without_redis_readiness_checks_the_database_and_the_store(
    db_engine: Engine, tmp_path: Path
) -> None:
    readiness = Readiness(engine=db_engine, redis=None, store=LocalStore(tmp_path))
    assert readiness.report().checks == {"database": "ok", "object_store": "ok"}
