"""Job kinds and their handlers: one registry, built from the modules that declare `JOBS`."""

from __future__ import annotations

import enum
import importlib
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session, sessionmaker

from marquee.config import Settings
from marquee.jobs.models import Job

if TYPE_CHECKING:
    from marquee.runtime import Runtime
    from marquee.storage import ObjectStore


M = TypeVar("M", bound=BaseModel)


class JobKind(enum.StrEnum):
    """The kinds of work Marquee itself queues; each is handled by one `JobSpec`."""

    INGEST = "ingest"
    # One chunk of an ingest's encode, claimed by any worker (ingest/chunk_jobs.py).
    ENCODE_CHUNK = "encode_chunk"
    EXPIRE_UPLOADS = "expire_uploads"
    RECS_TRAIN = "recs_train"
    EVENTS_AGGREGATE = "events_aggregate"
    EVENTS_PRUNE = "events_prune"
    PLAYBACK_EXPIRE_IDLE = "playback_expire_idle"
    # The outbox of search: queued in the transaction of each catalogue change.
    SEARCH_REINDEX = "search_reindex"
    # Deletes finished jobs past their retention, so the table (and the outbox) stays small.
    JOBS_PRUNE = "jobs_prune"


# Modules whose `JOBS` every worker registers; settings may name more (plugins, tests).
DEFAULT_JOB_MODULES: tuple[str, ...] = (
    "marquee.uploads.tasks",
    "marquee.ingest.tasks",
    "marquee.ingest.chunk_jobs",
    "marquee.recommend.tasks",
    "marquee.events.tasks",
    "marquee.playback.tasks",
    "marquee.search.tasks",
    "marquee.jobs.tasks",
)


class PermanentJobError(Exception):
    """Raised by a handler when retrying cannot help (bad input): the job goes dead at once."""


def parse_payload(kind: str, payload: dict[str, Any], model: type[M]) -> M:
    """`payload` as `model`, or a PermanentJobError whose message says what does not fit."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'payload'}: {error['msg']}"
            for error in exc.errors()
        )
        raise PermanentJobError(f"bad {kind} payload: {problems}") from exc


class JobInterrupted(Exception):
    """Raised by a handler that saw `should_stop()`: the job goes back to the queue untouched."""


@dataclass
class JobContext:
    """What a handler gets: its job, the worker's runtime (settings, sessions, store, index)
    and a way to report progress. Handlers never build engines or stores themselves."""

    job_id: uuid.UUID
    kind: str
    key: str
    payload: dict[str, Any]
    attempt: int
    runtime: Runtime
    report: Callable[[str, float], None] = lambda stage, percent: None
    stopping: threading.Event = field(default_factory=threading.Event)
    # Set with `stopping` when the job is no longer this worker's: its lease was lost or
    # it ran past its timeout. A worker that is only shutting down leaves it clear.
    abandoned: threading.Event = field(default_factory=threading.Event)
    # The payload as its kind's model, when the worker has validated it at claim time.
    parsed: BaseModel | None = None

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    @property
    def session_factory(self) -> sessionmaker[Session]:
        return self.runtime.sessionmaker

    @property
    def store(self) -> ObjectStore:
        return self.runtime.store

    def payload_as(self, model: type[M]) -> M:
        """The payload as `model`: the one the worker checked, else checked now."""
        if isinstance(self.parsed, model):
            return self.parsed
        return parse_payload(self.kind, self.payload, model)

    def progress(self, stage: str, percent: float) -> None:
        """Record the current stage (e.g. "encode 2/5") and overall percent, 0 to 100."""
        self.report(stage, percent)

    def should_stop(self) -> bool:
        """True once the worker is shutting down, the job timed out or its lease was lost."""
        return self.stopping.is_set()

    def should_abandon(self) -> bool:
        """True once the job timed out or its lease was lost: another worker may hold it now,
        so even finished work must not be published from here."""
        return self.abandoned.is_set()


Handler = Callable[[JobContext], dict[str, Any] | None]
# Local upkeep every worker process runs for itself (e.g. its machine's scratch files),
# at start and then every N seconds while idle; unlike periodic jobs, not once per cluster.
Housekeeping = Callable[[Settings, sessionmaker[Session]], object]
# Called in the transaction that marks a job dead, e.g. to mark a title failed with the reason.
DeadHandler = Callable[[Session, Job], None]


@dataclass(frozen=True)
class JobSpec:
    kind: str
    handler: Handler
    attempts: int = 5
    timeout_seconds: float = 3600.0
    backoff_seconds: float = 10.0
    backoff_max_seconds: float = 3600.0
    on_dead: DeadHandler | None = None
    # The kind's payload model: checked once when a worker takes the job, which fails for
    # good with the model's complaint when it does not fit (see `JobContext.payload_as`).
    payload: type[BaseModel] | None = None


class Registry:
    """Specs by kind; a worker claims only the kinds its registry knows."""

    def __init__(
        self,
        specs: Iterable[JobSpec],
        periodic: Iterable[tuple[str, float]] = (),
        housekeeping: Iterable[tuple[Housekeeping, float]] = (),
    ) -> None:
        self._specs: dict[str, JobSpec] = {}
        # (kind, every N seconds): queued by idle workers, once per period.
        self.periodic = list(periodic)
        self.housekeeping = list(housekeeping)
        for spec in specs:
            if spec.kind in self._specs:
                raise ValueError(f"job kind {spec.kind!r} is registered twice")
            if spec.attempts < 1 or spec.timeout_seconds <= 0:
                raise ValueError(f"job kind {spec.kind!r} needs attempts >= 1 and a timeout")
            self._specs[spec.kind] = spec

    def get(self, kind: str) -> JobSpec | None:
        return self._specs.get(kind)

    @property
    def kinds(self) -> list[str]:
        return sorted(self._specs)


def module_names(settings: Settings) -> list[str]:
    extra = [name.strip() for name in settings.job_modules.split(",") if name.strip()]
    return [*DEFAULT_JOB_MODULES, *extra]


def load_registry(modules: Sequence[str]) -> Registry:
    """Import each module and register the `JOBS` (with `PERIODIC` schedules and local
    `HOUSEKEEPING`) it declares."""
    specs: list[JobSpec] = []
    periodic: list[tuple[str, float]] = []
    housekeeping: list[tuple[Housekeeping, float]] = []
    for name in modules:
        module = importlib.import_module(name)
        specs.extend(getattr(module, "JOBS", ()))
        periodic.extend(getattr(module, "PERIODIC", ()))
        housekeeping.extend(getattr(module, "HOUSEKEEPING", ()))
    return Registry(specs, periodic, housekeeping)
