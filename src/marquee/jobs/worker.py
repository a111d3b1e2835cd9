"""The worker loop: claim a job, run its handler while a thread renews the lease, record the end.

A worker is its own process (`marquee worker`); run as many as you like on any machine
that shares the database and the object store.

Work is never finished and then thrown away. The first SIGTERM kills the tools the job
runs (FFmpeg, in a session of its own) and tells the handler (`should_stop()`); a job that
ends because of that is handed back untouched. A job past its tools that does not stop is
finished and recorded. A second SIGTERM hands the job back at once. A SIGKILLed worker
takes its FFmpeg with it (parent-death signal), and another worker takes the job over
when its lease expires. What the worker writes about a job never fails it: a progress
report that cannot be written is skipped, and the outcome is retried through a blip.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import traceback
import uuid
from types import FrameType
from typing import TYPE_CHECKING, Any

from marquee.config import Settings
from marquee.db import transaction, utcnow
from marquee.jobs import schedule, service
from marquee.jobs.metrics import MetricsListener, WorkerMetrics
from marquee.jobs.models import Job
from marquee.jobs.outcomes import Outcomes
from marquee.jobs.registry import (
    JobContext,
    JobInterrupted,
    JobSpec,
    PermanentJobError,
    Registry,
    parse_payload,
)
from marquee.jobs.shutdown import ToolStopper
from marquee.jobs.wake import Sleep, Wakeup, make_wakeup
from marquee.observability import dependency_of

if TYPE_CHECKING:
    from marquee.runtime import Runtime

log = logging.getLogger("marquee.jobs")


class WorkerShutdown(BaseException):
    """Raised in the worker's main thread by a second SIGTERM: hand the job back and exit."""


class _Heartbeat(threading.Thread):
    """Renews the lease every third of its length until stopped, timed out or taken over."""

    def __init__(self, worker: Worker, job_id: uuid.UUID, spec: JobSpec, ctx: JobContext) -> None:
        super().__init__(name=f"heartbeat-{job_id}", daemon=True)
        self.worker, self.job_id, self.spec, self.ctx = worker, job_id, spec, ctx
        self.done = threading.Event()
        self.timed_out = False
        self.lost = False

    def run(self) -> None:
        deadline = time.monotonic() + self.spec.timeout_seconds
        interval = self.worker.lease_seconds / 3
        while not self.done.wait(interval):
            if self.worker.stopping.is_set():
                self.ctx.stopping.set()
            if time.monotonic() > deadline:
                # A thread cannot be killed: tell the handler, and let the lease lapse.
                self.timed_out = True
                self.ctx.abandoned.set()
                self.ctx.stopping.set()
                return
            if not self._renew():
                self.lost = True
                self.ctx.abandoned.set()
                self.ctx.stopping.set()
                return

    def _renew(self) -> bool:
        try:
            with transaction(self.worker.session_factory) as session:
                return service.heartbeat(
                    session=session,
                    job_id=self.job_id,
                    worker_id=self.worker.worker_id,
                    lease_seconds=self.worker.lease_seconds,
                )
        except Exception:
            # A database blip must not end the job; the next beat tries again.
            log.warning("heartbeat failed", exc_info=True, extra={"job_id": str(self.job_id)})
            return True


