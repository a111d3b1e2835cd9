"""The stream slots in use across the deployment, for Prometheus, read from the sessions."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from marquee.db import transaction, utcnow
from marquee.playback.models import PlaybackSession

log = logging.getLogger("marquee.playback")


class StreamSlotsCollector(Collector):
    """Sessions that hold a slot: not stopped and heard from within the idle window, the
    same rule that frees a slot, so the figure agrees with what viewers are admitted to."""

    def __init__(
        self, session_factory: sessionmaker[Session], idle_seconds: float, errors: Counter
    ) -> None:
        self.session_factory = session_factory
        self.idle = timedelta(seconds=idle_seconds)
        self.errors = errors

    def collect(self) -> Iterator[GaugeMetricFamily]:
        since = utcnow() - self.idle
        query = select(func.count()).where(
            PlaybackSession.stopped_at.is_(None), PlaybackSession.last_seen_at >= since
        )
        try:
            with transaction(self.session_factory) as session:
                in_use = session.scalar(query) or 0
        except Exception:
            self.errors.labels("database").inc()
            log.warning("stream slot metrics unavailable", exc_info=True)
            return
        yield GaugeMetricFamily(
            "marquee_stream_slots_in_use", "Streams holding a slot right now.", value=in_use
        )
