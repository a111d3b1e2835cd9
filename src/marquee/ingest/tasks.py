"""The ingest job: a completed master upload becomes a published, immutable title version."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marquee.catalog.errors import TitleNotFound
from marquee.catalog.models import Title
from marquee.db import transaction
from marquee.errors import MarqueeError
from marquee.ingest import publish, workdirs
from marquee.ingest.chunk_jobs import JobRunner
from marquee.ingest.chunks import StoredChunks
from marquee.jobs.models import Job
from marquee.jobs.registry import (
    JobContext,
    JobInterrupted,
    JobKind,
    JobSpec,
    PermanentJobError,
    parse_payload,
)
from marquee.media.audio_tracks import AudioInput
from marquee.media.codecs import parse_codecs
from marquee.media.encode import EncodeOptions
from marquee.media.encrypt import Protection
from marquee.media.ffmpeg import Progress
from marquee.media.ladder import LadderMode
from marquee.media.pipeline import PipelineOptions, PipelineResult, run_pipeline
from marquee.media.subtitles import SubtitleInput
from marquee.storage import keys
from marquee.storage.base import ObjectStore, download
from marquee.storage.errors import ObjectNotFound
from marquee.uploads.models import Upload, UploadPurpose, UploadState
from marquee.uploads.schemas import IngestPayload
from marquee.versions import content_keys
from marquee.versions import service as versions
from marquee.versions.models import MediaVersion

# Overall percent at which each stage starts; encoding dominates the wall time, then the
# per-title trials (a fixed ladder has none and jumps from probe to encode).
STAGE_START = {
    "probe": 0.0,
    "ladder": 5.0,
    "encode": 25.0,
    "package": 70.0,
    "artwork": 75.0,
    "upload": 85.0,
    "publish": 98.0,
}
STAGE_END = {
    "probe": 5.0,
    "ladder": 25.0,
    "encode": 70.0,
    "package": 75.0,
    "artwork": 85.0,
    "upload": 98.0,
}


def _target(payload: IngestPayload) -> versions.Target:
    return versions.Target(title_id=payload.title_id, episode_id=payload.episode_id)


def _report(ctx: JobContext) -> Progress:
    def report(stage: str, percent: float) -> None:
        # A stage may carry its step ("encode 2/5"); the overall scale is per stage.
        base = stage.split(" ", 1)[0]
        start, end = STAGE_START.get(base, 0.0), STAGE_END.get(base, 100.0)
        ctx.progress(stage, round(start + (end - start) * percent / 100.0, 1))

    return report


def _checkpoint(ctx: JobContext) -> None:
    if ctx.should_stop():
        raise JobInterrupted("the worker is stopping")


def _still_ours(ctx: JobContext) -> None:
    """Past the encode, a stopping worker finishes: uploading and publishing take seconds,
    the package took minutes. Only a job that another worker may hold now is left."""
    if ctx.should_abandon():
        raise JobInterrupted("the job's lease was lost or it timed out")


def _sidecars(session: Session, target: versions.Target, purpose: UploadPurpose) -> list[Upload]:
    """Every complete sidecar of `purpose` uploaded for the same title or episode, oldest first."""
    query = (
        select(Upload)
        .where(
            Upload.title_id == target.title_id,
            Upload.episode_id.is_(None)
            if target.episode_id is None
            else Upload.episode_id == target.episode_id,
            Upload.purpose == purpose,
            Upload.state == UploadState.COMPLETE,
        )
        .order_by(Upload.created_at, Upload.id)
    )
    return list(session.scalars(query))


@dataclass
class Sidecars:
    subtitles: list[SubtitleInput] = field(default_factory=list)
    audio: list[AudioInput] = field(default_factory=list)


def _fetch_sidecars(
    session: Session, store: ObjectStore, target: versions.Target, into: Path
) -> Sidecars:
    found = Sidecars()
    for upload in _sidecars(session, target, UploadPurpose.SUBTITLE):
        path = download(store, keys.upload(upload.id), into / f"sidecar-{upload.id}")
        found.subtitles.append(
            SubtitleInput(path, upload.language or "und", upload.forced, upload.sdh)
        )
    for upload in _sidecars(session, target, UploadPurpose.AUDIO):
        path = download(store, keys.upload(upload.id), into / f"audio-{upload.id}")
        found.audio.append(AudioInput(path, upload.language or "und"))
    return found


def _fetch_inputs(
    ctx: JobContext, store: ObjectStore, target: versions.Target, work: Path
) -> tuple[Path, Sidecars]:
    upload_id = ctx.payload_as(IngestPayload).upload_id
    try:
        source = download(store, keys.upload(upload_id), work / "source")
    except ObjectNotFound as exc:
        raise PermanentJobError(f"The uploaded master {upload_id} is no longer stored.") from exc
    try:
        with transaction(ctx.session_factory) as session:
            publish.mark_started(session=session, target=target)
            sidecars = _fetch_sidecars(session, store, target, work)
    except (TitleNotFound, ObjectNotFound) as exc:
        raise PermanentJobError(str(exc)) from exc
    return source, sidecars


def _protection(ctx: JobContext, target: versions.Target) -> Protection | None:
    """The title's content key if its media is to be encrypted; made on first use."""
    with transaction(ctx.session_factory) as session:
        title = session.get(Title, target.title_id)
        if title is None or not title.encrypted:
            return None
        key = content_keys.key_for_title(session=session, settings=ctx.settings, title_id=title.id)
    assert key is not None
    return Protection(kid=key.kid, key=key.key)


