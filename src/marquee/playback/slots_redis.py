"""Stream slots in Redis: one sorted set per account, session ids scored by lease expiry.

Redis holds the leases, the database the sessions. An account whose set is missing (it
never streamed, its leases lapsed, or Redis restarted and forgot them) has it rebuilt,
inside the same script that takes a slot, from its live sessions in the database: a
restart neither admits a stream beyond the plan nor ends a viewer who is still watching.
A lease taken by a unit of work that then rolls back is given back at once.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from redis.exceptions import ConnectionError, TimeoutError
from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction

from marquee.db import utcnow
from marquee.playback.models import PlaybackSession

if TYPE_CHECKING:
    from redis import Redis

log = logging.getLogger("marquee.playback.slots")

# ARGV[first..] are (score, member) pairs: the account's live sessions, added only to a set
# that does not exist, with the set's expiry following its latest lease.
_SEED = """
local function seed(key, now, first)
  if redis.call('EXISTS', key) == 1 or #ARGV < first then return end
  local latest = now
  for i = first, #ARGV, 2 do
    local score = tonumber(ARGV[i])
    redis.call('ZADD', key, score, ARGV[i + 1])
    if score > latest then latest = score end
  end
  redis.call('PEXPIRE', key, math.ceil((latest - now) * 1000) + 1000)
end
"""

# Seed, drop lapsed leases, then renew the caller's (1) or add it if the account is under its
# limit (2). One script, so concurrent starts on every replica see and change the set atomically.
_ACQUIRE = (
    _SEED
    + """
local key, member = KEYS[1], ARGV[1]
local now, expires, limit = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
seed(key, now, 5)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
local held = redis.call('ZSCORE', key, member)
if held or redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, expires, member)
  if redis.call('PTTL', key) < math.ceil((expires - now) * 1000) + 1000 then
    redis.call('PEXPIRE', key, math.ceil((expires - now) * 1000) + 1000)
  end
  if held then return 1 end
  return 2
end
return 0
"""
)

_ACTIVE = (
    _SEED
    + """
local key, now = KEYS[1], tonumber(ARGV[1])
seed(key, now, 2)
return redis.call('ZRANGEBYSCORE', key, '(' .. ARGV[1], '+inf')
"""
)

_RENEW = """
local key, member = KEYS[1], ARGV[1]
local now, expires = tonumber(ARGV[2]), tonumber(ARGV[3])
local score = redis.call('ZSCORE', key, member)
if not score or tonumber(score) <= now then
  redis.call('ZREM', key, member)
  return 0
end
redis.call('ZADD', key, expires, member)
if redis.call('PTTL', key) < math.ceil((expires - now) * 1000) + 1000 then
  redis.call('PEXPIRE', key, math.ceil((expires - now) * 1000) + 1000)
end
return 1
"""

_ADDED = 2


class RedisSlots:
    """Leases as `{session_id: expires_at}` in `marquee:streams:{user_id}`; times are Unix seconds."""

    def __init__(
        self, client: Redis[bytes], prefix: str = "marquee:streams:", *, idle_seconds: float = 120
    ) -> None:
        self._redis = client
        self._prefix = prefix
        self._idle = idle_seconds
        self._acquire: Any = client.register_script(_ACQUIRE)
        self._active: Any = client.register_script(_ACTIVE)
        self._renew: Any = client.register_script(_RENEW)

    @classmethod
    def from_url(cls, url: str, *, idle_seconds: float = 120) -> RedisSlots:
        from redis import Redis

        client: Redis[bytes] = Redis.from_url(url)
        return cls(client, idle_seconds=idle_seconds)

    def _key(self, user_id: uuid.UUID) -> str:
        return f"{self._prefix}{user_id}"

    def _live_leases(self, db: Session, user_id: uuid.UUID, now: datetime) -> list[object]:
        """(expiry, session id) pairs, flattened, for the account's live sessions in the
        database: a silent session's lease ends `idle` seconds after it was last heard."""
        idle = timedelta(seconds=self._idle)
        rows = db.execute(
            select(PlaybackSession.id, PlaybackSession.last_seen_at).where(
                PlaybackSession.user_id == user_id,
                PlaybackSession.stopped_at.is_(None),
                PlaybackSession.last_seen_at > now - idle,
                PlaybackSession.expires_at > now,
            )
        ).all()
        pairs: list[object] = []
        for session_id, last_seen in rows:
            pairs += [(_aware(last_seen) + idle).timestamp(), str(session_id)]
        return pairs

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
        now = now or utcnow()
        at = now.timestamp()
        args = [str(session_id), at, at + ttl, max_streams, *self._live_leases(db, user_id, now)]
        taken = int(self._acquire(keys=[self._key(user_id)], args=args))
        if taken == _ADDED:
            self._release_on_rollback(db, user_id, session_id)
        return taken > 0

    def _release_on_rollback(self, db: Session, user_id: uuid.UUID, session_id: uuid.UUID) -> None:
        """A start whose transaction fails (the database, a later check) holds no slot."""
        done = False

        def committed(_: Session) -> None:
            nonlocal done
            done = True

        def rolled_back(_: Session, previous: SessionTransaction) -> None:
            nonlocal done
            if done or previous.nested:
                return
            done = True
            try:
                self.release(db=db, user_id=user_id, session_id=session_id)
            except (ConnectionError, TimeoutError):
                # Redis is down as well: the lease lapses by itself after `ttl`.
                log.warning("stream lease not released", extra={"session_id": str(session_id)})

        event.listen(db, "after_commit", committed)
        event.listen(db, "after_soft_rollback", rolled_back)

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
        now = now or utcnow()
        args = [now.timestamp(), *self._live_leases(db, user_id, now)]
        members = self._active(keys=[self._key(user_id)], args=args)
        return [uuid.UUID(m.decode() if isinstance(m, bytes) else str(m)) for m in members]


def _aware(moment: datetime) -> datetime:
    """A naive datetime from the database is UTC (that is all it stores)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
