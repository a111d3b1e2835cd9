import pytest

from marquee.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter


def _exercise(limiter: RateLimiter) -> None:
    key = "login:test"
    limiter.reset(key)
    for _ in range(3):
        assert limiter.retry_after(key, limit=3, window=60) is None
        limiter.hit(key, window=60)
    retry = limiter.retry_after(key, limit=3, window=60)
    assert retry is not None
    assert 1 <= retry <= 61
    assert limiter.retry_after("login:other", limit=3, window=60) is None
    limiter.reset(key)
    assert limiter.retry_after(key, limit=3, window=60) is None


def test_memory_limiter() -> None:
    _exercise(MemoryRateLimiter())


def test_redis_limiter_on_a_real_redis(redis_url: str) -> None:
    from redis import Redis

    client: Redis[bytes] = Redis.from_url(redis_url)
    _exercise(RedisRateLimiter(client))
    client.close()


@pytest.mark.parametrize("window", [1])
def test_window_expires(window: int) -> None:
    import time

    limiter = MemoryRateLimiter()
    limiter.hit("k", window=window)
    assert limiter.retry_after("k", limit=1, window=window) is not None
    time.sleep(window + 0.05)
    assert limiter.retry_after("k", limit=1, window=window) is None
