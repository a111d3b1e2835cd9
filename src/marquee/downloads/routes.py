"""HTTP routes for a profile's downloads: make, list, delete, renew and bring positions back."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from marquee.accounts.billing import entitlements
from marquee.accounts.errors import ProfileLocked, ProfileNotFound
from marquee.deps import ProfileWork, ViewerCountry, model_response
from marquee.downloads import offline, service
from marquee.downloads.errors import (
    DownloadLimitReached,
    DownloadNotFound,
    DownloadRevoked,
    InvalidOfflineReport,
    PlanHasNoDownloads,
    QualityAbovePlan,
    QualityNotOffered,
)
from marquee.downloads.schemas import (
    DownloadCreate,
    DownloadList,
    DownloadRenewed,
    DownloadStarted,
    OfflineProgressCreate,
    OfflineProgressRead,
    RenewalCreate,
)
from marquee.errors import NotFound, problem_responses
from marquee.playback.errors import (
    MaturityRestricted,
    NotAvailableInRegion,
    NotPlayable,
    PositionOutOfRange,
    SubscriptionRequired,
)

router = APIRouter(prefix="/profiles/{profile_id}/downloads", tags=["downloads"])
routers = [router]

# What a download is refused with, made or renewed: the playback rules, then the plan's.
_RULES = (
    ProfileNotFound,
    ProfileLocked,
    NotFound,
    SubscriptionRequired,
    PlanHasNoDownloads,
    NotAvailableInRegion,
    MaturityRestricted,
    NotPlayable,
)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=DownloadStarted,
    responses=problem_responses(*_RULES, QualityAbovePlan, QualityNotOffered, DownloadLimitReached),
)
def create_download(body: DownloadCreate, work: ProfileWork, country: ViewerCountry) -> Response:
    """Take one of the plan's downloads for this device: the offline licence and the media
    links to fetch once. The same item asked again on the same device renews it (200)."""
    runtime = work.runtime
    with work.begin() as (session, profile, _):
        now = runtime.clock()
        made = service.create_download(
            session=session,
            settings=runtime.settings,
            user=profile.user,
            profile=profile,
            country=country,
            data=body,
            now=now,
        )
        shown = service.describe(session=session, download=made.download, now=now)
        started = DownloadStarted(**shown.model_dump(), license=made.license, media=made.media)
    return model_response(started, 201 if made.created else 200)


@router.get(
    "", response_model=DownloadList, responses=problem_responses(ProfileNotFound, ProfileLocked)
)
def list_downloads(work: ProfileWork) -> Response:
    """This profile's downloads with their expiry, and the account's count against the plan."""
    with work.begin() as (session, profile, _):
        now = work.runtime.clock()
        plan = entitlements(user=profile.user, now=now)
        found = service.list_downloads(
            session=session, user=profile.user, profile=profile, plan=plan, now=now
        )
    return model_response(found)


@router.delete(
    "/{download_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(ProfileNotFound, ProfileLocked, DownloadNotFound),
)
def delete_download(download_id: uuid.UUID, work: ProfileWork) -> Response:
    """Remove a download and free its place; the device's copy is refused its next renewal."""
    with work.begin() as (session, profile, _):
        service.delete_download(session=session, profile=profile, download_id=download_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{download_id}/license",
    response_model=DownloadRenewed,
    responses=problem_responses(*_RULES, DownloadNotFound, DownloadRevoked),
)
def renew_license(
    download_id: uuid.UUID, body: RenewalCreate, work: ProfileWork, country: ViewerCountry
) -> Response:
    """Online again: every rule checked anew, then the offline licence extended."""
    runtime = work.runtime
    with work.begin() as (session, profile, _):
        now = runtime.clock()
        download, license = service.renew(
            session=session,
            settings=runtime.settings,
            user=profile.user,
            profile=profile,
            country=country,
            download_id=download_id,
            played_at=body.played_at,
            now=now,
        )
        shown = service.describe(session=session, download=download, now=now)
        renewed = DownloadRenewed(**shown.model_dump(), license=license)
    return model_response(renewed)


@router.post(
    "/{download_id}/progress",
    response_model=OfflineProgressRead,
    responses=problem_responses(
        ProfileNotFound, ProfileLocked, DownloadNotFound, InvalidOfflineReport, PositionOutOfRange
    ),
)
def offline_progress(
    download_id: uuid.UUID, body: OfflineProgressCreate, work: ProfileWork, country: ViewerCountry
) -> Response:
    """Positions watched offline, with the times they were watched: logged as progress
    events at those times, and the resume position unless a newer one was saved since."""
    with work.begin() as (session, profile, _):
        result = offline.record(
            session=session,
            profile=profile,
            country=country,
            download_id=download_id,
            reports=body.reports,
            now=work.runtime.clock(),
        )
    return model_response(result)
