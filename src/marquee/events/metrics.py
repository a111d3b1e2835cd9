"""Prometheus series for the event stream: counts by kind and time to first frame."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from marquee.events.aggregates import TTFF_BUCKETS_MS
from marquee.events.schemas import EventIn, Qoe


class EventMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.events = Counter(
            "marquee_events", "Events accepted into the log, by kind.", ["kind"], registry=registry
        )
        self.rejected = Counter(
            "marquee_events_rejected",
            "Events rejected at ingest, by reason.",
            ["code"],
            registry=registry,
        )
        self.ttff = Histogram(
            "marquee_qoe_time_to_first_frame_seconds",
            "Time to first frame reported by players.",
            buckets=[b / 1000 for b in TTFF_BUCKETS_MS],
            registry=registry,
        )
        self.rebuffer = Counter(
            "marquee_qoe_rebuffer_seconds",
            "Seconds spent rebuffering, reported by players.",
            registry=registry,
        )

    def observe(self, accepted: list[EventIn], rejected_codes: list[str]) -> None:
        for event in accepted:
            self.events.labels(event.kind.value).inc()
            if isinstance(event, Qoe):
                if event.time_to_first_frame_ms is not None:
                    self.ttff.observe(event.time_to_first_frame_ms / 1000)
                self.rebuffer.inc(event.rebuffer_ms / 1000)
        for code in rejected_codes:
            self.rejected.labels(code).inc()