class Worker:
    """Runs jobs on a runtime's sessions, store and index; the registry is the runtime's own
    unless given (tests register their own handlers)."""

    def __init__(
        self,
        *,
        runtime: Runtime,
        registry: Registry | None = None,
        worker_id: str | None = None,
        kinds: list[str] | None = None,
        metrics: WorkerMetrics | None = None,
    ) -> None:
        self.runtime = runtime
        self.settings = runtime.settings
        self.registry = registry if registry is not None else runtime.registry
        self.session_factory = runtime.sessionmaker
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.kinds = kinds if kinds is not None else self.registry.kinds
        self.lease_seconds = self.settings.job_lease_seconds
        # Idle, the worker asks the queue when the database signals a commit (see wake.py),
        # and at least this often for what no signal announces (retries, lapsed leases).
        self.poll_seconds = self.settings.job_poll_seconds
        self.stopping = threading.Event()
        self._upkeep_due = [0.0] * len(self.registry.housekeeping)  # monotonic; 0 = at start
        self._schedule_due = 0.0  # wall-clock seconds: the next period boundary
        self.metrics = metrics or WorkerMetrics()
        self.outcomes = Outcomes(
            session_factory=self.session_factory, worker_id=self.worker_id, metrics=self.metrics
        )
        self._started = 0.0  # monotonic start of the running job
        self._running: JobContext | None = None
        self._stopper: ToolStopper | None = None

    def request_stop(self) -> None:
        """Stop taking jobs; stop the running job's tools now and ask its handler to stop."""
        self.stopping.set()
        ctx = self._running
        if ctx is not None and self._stopper is None:
            ctx.stopping.set()
            self._stopper = ToolStopper(ctx.job_id)
            self._stopper.start()

    def run(self, *, once: bool = False, max_jobs: int | None = None) -> int:
        """Work until asked to stop (or, with `once`, until the queue is empty); return jobs run."""
        wakeup = Sleep() if once else make_wakeup(self.runtime.engine)
        try:
            return self._loop(wakeup, once, max_jobs)
        finally:
            wakeup.close()

    def _loop(self, wakeup: Wakeup, once: bool, max_jobs: int | None) -> int:
        ran = 0
        self._housekeep()
        while not self.stopping.is_set():
            try:
                claimed = self.run_once()
            except Exception:
                # The database may be briefly away; a job left mid-way is re-claimed after
                # its lease, so the loop just waits and tries again.
                if once:
                    raise
                log.exception("worker loop error")
                self.stopping.wait(self.settings.job_poll_seconds)
                continue
            if claimed:
                ran += 1
                if max_jobs is not None and ran >= max_jobs:
                    break
            elif once:
                break
            else:
                if time.time() >= self._schedule_due:
                    self._schedule()
                self._housekeep()
                self._idle(wakeup)
        return ran

    def _idle(self, wakeup: Wakeup) -> None:
        """Wait for a commit or the poll interval; a broken signal falls back to sleeping."""
        try:
            wakeup.wait(self.poll_seconds, self.stopping)
        except Exception:
            log.warning("waiting for new jobs failed; polling instead", exc_info=True)
            self.stopping.wait(self.poll_seconds)

    def _housekeep(self) -> None:
        """Run this process's local upkeep that is due; a failure waits for the next round."""
        now = time.monotonic()
        for n, (task, every) in enumerate(self.registry.housekeeping):
            if now < self._upkeep_due[n]:
                continue
            self._upkeep_due[n] = now + every
            try:
                task(self.settings, self.session_factory)
            except Exception:
                log.exception("housekeeping failed", extra={"task": getattr(task, "__name__", "")})

    def _schedule(self) -> None:
        """Queue the periodic jobs that are due (idempotent: one per period across workers),
        then sleep on it until the next period starts; a failure tries again next round."""
        periodic = [(kind, every) for kind, every in self.registry.periodic if kind in self.kinds]
        if not periodic:
            self._schedule_due = float("inf")
            return
        now = utcnow()
        try:
            with transaction(self.session_factory) as session:
                schedule.enqueue_due(session=session, periodic=periodic, now=now)
        except Exception:
            log.exception("could not queue periodic jobs")
            return
        self._schedule_due = schedule.next_boundary(periodic, now)

    def run_once(self) -> bool:
        """Claim and run one job; False when none was due."""
        with transaction(self.session_factory) as session:
            job = service.claim(
                session=session,
                worker_id=self.worker_id,
                kinds=self.kinds,
                lease_seconds=self.lease_seconds,
            )
        if job is None:
            return False
        spec = self.registry.get(job.kind)
        if spec is None:
            self._fail(job, None, f"no handler for job kind {job.kind!r}", permanent=True)
        elif job.attempts > job.max_attempts:
            # Workers died mid-job more often than the job may be tried: stop taking it.
            reason = job.last_error or "the worker running it stopped before it finished"
            self._fail(job, spec, f"gave up after {job.max_attempts} attempts: {reason}", True)
        else:
            self._execute(job, spec)
        return True

    def _execute(self, job: Job, spec: JobSpec) -> None:
        try:
            parsed = parse_payload(job.kind, job.payload, spec.payload) if spec.payload else None
        except PermanentJobError as exc:
            self._fail(job, spec, str(exc), permanent=True)
            return
        ctx = JobContext(
            job_id=job.id,
            kind=job.kind,
            key=job.key,
            payload=dict(job.payload),
            parsed=parsed,
            attempt=job.attempts,
            runtime=self.runtime,
            report=lambda stage, percent: self._progress(job.id, stage, percent),
        )
        beat = _Heartbeat(self, job.id, spec, ctx)
        beat.start()
        self._running, self._started = ctx, time.monotonic()
        self.metrics.busy.set(1)
        if self.stopping.is_set():  # a SIGTERM between the claim and here
            self.request_stop()
        log.info("job started", extra={"job_id": str(job.id), "kind": job.kind})
        try:
            self._run_handler(job, spec, ctx, beat)
        finally:
            self._running = None
            self.metrics.busy.set(0)
            if beat.lost:
                self.metrics.leases_lost.labels(job.kind).inc()
            if self._stopper is not None:
                self._stopper.done.set()
                self._stopper.join()
                self._stopper = None

    def _run_handler(self, job: Job, spec: JobSpec, ctx: JobContext, beat: _Heartbeat) -> None:
        try:
            result = spec.handler(ctx)
        except (JobInterrupted, WorkerShutdown, KeyboardInterrupt) as exc:
            self._release(job)
            if not isinstance(exc, JobInterrupted):
                raise
            return
        except Exception as exc:
            if dependency := dependency_of(exc):
                self.metrics.dependency_errors.labels(dependency).inc()
            if self.stopping.is_set():
                # Most likely the end of the tools stopped for the shutdown: not the job's fault.
                log.info("job stopped by the shutdown", extra={"job_id": str(job.id)})
                self._release(job)
            elif isinstance(exc, PermanentJobError):
                self._fail(job, spec, str(exc) or type(exc).__name__, permanent=True)
            else:
                self._fail(job, spec, _describe(exc), permanent=False)
            return
        finally:
            beat.done.set()
            # Joined, so that no renewal is still running when the job is recorded (or when
            # the process, or a test, tears the database down).
            beat.join()
        if beat.timed_out:
            self._fail(job, spec, f"timed out after {spec.timeout_seconds:g} s", permanent=False)
        else:
            self._complete(job, result)

    def _progress(self, job_id: uuid.UUID, stage: str, percent: float) -> None:
        """Record the stage; a report that cannot be written is skipped, never the job's end."""
        try:
            with transaction(self.session_factory) as session:
                service.report_progress(
                    session=session,
                    job_id=job_id,
                    worker_id=self.worker_id,
                    stage=stage,
                    percent=percent,
                )
        except Exception:
            log.warning("progress report skipped", exc_info=True, extra={"job_id": str(job_id)})

    def _elapsed(self) -> float:
        return time.monotonic() - self._started if self._running else 0.0

    def _complete(self, job: Job, result: dict[str, Any] | None) -> None:
        self.outcomes.complete(job, result, self._elapsed)

    def _fail(self, job: Job, spec: JobSpec | None, error: str, permanent: bool) -> None:
        self.outcomes.fail(job, spec, error, permanent, self._elapsed)

    def _release(self, job: Job) -> None:
        self.outcomes.release(job, self._elapsed)


def _describe(exc: BaseException) -> str:
    """The exception and where it was raised, short enough to read in the admin API."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


def _install_signals(worker: Worker) -> None:
    def on_term(signum: int, frame: FrameType | None) -> None:
        if worker.stopping.is_set():
            raise WorkerShutdown
        log.info("stopping after the current job")
        worker.request_stop()

    signal.signal(signal.SIGTERM, on_term)


def run_worker(settings: Settings, *, kinds: list[str] | None = None, once: bool = False) -> int:
    """The `marquee worker` process: build the runtime from settings and work until stopped."""
    from marquee.runtime import Runtime

    runtime = Runtime.from_settings(settings)
    listener = None
    try:
        worker = Worker(runtime=runtime, kinds=kinds)
        _install_signals(worker)
        if settings.worker_metrics_port is not None:
            port, host = settings.worker_metrics_port, settings.worker_metrics_host
            listener = MetricsListener(worker.metrics.registry, host, port)
        log.info("worker ready", extra={"worker_id": worker.worker_id, "kinds": worker.kinds})
        try:
            return worker.run(once=once)
        except (WorkerShutdown, KeyboardInterrupt):
            return 0
    finally:
        if listener is not None:
            listener.close()
        runtime.close()
