"""Home rows cached per profile, invalidated by the profile's own events and by retraining."""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marquee.events.models import Event
from marquee.recommend.schemas import Home
from marquee.recommend.tables import ModelRun

Key = tuple[uuid.UUID, str, int]
Marker = tuple[int, int, int]


def marker(session: Session, profile_id: uuid.UUID, ttl_seconds: int) -> Marker:
    """Changes whenever the profile acts, a model is retrained, or the TTL bucket rolls over.

    Reading it from the database (two indexed lookups) makes the cache correct across replicas.
    """
    last_event = (
        session.scalar(select(func.max(Event.id)).where(Event.profile_id == profile_id)) or 0
    )
    last_run = session.scalar(select(func.max(ModelRun.id))) or 0
    return int(last_event), int(last_run), int(time.time() // ttl_seconds)


class HomeCache:
    def __init__(self, max_entries: int = 10_000, ttl_seconds: int = 300) -> None:
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self._entries: OrderedDict[Key, tuple[Marker, Home]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Key, current: Marker) -> Home | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != current:
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: Key, current: Marker, home: Home) -> None:
        with self._lock:
            self._entries[key] = (current, home)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