def _encode(
    ctx: JobContext,
    source: Path,
    sidecars: Sidecars,
    work: Path,
    protection: Protection | None,
    chunks: StoredChunks,
    runner: JobRunner,
) -> PipelineResult:
    options = PipelineOptions(
        encode=EncodeOptions(protection=protection),
        ladder=LadderMode(ctx.settings.ladder),
        chunk_seconds=ctx.settings.encode_chunk_seconds,
        codecs=parse_codecs(ctx.settings.video_codecs),
    )
    try:
        return run_pipeline(
            source,
            work,
            subtitles=sidecars.subtitles,
            audio=sidecars.audio,
            options=options,
            progress=_report(ctx),
            chunks=chunks,
            chunk_runner=runner,
        )
    except MarqueeError as exc:
        # Bad media will be just as bad next time: no retries, the reason goes to the job.
        raise PermanentJobError(str(exc)) from exc


def _publish(
    ctx: JobContext,
    store: ObjectStore,
    target: versions.Target,
    work: Path,
    result: PipelineResult,
) -> MediaVersion:
    version_id = publish.version_id_for(ctx.key)
    report = _report(ctx)
    publish.store_outputs(
        store, version_id, work, result, progress=lambda done: report("upload", done * 100)
    )
    _still_ours(ctx)
    report("publish", 0.0)
    version = versions.make_version(
        version_id=version_id,
        target=target,
        description=versions.describe(result),
        upload_id=ctx.payload_as(IngestPayload).upload_id,
    )
    with transaction(ctx.session_factory) as session:
        retired = versions.publish_version(session=session, version=version, target=target)
    if retired is not None:
        versions.collect(store, retired, ctx.session_factory)
    report("publish", 100.0)
    return version


def _already_published(ctx: JobContext) -> bool:
    """A worker may die between the publishing commit and marking the job done."""
    with transaction(ctx.session_factory) as session:
        version_id = publish.version_id_for(ctx.key)
        return versions.get_version(session=session, version_id=version_id) is not None


def run_ingest(ctx: JobContext) -> dict[str, Any]:
    target = _target(ctx.payload_as(IngestPayload))
    version_id = publish.version_id_for(ctx.key)
    if _already_published(ctx):
        return {"version_id": str(version_id), "rerun": True}
    store = ctx.store
    chunks = StoredChunks(store, ctx.job_id)
    # Chunks are jobs any worker may take; with no other worker free, this job encodes them.
    runner = JobRunner(ctx, chunks, ctx.payload_as(IngestPayload).upload_id)
    with workdirs.work_dir(ctx.settings, ctx.job_id, ctx.attempt) as work:
        source, sidecars = _fetch_inputs(ctx, store, target, work)
        _checkpoint(ctx)
        protection = _protection(ctx, target)
        result = _encode(ctx, source, sidecars, work, protection, chunks, runner)
        _still_ours(ctx)
        version = _publish(ctx, store, target, work, result)
    chunks.discard()
    return {
        "version_id": str(version.id),
        "renditions": [r.name for r in version.renditions],
        "duration_seconds": version.duration_seconds,
        # Encoded here, restored from the store, and of those, encoded by other workers.
        "chunks": {**chunks.counts(), "elsewhere": runner.elsewhere},
    }


def ingest_dead(session: Session, job: Job) -> None:
    """The title leaves `processing` (back to draft, per the catalogue's state machine) and
    shows the job's last error in its admin view."""
    try:
        target = _target(parse_payload(job.kind, job.payload, IngestPayload))
    except PermanentJobError:
        return
    reason = job.last_error or "processing stopped without a reason"
    publish.mark_failed(session=session, target=target, reason=f"{reason} (job {job.id})")


JOBS = [
    JobSpec(
        kind=JobKind.INGEST,
        handler=run_ingest,
        attempts=3,
        timeout_seconds=6 * 3600.0,
        backoff_seconds=30.0,
        on_dead=ingest_dead,
        payload=IngestPayload,
    )
]
# Every worker sweeps its own machine's leftovers of killed workers, at start and when idle.
HOUSEKEEPING = [(workdirs.sweep, workdirs.SWEEP_EVERY_SECONDS)]
