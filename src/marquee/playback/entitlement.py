"""Who may play what: the entitlement checks, in the order the playback contract fixes.

A start is refused, each time with its own problem type: without an active subscription
(402), for a title that does not exist or is not published (404), outside the title's
licence windows for the viewer's country (451), above the profile's maturity ceiling
(403), and when no ready version can be decoded by the device (409). Stream slots come
last, in `service`. `recheck` asks again, for a live session, whether its title is still
published and licensed in its country and its plan still active and wide enough: the
licence endpoint calls it on every request.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from marquee.accounts.billing import Entitlements, entitlements
from marquee.accounts.models import Profile, User
from marquee.audience import Audience
from marquee.catalog.models import Episode, PublishState, Season, Title
from marquee.catalog.visibility import available_now
from marquee.db import utcnow
from marquee.errors import NotFound
from marquee.playback import positions
from marquee.playback.errors import (
    LicenseDenied,
    MaturityRestricted,
    NotAvailableInRegion,
    NotPlayable,
    SubscriptionRequired,
)
from marquee.playback.models import PlaybackSession, WatchPosition
from marquee.playback.schemas import Device, SessionCreate
from marquee.versions import service as versions
from marquee.versions.models import MediaVersion, VersionState


@dataclass(frozen=True)
class Target:
    title: Title
    episode: Episode | None
    version: MediaVersion

    @property
    def item(self) -> positions.Item:
        credits = self.episode.credits_start_seconds if self.episode else None
        return positions.Item(
            title_id=self.title.id,
            episode_id=self.episode.id if self.episode else None,
            duration=self.version.duration_seconds,
            credits_start=float(credits) if credits is not None else None,
        )


def check_subscription(user: User, now: datetime) -> Entitlements:
    plan = entitlements(user=user, now=now)
    if not plan.active:
        raise SubscriptionRequired("An active subscription is needed to watch.")
    return plan


def _not_found() -> NotFound:
    # One answer for missing, unpublished and deleted alike: a 404 must not tell them apart.
    return NotFound("No such title or episode.")


@dataclass(frozen=True)
class _Found:
    title: Title
    episode: Episode | None
    available: bool  # a licence window covers the audience now
    title_version: MediaVersion | None  # the title's current version, read with it


def _find_title(session: Session, data: SessionCreate, audience: Audience) -> _Found:
    """The title (or the episode's) with its current version and availability, in one query."""
    episode: Episode | None = None
    title_id = data.title_id
    if data.episode_id is not None:
        episode = session.get(Episode, data.episode_id)
        if episode is None:
            raise _not_found()
        title_id = episode.title_id
    query = (
        select(Title, MediaVersion, available_now(audience).label("available"))
        .outerjoin(MediaVersion, MediaVersion.id == Title.current_version_id)
        .where(Title.id == title_id)
    )
    row = session.execute(query).first() if title_id is not None else None
    if row is None or row[0].state != PublishState.PUBLISHED:
        raise _not_found()
    return _Found(row[0], episode, bool(row[2]), row[1])


def _check_region(available: bool, audience: Audience) -> None:
    if not available:
        raise NotAvailableInRegion(
            f"This title is not available in your region ({audience.country}).",
            country=audience.country,
        )


def _check_maturity(title: Title, profile: Profile) -> None:
    if title.maturity_level > profile.maturity_ceiling:
        raise MaturityRestricted(
            f"{title.maturity_rating} is above this profile's maturity setting."
        )


def _resume_episode(session: Session, profile: Profile, title: Title) -> Episode | None:
    """For a series started as a whole: the episode in progress, the one after, or the first."""
    saved = session.scalar(
        select(WatchPosition)
        .where(
            WatchPosition.profile_id == profile.id,
            WatchPosition.title_id == title.id,
            WatchPosition.episode_id.is_not(None),
        )
        .order_by(WatchPosition.updated_at.desc())
        .limit(1)
    )
    if saved is not None and saved.episode_id is not None:
        current = session.get(Episode, saved.episode_id)
        if current is not None:
            return next_episode(session=session, episode=current) if saved.completed else current
    ordered = _episodes_in_order(session, title.id)
    return ordered[0] if ordered else None


def _episodes_in_order(session: Session, title_id: uuid.UUID) -> list[Episode]:
    query = (
        select(Episode)
        .join(Season, Season.id == Episode.season_id)
        .where(Episode.title_id == title_id)
        .order_by(Season.number, Episode.number)
    )
    return list(session.scalars(query))


def next_episode(*, session: Session, episode: Episode) -> Episode | None:
    """The next episode that has media, across seasons; None after the last."""
    ordered = _episodes_in_order(session, episode.title_id)
    later = ordered[[e.id for e in ordered].index(episode.id) + 1 :]
    return next((e for e in later if e.current_version_id is not None), None)


def _playable_version(
    session: Session, found: _Found, episode: Episode | None, device: Device
) -> MediaVersion:
    version: MediaVersion | None = found.title_version
    if episode is not None:
        version_id = episode.current_version_id
        version = (
            versions.get_version(session=session, version_id=version_id)
            if version_id is not None
            else None
        )
    if version is None or version.state != VersionState.READY or not version.renditions:
        raise NotPlayable("This title has no media ready to play yet.")
    wanted = {c.lower() for c in device.codecs}
    if wanted and not any(r.codec_families() & wanted for r in version.renditions):
        raise NotPlayable("This device cannot decode any of this title's video renditions.")
    return version


def max_height(version: MediaVersion, *, plan_limit: int, device: Device) -> int:
    """The tallest rendition within the plan and the device; the smallest if none fits."""
    limit = min(plan_limit, device.max_height or plan_limit)
    heights = sorted(r.height for r in version.renditions)
    fitting = [h for h in heights if h <= limit]
    return fitting[-1] if fitting else heights[0]


def resolve_target(
    *, session: Session, profile: Profile, audience: Audience, data: SessionCreate
) -> Target:
    """The title or episode to play and its ready version, checked in the contract's order."""
    found = _find_title(session, data, audience)
    title, episode = found.title, found.episode
    _check_region(found.available, audience)
    _check_maturity(title, profile)
    if episode is None and title.current_version_id is None:
        episode = _resume_episode(session, profile, title)
    version = _playable_version(session, found, episode, data.device)
    return Target(title=title, episode=episode, version=version)


def recheck(*, session: Session, playback: PlaybackSession, now: datetime | None = None) -> None:
    """What a start checked, checked again for a live session (on every licence request):
    the title is still published, licensed in the session's country now, and the account's
    plan is active and still allows the session's resolution. `LicenseDenied` otherwise."""
    now = now or utcnow()
    user = session.get(User, playback.user_id)
    plan = entitlements(user=user, now=now) if user is not None else None
    if plan is None or not plan.active:
        raise LicenseDenied("Keys are released only to an active subscription.")
    audience = Audience(country=playback.country, at=now)
    row = session.execute(
        select(Title.state, available_now(audience)).where(Title.id == playback.title_id)
    ).first()
    if row is None or row[0] != PublishState.PUBLISHED:
        raise LicenseDenied("This title is no longer published.")
    if not row[1]:
        raise LicenseDenied(f"This title is no longer available in {playback.country}.")
    version = session.get(MediaVersion, playback.version_id)
    if version is not None and version.renditions:
        limit = playback.device.get("max_height")
        device = Device(max_height=limit if isinstance(limit, int) else None)
        allowed = max_height(version, plan_limit=plan.max_resolution, device=device)
        if allowed < playback.max_height:
            raise LicenseDenied("The plan no longer includes this session's resolution.")
