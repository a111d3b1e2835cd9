"""Positions watched offline, sent back once the device is online: saved and logged as they
happened, never over a position another device saved later.

Each report becomes the `progress` event a heartbeat would have logged, at its own time,
so history, trending and recommendations count the offline viewing when it happened. The
resume position takes the latest report only if no newer one was saved meanwhile (the
viewer may have watched on online on another device since), so Continue watching never
goes back in time.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from marquee.accounts.models import Profile
from marquee.catalog.models import Episode
from marquee.db import utcnow
from marquee.downloads import service
from marquee.downloads.errors import InvalidOfflineReport
from marquee.downloads.models import Download
from marquee.downloads.schemas import OfflineProgressRead, OfflineReport
from marquee.events import service as events
from marquee.events.schemas import Complete, LoggedEvent, Progress
from marquee.playback import positions
from marquee.playback.errors import PositionOutOfRange
from marquee.playback.heartbeats import POSITION_SLACK_SECONDS


def _item(session: Session, download: Download) -> positions.Item:
    episode = session.get(Episode, download.episode_id) if download.episode_id else None
    credits = episode.credits_start_seconds if episode else None
    return positions.Item(
        title_id=download.title_id,
        episode_id=download.episode_id,
        duration=download.duration_seconds,
        credits_start=float(credits) if credits is not None else None,
    )


def _check(download: Download, item: positions.Item, report: OfflineReport, now: datetime) -> None:
    at = report.watched_at
    if at > now + events.MAX_CLOCK_SKEW:
        raise InvalidOfflineReport("watched_at is in the future.")
    if at < download.created_at:
        raise InvalidOfflineReport("watched_at is before the title was downloaded.")
    if report.position > item.duration + POSITION_SLACK_SECONDS:
        raise PositionOutOfRange(
            f"Position {report.position:.1f} s is past the end ({item.duration:.1f} s).",
            duration=item.duration,
        )


def _newest_saved(session: Session, profile: Profile, item: positions.Item) -> datetime | None:
    saved = positions.for_title(session=session, profile_id=profile.id, title_id=item.title_id)
    return next((p.updated_at for p in saved if p.episode_id == item.episode_id), None)


def record(
    *,
    session: Session,
    profile: Profile,
    country: str,
    download_id: uuid.UUID,
    reports: Sequence[OfflineReport],
    now: datetime | None = None,
) -> OfflineProgressRead:
    """Log every report at its time; save the latest as the resume position if it is newest."""
    now = now or utcnow()
    download = service.own_download(session=session, profile=profile, download_id=download_id)
    item = _item(session, download)
    ordered = sorted(reports, key=lambda r: r.watched_at)
    for report in ordered:
        _check(download, item, report, now)
    duration = item.duration if math.isfinite(item.duration) and item.duration > 0 else None
    logged: list[LoggedEvent] = [
        Progress(
            profile_id=profile.id,
            title_id=item.title_id,
            episode_id=item.episode_id,
            occurred_at=r.watched_at,
            position=r.position,
            watched_seconds=r.watched_seconds,
            duration=duration,
        )
        for r in ordered
    ]
    # The events go in first: the position's savepoint must nest in a begun transaction.
    events.append(session=session, events=logged, country=country, now=now)
    service.mark_played(download, ordered[0].watched_at)
    last = ordered[-1]
    newest = _newest_saved(session, profile, item)
    saved = newest is None or newest < last.watched_at
    if saved:
        finished = positions.save(
            session=session,
            profile_id=profile.id,
            item=item,
            position=last.position,
            now=last.watched_at,
        )
        if finished:
            done = Complete(
                profile_id=profile.id,
                title_id=item.title_id,
                episode_id=item.episode_id,
                occurred_at=last.watched_at,
            )
            events.append(session=session, events=[done], country=country, now=now)
    session.flush()
    return OfflineProgressRead(accepted=len(ordered), position_saved=saved)
