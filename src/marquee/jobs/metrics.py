"""Prometheus metrics of the job queue (read from the table at scrape time) and of the jobs a
worker runs, and the small listener through which a worker serves them."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import datetime
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from marquee.db import transaction, utcnow
from marquee.jobs.models import Job, JobState
from marquee.observability import dependency_errors_counter, dependency_of

log = logging.getLogger("marquee.jobs")
# Job durations run from milliseconds (aggregates) to hours (a feature-length encode).
DURATION_BUCKETS = (0.1, 0.5, 1, 5, 15, 60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600)


class QueueCollector(Collector):
    """Depth and age of the queue by kind, and leases that lapsed without being taken over.

    Read from the jobs table on each scrape (three grouped queries over an indexed table);
    a database that does not answer yields no samples and counts a dependency error."""

    def __init__(self, session_factory: sessionmaker[Session], errors: Counter) -> None:
        self.session_factory = session_factory
        self.errors = errors

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily(
            "marquee_job_queue_depth",
            "Jobs waiting (due now), backing off after a failure, or running, by kind.",
            labels=["kind", "state"],
        )
        age = GaugeMetricFamily(
            "marquee_job_queue_oldest_seconds",
            "How long the oldest job that is due has been waiting, by kind.",
            labels=["kind"],
        )
        expired = GaugeMetricFamily(
            "marquee_job_leases_expired",
            "Running jobs whose worker stopped renewing the lease (crashed or cut off).",
            labels=["kind"],
        )
        try:
            with transaction(self.session_factory) as session:
                self._read(session, utcnow(), depth, age, expired)
        except Exception as exc:
            self.errors.labels(dependency_of(exc) or "database").inc()
            log.warning("queue metrics unavailable", exc_info=True)
            return
        yield from (depth, age, expired)

    def _read(
        self,
        session: Session,
        now: datetime,
        depth: GaugeMetricFamily,
        age: GaugeMetricFamily,
        expired: GaugeMetricFamily,
    ) -> None:
        due = (Job.state == JobState.QUEUED) | (
            (Job.state == JobState.FAILED) & (Job.run_after <= now)
        )
        counted = select(Job.kind, Job.state, func.count()).where(
            Job.state.in_([JobState.QUEUED, JobState.FAILED, JobState.RUNNING])
        )
        for kind, state, count in session.execute(counted.group_by(Job.kind, Job.state)):
            label = {"queued": "waiting", "failed": "retrying"}.get(state.value, state.value)
            depth.add_metric([kind, label], count)
        oldest = select(Job.kind, func.min(Job.run_after)).where(due).group_by(Job.kind)
        for kind, run_after in session.execute(oldest):
            age.add_metric([kind], max(0.0, (now - _aware(run_after)).total_seconds()))
        lapsed = (
            select(Job.kind, func.count())
            .where(Job.state == JobState.RUNNING, Job.lease_expires_at < now)
            .group_by(Job.kind)
        )
        for kind, count in session.execute(lapsed):
            expired.add_metric([kind], count)


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored time is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


class WorkerMetrics:
    """What one worker process did: outcomes and durations of its jobs, whether it is busy."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.up = Gauge(
            "marquee_worker_up",
            "1 while this worker runs: sum it over workers for the workers alive.",
            registry=self.registry,
        )
        self.busy = Gauge(
            "marquee_worker_busy", "1 while this worker runs a job.", registry=self.registry
        )
        self.finished = Counter(
            "marquee_jobs_finished",
            "Job attempts this worker ended, by kind and outcome "
            "(succeeded, failed, dead, handed_back, lease_lost).",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "marquee_job_duration_seconds",
            "Wall time of a job attempt, by kind and outcome.",
            ["kind", "outcome"],
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self.leases_lost = Counter(
            "marquee_job_leases_lost",
            "Jobs whose lease this worker lost while running them (taken over by another).",
            ["kind"],
            registry=self.registry,
        )
        self.dependency_errors = dependency_errors_counter(self.registry)
        self.up.set(1)

    def record(self, kind: str, outcome: str, seconds: float) -> None:
        self.finished.labels(kind, outcome).inc()
        self.duration.labels(kind, outcome).observe(seconds)


class MetricsListener:
    """A worker's /metrics on its own port, in a thread, until `close()` (which joins it)."""

    def __init__(self, registry: CollectorRegistry, host: str, port: int) -> None:
        self.server: WSGIServer
        self.thread: threading.Thread
        self.server, self.thread = start_http_server(port, addr=host, registry=registry)

    @property
    def port(self) -> int:
        return int(self.server.server_port)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
