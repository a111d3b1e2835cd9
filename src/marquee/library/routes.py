"""HTTP routes for a profile's My List and thumbs ratings."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from marquee.accounts import profiles
from marquee.accounts.errors import ProfileNotFound
from marquee.accounts.models import Profile
from marquee.audience import Audience
from marquee.catalog.errors import TitleNotFound
from marquee.catalog.schemas import TitleRead
from marquee.deps import CurrentUser, DbSession, ViewerCountry
from marquee.errors import problem_responses
from marquee.library import service
from marquee.library.schemas import MyListItemRead, MyListStatus, RatingRead, RatingWrite
from marquee.pagination import Page, PageParams, make_page, page_params

router = APIRouter(prefix="/profiles", tags=["library"])
routers = [router]


def get_path_profile(session: DbSession, user: CurrentUser, profile_id: uuid.UUID) -> Profile:
    """The `{profile_id}` in the path when it is one of the caller's profiles; else 404."""
    return profiles.get_profile(session=session, user=user, profile_id=profile_id)


PathProfile = Annotated[Profile, Depends(get_path_profile)]


def get_path_audience(profile: PathProfile, country: ViewerCountry) -> Audience:
    return Audience(country=country, max_maturity=profile.maturity_ceiling)


PathAudience = Annotated[Audience, Depends(get_path_audience)]


@router.get(
    "/{profile_id}/my-list",
    response_model=Page[MyListItemRead],
    responses=problem_responses(ProfileNotFound),
)
def read_my_list(
    profile: PathProfile,
    audience: PathAudience,
    session: DbSession,
    params: Annotated[PageParams, Depends(page_params)],
) -> Page[MyListItemRead]:
    """Saved titles, newest first; titles this profile may not see here and now are left out."""
    rows, total = service.list_entries(
        session=session, audience=audience, profile_id=profile.id, params=params
    )
    items = [MyListItemRead(title=TitleRead.model_validate(t), added_at=at) for t, at in rows]
    return make_page(items, total=total, params=params)


@router.get(
    "/{profile_id}/my-list/{title_id}",
    response_model=MyListStatus,
    responses=problem_responses(ProfileNotFound, TitleNotFound),
)
def read_my_list_status(
    profile: PathProfile, audience: PathAudience, session: DbSession, title_id: uuid.UUID
) -> MyListStatus:
    entry = service.list_status(
        session=session, audience=audience, profile_id=profile.id, title_id=title_id
    )
    return MyListStatus(
        title_id=title_id, in_list=entry is not None, added_at=entry.added_at if entry else None
    )


@router.put(
    "/{profile_id}/my-list/{title_id}",
    response_model=MyListStatus,
    responses=problem_responses(ProfileNotFound, TitleNotFound),
)
def add_to_my_list(
    profile: PathProfile, audience: PathAudience, session: DbSession, title_id: uuid.UUID
) -> MyListStatus:
    entry = service.add_to_list(
        session=session, audience=audience, profile_id=profile.id, title_id=title_id
    )
    return MyListStatus(title_id=title_id, in_list=True, added_at=entry.added_at)


@router.delete(
    "/{profile_id}/my-list/{title_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(ProfileNotFound, TitleNotFound),
)
def remove_from_my_list(
    profile: PathProfile, audience: PathAudience, session: DbSession, title_id: uuid.UUID
) -> None:
    service.remove_from_list(
        session=session, audience=audience, profile_id=profile.id, title_id=title_id
    )


def _rating_read(title_id: uuid.UUID, value: int, updated_at: object) -> RatingRead:
    return RatingRead.model_validate(
        {"title_id": title_id, "value": value, "updated_at": updated_at}
    )


@router.get(
    "/{profile_id}/ratings/{title_id}",
    response_model=RatingRead,
    responses=problem_responses(ProfileNotFound, TitleNotFound),
)
def read_rating(
    profile: PathProfile, audience: PathAudience, session: DbSession, title_id: uuid.UUID
) -> RatingRead:
    """This profile's thumb on the title: 1, -1, or 0 when it has not rated it."""
    rating = service.get_rating(
        session=session, audience=audience, profile_id=profile.id, title_id=title_id
    )
    if rating is None:
        return _rating_read(title_id, 0, None)
    return _rating_read(title_id, rating.value, rating.updated_at)


@router.put(
    "/{profile_id}/ratings/{title_id}",
    response_model=RatingRead,
    responses=problem_responses(ProfileNotFound, TitleNotFound),
)
def rate_title(
    profile: PathProfile,
    audience: PathAudience,
    session: DbSession,
    title_id: uuid.UUID,
    body: RatingWrite,
) -> RatingRead:
    rating = service.rate(
        session=session,
        audience=audience,
        profile_id=profile.id,
        title_id=title_id,
        value=body.value,
    )
    return _rating_read(title_id, rating.value, rating.updated_at)


@router.delete(
    "/{profile_id}/ratings/{title_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(ProfileNotFound, TitleNotFound),
)
def unrate_title(
    profile: PathProfile, audience: PathAudience, session: DbSession, title_id: uuid.UUID
) -> None:
    service.unrate(session=session, audience=audience, profile_id=profile.id, title_id=title_id)
