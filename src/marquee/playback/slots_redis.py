"""Stream slots in Redis: one sorted set per account, session ids scored by lease expiry."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from marquee.db import utcnow

if TYPE_CHECKING:
    from redis import Redis

# Drop lapsed leases, then renew the caller's or add it if the account is under its limit.
# One script, so concurrent starts on every replica see and change the set atomically.
_ACQUIRE = """
local key, member = KEYS[1], ARGV[1]
local now, expires, limit = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
if redis.call('ZSCORE', key, member) or redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, expires, member)
  redis.call('PEXPIRE', key, math.ceil((expires - now) * 1000) + 1000)
  return 1
end
return 0
"""

_RENEW = """
local key, member = KEYS[1], ARGV[1]
local now, expires = tonumber(ARGV[2]), tonumber(ARGV[3])
local score = redis.call('ZSCORE', key, member)
if not score or tonumber(score) <= now then
  redis.call('ZREM', key, member)
  return 0
end
redis.call('ZADD', key, expires, member)
redis.call('PEXPIRE', key, math.ceil((expires - now) * 1000) + 1000)
return 1
"""


class RedisSlots:
    """Leases as `{session_id: expires_at}` in `marquee:streams:{user_id}`; times are Unix seconds."""

    def __init__(self, client: Redis[bytes], prefix: str = "marquee:streams:") -> None:
        self._redis = client
        self._prefix = prefix
        self._acquire: Any = client.register_script(_ACQUIRE)
        self._renew: Any = client.register_script(_RENEW)

    @classmethod
    def from_url(cls, url: str) -> RedisSlots:
        from redis import Redis

        client: Redis[bytes] = Redis.from_url(url)
        return cls(client)

    def _key(self, user_id: uuid.UUID) -> str:
        return f"{self._prefix}{user_id}"

    def acquire(
        self,
        *,
        db: Session,
        user_id: uuid.UUID,
        session_id: uuid.UUID,
        max_streams: int,
        ttl: float,
        now: datetime | None = None,
    ) -> bool:
        at = (now or utcnow()).timestamp()
        args = [str(session_id), at, at + ttl, max_streams]
        return bool(self._acquire(keys=[self._key(user_id)], args=args))

    def renew(
        self,
        *,
        db: Session,
        user_id: uuid.UUID,
        session_id: uuid.UUID,
        ttl: float,
        now: datetime | None = None,
    ) -> bool:
        at = (now or utcnow()).timestamp()
        return bool(self._renew(keys=[self._key(user_id)], args=[str(session_id), at, at + ttl]))

    def release(self, *, db: Session, user_id: uuid.UUID, session_id: uuid.UUID) -> None:
        self._redis.zrem(self._key(user_id), str(session_id))

    def active(
        self, *, db: Session, user_id: uuid.UUID, now: datetime | None = None
    ) -> list[uuid.UUID]:
        at = (now or utcnow()).timestamp()
        members = self._redis.zrangebyscore(self._key(user_id), f"({at}", "+inf")
        return [uuid.UUID(m.decode() if isinstance(m, bytes) else str(m)) for m in members]
