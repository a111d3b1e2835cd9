"""Downloads: made and renewed under every playback rule, counted against the plan per account.

A download is checked as a start is (subscription, publication, region, maturity, a ready
version) by the playback checks themselves, then against what only downloads have: the
plan's number of them and its resolution ceiling for the stored quality. The number is
counted per account, across its profiles and devices, by place: a download holds place
`slot` of its account, (user, slot) is unique, and a new one takes the first free place
below the plan's number, so concurrent requests for the last place cannot both win.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from marquee.accounts.billing import Entitlements
from marquee.accounts.models import Profile, User
from marquee.audience import Audience
from marquee.catalog.models import Episode, Title
from marquee.config import Settings
from marquee.db import utcnow
from marquee.downloads import licenses, transfer
from marquee.downloads.errors import (
    DownloadLimitReached,
    DownloadNotFound,
    DownloadRevoked,
    PlanHasNoDownloads,
    QualityAbovePlan,
    QualityNotOffered,
)
from marquee.downloads.models import Download
from marquee.downloads.schemas import (
    DownloadCreate,
    DownloadLicense,
    DownloadList,
    DownloadMedia,
    DownloadRead,
)
from marquee.playback import entitlement
from marquee.playback.schemas import Device, SessionCreate
from marquee.versions.models import MediaVersion


@dataclass(frozen=True)
class Made:
    download: Download
    license: DownloadLicense
    media: DownloadMedia
    created: bool


def _plan(user: User, now: datetime) -> Entitlements:
    plan = entitlement.check_subscription(user, now)
    if plan.downloads <= 0:
        raise PlanHasNoDownloads(f"The {plan.plan} plan includes no downloads.", plan=plan.plan)
    return plan


def _target(
    session: Session,
    profile: Profile,
    country: str,
    now: datetime,
    *,
    title_id: uuid.UUID | None,
    episode_id: uuid.UUID | None,
) -> entitlement.Target:
    """What a start would play, checked by playback's own rules in their order."""
    audience = Audience(country=country, max_maturity=profile.maturity_ceiling, at=now)
    data = SessionCreate(profile_id=profile.id, title_id=title_id, episode_id=episode_id)
    return entitlement.resolve_target(
        session=session, profile=profile, audience=audience, data=data
    )


def _quality(version: MediaVersion, plan: Entitlements, wanted: int | None) -> int:
    if wanted is None:
        return entitlement.max_height(version, plan_limit=plan.max_resolution, device=Device())
    if wanted > plan.max_resolution:
        raise QualityAbovePlan(
            f"The plan allows up to {plan.max_resolution}p.", max_resolution=plan.max_resolution
        )
    heights = sorted({r.height for r in version.renditions})
    if wanted not in heights:
        offered = [h for h in heights if h <= plan.max_resolution]
        raise QualityNotOffered(f"This title has no {wanted}p rendition.", qualities=offered)
    return wanted


def _existing(
    session: Session, profile: Profile, device_id: str, target: entitlement.Target
) -> Download | None:
    query = select(Download).where(
        Download.profile_id == profile.id,
        Download.device_id == device_id,
        Download.title_id == target.title.id,
        Download.episode_id.is_(None)
        if target.episode is None
        else Download.episode_id == target.episode.id,
    )
    return session.scalars(query).first()


def _take_place(session: Session, values: dict[str, object], limit: int) -> bool:
    """Insert the download in the first free place below `limit`; False when none is free.

    One statement per place, no savepoint: a place another transaction holds is skipped
    (PostgreSQL waits for that transaction first; SQLite serialises writers). Places at or
    above the limit, left by a downgrade, count against it.
    """
    user_id = values["user_id"]
    beyond = session.scalar(
        select(func.count())
        .select_from(Download)
        .where(Download.user_id == user_id, Download.slot >= limit)
    )
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for slot in range(limit - int(beyond or 0)):
        statement = insert(Download).values({**values, "slot": slot}).on_conflict_do_nothing()
        if session.execute(statement.returning(Download.slot)).first() is not None:
            return True
    return False


def create_download(
    *,
    session: Session,
    settings: Settings,
    user: User,
    profile: Profile,
    country: str,
    data: DownloadCreate,
    now: datetime | None = None,
) -> Made:
    """Check, take a place of the plan, and hand back the licence and the links to fetch it.

    Asked again for the same item on the same device and profile, the download it already
    has is renewed instead: a device that lost its links gets fresh ones for the same place.
    """
    now = now or utcnow()
    plan = _plan(user, now)
    target = _target(
        session, profile, country, now, title_id=data.title_id, episode_id=data.episode_id
    )
    quality = _quality(target.version, plan, data.quality)
    download = _existing(session, profile, data.device_id, target)
    created = download is None
    if download is None:
        download = _insert(
            session, settings, user, profile, data.device_id, target, quality, plan, now
        )
    else:
        download.quality, download.version_id = quality, target.version.id
        licenses.extend(settings, download, now)
    session.flush()
    media = transfer.media_links(
        session=session,
        settings=settings,
        profile=profile,
        target=target,
        quality=quality,
        country=country,
        now=now,
    )
    return Made(download, licenses.license_for(session, settings, download), media, created)


