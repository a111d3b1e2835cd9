"""HTTP routes for a profile's My List and thumbs ratings."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from marquee.accounts.errors import ProfileLocked, ProfileNotFound
from marquee.catalog.errors import TitleNotFound
from marquee.catalog.schemas import TitleRead
from marquee.deps import ProfileWork, model_response
from marquee.errors import problem_responses
from marquee.library import service
from marquee.library.schemas import MyListItemRead, MyListStatus, RatingRead, RatingWrite
from marquee.pagination import Page, PageParams, make_page, page_params

router = APIRouter(prefix="/profiles", tags=["library"])
routers = [router]


@router.get(
    "/{profile_id}/my-list",
    response_model=Page[MyListItemRead],
    responses=problem_responses(ProfileNotFound, ProfileLocked),
)
def read_my_list(
    work: ProfileWork, params: Annotated[PageParams, Depends(page_params)]
) -> Response:
    """Saved titles, newest first; titles this profile may not see here and now are left out."""
    with work.begin() as (session, _, audience):
        rows, total = service.list_entries(
            session=session, audience=audience, profile_id=work.profile_id, params=params
        )
        items = [MyListItemRead(title=TitleRead.model_validate(t), added_at=at) for t, at in rows]
    return model_response(make_page(items, total=total, params=params))


@router.get(
    "/{profile_id}/my-list/{title_id}",
    response_model=MyListStatus,
    responses=problem_responses(ProfileNotFound, ProfileLocked, TitleNotFound),
)
def read_my_list_status(work: ProfileWork, title_id: uuid.UUID) -> Response:
    with work.begin() as (session, _, audience):
        entry = service.list_status(
            session=session, audience=audience, profile_id=work.profile_id, title_id=title_id
        )
        found = MyListStatus(
            title_id=title_id,
            in_list=entry is not None,
            added_at=entry.added_at if entry else None,
        )
    return model_response(found)


@router.put(
    "/{profile_id}/my-list/{title_id}",
    response_model=MyListStatus,
    responses=problem_responses(ProfileNotFound, ProfileLocked, TitleNotFound),
)
def add_to_my_list(work: ProfileWork, title_id: uuid.UUID) -> Response:
    with work.begin() as (session, _, audience):
        entry = service.add_to_list(
            session=session, audience=audience, profile_id=work.profile_id, title_id=title_id
        )
        added = MyListStatus(title_id=title_id, in_list=True, added_at=entry.added_at)
    return model_response(added)


@router.delete(
    "/{profile_id}/my-list/{title_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(ProfileNotFound, ProfileLocked, TitleNotFound),
)
def remove_from_my_list(work: ProfileWork, title_id: uuid.UUID) -> Response:
    with work.begin() as (session, _, audience):
        service.remove_from_list(
            session=session, audience=audience, profile_id=work.profile_id, title_id=title_id
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _rating_read(title_id: uuid.UUID, value: int, updated_at: object) -> RatingRead:
    return RatingRead.model_validate(
        {"title_id": title_id, "value": value, "updated_at": updated_at}
    )


@router.get(
    "/{profile_id}/ratings/{title_id}",
    response_model=RatingRead,
    responses=problem_responses(ProfileNotFound, ProfileLocked, TitleNotFound),
)
def read_rating(work: ProfileWork, title_id: uuid.UUID) -> Response:
    """This profile's thumb on the title: 1, -1, or 0 when it has not rated it."""
    with work.begin() as (session, _, audience):
        rating = service.get_rating(
            session=session, audience=audience, profile_id=work.profile_id, title_id=title_id
        )
        if rating is None:
            read = _rating_read(title_id, 0, None)
        else:
            read = _rating_read(title_id, rating.value, rating.updated_at)
    return model_response(read)


@router.put(
    "/{profile_id}/ratings/{title_id}",
    response_model=RatingRead,
    responses=problem_responses(ProfileNotFound, ProfileLocked, TitleNotFound),
)
def rate_title(work: ProfileWork, title_id: uuid.UUID, body: RatingWrite) -> Response:
    with work.begin() as (session, _, audience):
        rating = service.rate(
            session=session,
            audience=audience,
            profile_id=work.profile_id,
            title_id=title_id,
            value=body.value,
        )
        read = _rating_read(title_id, rating.value, rating.updated_at)
    return model_response(read)


@router.delete(
    "/{profile_id}/ratings/{title_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(ProfileNotFound, ProfileLocked, TitleNotFound),
)
def unrate_title(work: ProfileWork, title_id: uuid.UUID) -> Response:
    with work.begin() as (session, _, audience):
        service.unrate(
            session=session, audience=audience, profile_id=work.profile_id, title_id=title_id
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
