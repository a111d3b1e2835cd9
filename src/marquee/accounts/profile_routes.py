"""HTTP routes for the caller's profiles ("Who's watching?") and their PIN locks, under /me.

Each route's body is its one unit of work (`AccountWork`): the account is loaded, and a
guardian's unlock checked, in the same transaction as the change.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from marquee.accounts import profile_lock, profiles
from marquee.accounts.errors import (
    IncorrectPin,
    KidsCeilingTooHigh,
    LastProfile,
    ProfileLimitReached,
    ProfileLocked,
    ProfileNameTaken,
    ProfileNotFound,
    UnknownMaturityRating,
)
from marquee.accounts.models import Profile
from marquee.accounts.schemas import (
    ProfileCreate,
    ProfileRead,
    ProfileSwitch,
    ProfileToken,
    ProfileUpdate,
)
from marquee.deps import AccountWork, Limiter, ProfileTokenHeader, model_response
from marquee.errors import RateLimited, problem_responses
from marquee.pagination import Page, PageParams, make_page

router = APIRouter(prefix="/me", tags=["me"])


def profile_read(profile: Profile) -> ProfileRead:
    return ProfileRead(
        id=profile.id,
        name=profile.name,
        is_kids=profile.is_kids,
        maturity_ceiling=profiles.ceiling_label(profile.maturity_ceiling),
        maturity_level=profile.maturity_ceiling,
        language=profile.language,
        subtitle_language=profile.subtitle_language,
        subtitles_enabled=profile.subtitles_enabled,
        audio_language=profile.audio_language,
        avatar=profile.avatar,
        locked=profile.pin_hash is not None,
    )


@router.get("/profiles", response_model=Page[ProfileRead])
def list_profiles(work: AccountWork) -> Response:
    with work.begin() as (session, user):
        rows = [profile_read(p) for p in profiles.list_profiles(session=session, user=user)]
    params = PageParams(offset=0, limit=profiles.MAX_PROFILES)
    return model_response(make_page(rows, total=len(rows), params=params))


@router.post(
    "/profiles",
    status_code=status.HTTP_201_CREATED,
    response_model=ProfileRead,
    responses=problem_responses(
        ProfileNameTaken,
        ProfileLimitReached,
        UnknownMaturityRating,
        KidsCeilingTooHigh,
        ProfileLocked,
    ),
)
def create_profile(
    body: ProfileCreate, work: AccountWork, token: ProfileTokenHeader = None
) -> Response:
    settings = work.runtime.settings
    with work.begin() as (session, user):
        profile_lock.require_guardian(session=session, settings=settings, user=user, token=token)
        profile = profiles.create_profile(
            session=session, user=user, **body.model_dump(exclude={"pin"})
        )
        if body.pin is not None:
            profile_lock.set_pin(settings, profile, body.pin)
        session.flush()
        read = profile_read(profile)
    return model_response(read, status.HTTP_201_CREATED)


@router.get(
    "/profiles/{profile_id}",
    response_model=ProfileRead,
    responses=problem_responses(ProfileNotFound),
)
def read_profile(profile_id: uuid.UUID, work: AccountWork) -> Response:
    with work.begin() as (session, user):
        read = profile_read(profiles.get_profile(session=session, user=user, profile_id=profile_id))
    return model_response(read)


@router.post(
    "/profiles/{profile_id}/switch",
    response_model=ProfileToken,
    responses=problem_responses(ProfileNotFound, IncorrectPin, RateLimited),
)
def switch_profile(
    profile_id: uuid.UUID, body: ProfileSwitch, work: AccountWork, limiter: Limiter
) -> Response:
    """Switch into a profile: a locked one needs its PIN (a few tries per quarter hour)."""
    with work.begin() as (session, user):
        profile = profiles.get_profile(session=session, user=user, profile_id=profile_id)
        token = profile_lock.switch(
            settings=work.runtime.settings, limiter=limiter, profile=profile, pin=body.pin
        )
    return model_response(
        ProfileToken(profile_token=token, expires_in=profile_lock.TOKEN_TTL_SECONDS)
    )


@router.patch(
    "/profiles/{profile_id}",
    response_model=ProfileRead,
    responses=problem_responses(
        ProfileNotFound, ProfileNameTaken, UnknownMaturityRating, KidsCeilingTooHigh, ProfileLocked
    ),
)
def update_profile(
    profile_id: uuid.UUID,
    body: ProfileUpdate,
    work: AccountWork,
    token: ProfileTokenHeader = None,
) -> Response:
    settings = work.runtime.settings
    changes = body.model_dump(exclude_unset=True)
    with work.begin() as (session, user):
        target = profiles.get_profile(session=session, user=user, profile_id=profile_id)
        profile_lock.require_may_change(
            session=session,
            settings=settings,
            user=user,
            profile=target,
            changes=changes,
            token=token,
        )
        pin_given, pin = "pin" in changes, changes.pop("pin", None)
        profile = profiles.update_profile(
            session=session, user=user, profile_id=profile_id, changes=changes
        )
        if pin_given:
            profile_lock.set_pin(settings, profile, pin)
        session.flush()
        read = profile_read(profile)
    return model_response(read)


@router.delete(
    "/profiles/{profile_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(ProfileNotFound, LastProfile, ProfileLocked),
)
def delete_profile(
    profile_id: uuid.UUID, work: AccountWork, token: ProfileTokenHeader = None
) -> Response:
    with work.begin() as (session, user):
        profile_lock.require_guardian(
            session=session, settings=work.runtime.settings, user=user, token=token
        )
        profiles.delete_profile(session=session, user=user, profile_id=profile_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