def _insert(
    session: Session,
    settings: Settings,
    user: User,
    profile: Profile,
    device_id: str,
    target: entitlement.Target,
    quality: int,
    plan: Entitlements,
    now: datetime,
) -> Download:
    download = Download(
        id=uuid.uuid4(),
        user_id=user.id,
        profile_id=profile.id,
        device_id=device_id,
        title_id=target.title.id,
        episode_id=target.episode.id if target.episode else None,
        version_id=target.version.id,
        quality=quality,
        duration_seconds=target.version.duration_seconds,
        created_at=now,
        first_played_at=None,
    )
    licenses.extend(settings, download, now)
    values = {
        c.key: getattr(download, c.key) for c in Download.__table__.columns if c.key != "slot"
    }
    if not _take_place(session, values, plan.downloads):
        raise DownloadLimitReached(
            f"Your plan allows {plan.downloads} downloads; delete one to download another.",
            limit=plan.downloads,
        )
    stored = session.get(Download, download.id)
    assert stored is not None
    return stored


def own_download(*, session: Session, profile: Profile, download_id: uuid.UUID) -> Download:
    """The profile's download; another profile's is indistinguishable from a missing one."""
    download = session.get(Download, download_id)
    if download is None or download.profile_id != profile.id:
        raise DownloadNotFound("No such download.")
    return download


def delete_download(*, session: Session, profile: Profile, download_id: uuid.UUID) -> None:
    """Remove it and free its place; its next renewal is refused."""
    session.delete(own_download(session=session, profile=profile, download_id=download_id))
    session.flush()


def renew(
    *,
    session: Session,
    settings: Settings,
    user: User,
    profile: Profile,
    country: str,
    download_id: uuid.UUID,
    played_at: datetime | None = None,
    now: datetime | None = None,
) -> tuple[Download, DownloadLicense]:
    """Every rule checked again, then the licence extended (expired ones too, once online)."""
    now = now or utcnow()
    download = own_download(session=session, profile=profile, download_id=download_id)
    plan = _plan(user, now)
    _target(
        session,
        profile,
        country,
        now,
        title_id=None if download.episode_id else download.title_id,
        episode_id=download.episode_id,
    )
    _check_still_covered(session, download, plan)
    if played_at is not None:
        # Within the download's life: a client's clock is not trusted past it either way.
        mark_played(download, max(download.created_at, min(played_at, now)))
    licenses.extend(settings, download, now)
    session.flush()
    return download, licenses.license_for(session, settings, download)


def _check_still_covered(session: Session, download: Download, plan: Entitlements) -> None:
    """After a downgrade: the quality within the new ceiling, and a place within its number."""
    if download.quality > plan.max_resolution:
        raise DownloadRevoked(
            f"The plan now allows up to {plan.max_resolution}p; download this title again.",
            max_resolution=plan.max_resolution,
        )
    ahead = session.scalar(
        select(func.count())
        .select_from(Download)
        .where(Download.user_id == download.user_id, Download.slot < download.slot)
    )
    if int(ahead or 0) >= plan.downloads:
        raise DownloadRevoked(
            f"The plan now allows {plan.downloads} downloads.", limit=plan.downloads
        )


def mark_played(download: Download, at: datetime) -> None:
    """The first offline play: from then on renewals give the shorter expiry."""
    if download.first_played_at is None or at < download.first_played_at:
        download.first_played_at = at


def list_downloads(
    *, session: Session, user: User, profile: Profile, plan: Entitlements, now: datetime
) -> DownloadList:
    query = (
        select(Download, Title.name, Episode.name)
        .join(Title, Title.id == Download.title_id)
        .outerjoin(Episode, Episode.id == Download.episode_id)
        .where(Download.profile_id == profile.id)
        .order_by(Download.created_at.desc())
    )
    items = [_read(d, name, episode, now) for d, name, episode in session.execute(query)]
    used = session.scalar(
        select(func.count()).select_from(Download).where(Download.user_id == user.id)
    )
    return DownloadList(items=items, limit=plan.downloads, used=int(used or 0))


def _read(download: Download, title: str, episode: str | None, now: datetime) -> DownloadRead:
    return DownloadRead(
        id=download.id,
        profile_id=download.profile_id,
        device_id=download.device_id,
        title_id=download.title_id,
        episode_id=download.episode_id,
        title=title,
        episode_title=episode,
        quality=download.quality,
        duration=download.duration_seconds,
        created_at=download.created_at,
        expires_at=download.expires_at,
        first_played_at=download.first_played_at,
        state="expired" if download.expires_at <= now else "active",
    )


def describe(*, session: Session, download: Download, now: datetime) -> DownloadRead:
    """One download as the API shows it, with its title's and episode's names."""
    title = session.get(Title, download.title_id)
    episode = session.get(Episode, download.episode_id) if download.episode_id else None
    name = title.name if title else ""
    return _read(download, name, episode.name if episode else None, now)
