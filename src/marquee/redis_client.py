"""The Redis client a runtime shares (stream leases, rate limits, readiness), with short timeouts.

redis-py's defaults wait without limit on a frozen server and retry three times with a
backoff of up to ten seconds; a request that needs Redis must instead fail within
about `redis_socket_timeout_seconds`, so that the API answers 503 at once. One retry on a
connection error remains: after a Redis restart, every pooled socket is dead once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from marquee.config import Settings

if TYPE_CHECKING:
    from redis import Redis


def make_redis(settings: Settings) -> Redis[bytes] | None:
    """A client for `settings.redis_url`, or None when the deployment runs without Redis."""
    if not settings.redis_url:
        return None
    from redis import Redis
    from redis.backoff import NoBackoff
    from redis.exceptions import ConnectionError
    from redis.retry import Retry

    client: Redis[bytes] = Redis.from_url(
        settings.redis_url,
        socket_connect_timeout=settings.redis_connect_timeout_seconds,
        socket_timeout=settings.redis_socket_timeout_seconds,
        retry=Retry(NoBackoff(), retries=1, supported_errors=(ConnectionError,)),
    )
    return client
