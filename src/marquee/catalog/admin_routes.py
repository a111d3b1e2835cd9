"""HTTP routes for editors: titles in every state, seasons, episodes, people, genres, windows."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from marquee.accounts.errors import EditorRequired
from marquee.catalog import episodes, people, service
from marquee.catalog.errors import (
    AvailabilityNotFound,
    CreditExists,
    CreditNotFound,
    EpisodeExists,
    EpisodeNotFound,
    GenreExists,
    GenreNotFound,
    InvalidMarkers,
    InvalidTransition,
    NotACastCredit,
    NotASeries,
    PersonNotFound,
    SeasonExists,
    SeasonNotFound,
    SlugTaken,
    TitleNotFound,
    UnknownGenre,
)
from marquee.catalog.models import (
    PublishState,
)
from marquee.catalog.schemas import (
    AdminTitleRead,
    AdminTitleSummary,
    AvailabilityCreate,
    AvailabilityRead,
    CreditCreate,
    CreditRead,
    CreditUpdate,
    EpisodeCreate,
    EpisodeRead,
    EpisodeUpdate,
    GenreCreate,
    GenreRead,
    GenreUpdate,
    PersonCreate,
    PersonRead,
    PersonUpdate,
    SeasonCreate,
    SeasonRead,
    SeasonUpdate,
    TitleCreate,
    TitleUpdate,
)
from marquee.catalog.state import TitleEvent
from marquee.deps import EditorWork, model_response
from marquee.errors import problem_responses
from marquee.pagination import Page, PageParams, make_page, page_params

# Every route takes `EditorWork`: the role is checked in the route's one transaction, so the
# 403 is declared here for all of them.
_editor_only = problem_responses(EditorRequired)
titles = APIRouter(prefix="/admin/titles", tags=["admin-titles"], responses=_editor_only)
genres = APIRouter(prefix="/admin/genres", tags=["admin-genres"], responses=_editor_only)
people_router = APIRouter(prefix="/admin/people", tags=["admin-people"], responses=_editor_only)
routers = [titles, genres, people_router]

Pages = Annotated[PageParams, Depends(page_params)]
SeasonNumber = Annotated[int, Path(ge=0, le=10000)]
EpisodeNumber = Annotated[int, Path(ge=0, le=10000)]
NO_CONTENT = status.HTTP_204_NO_CONTENT
CREATED = status.HTTP_201_CREATED


def _answer(schema: type[BaseModel], row: object, status_code: int = 200) -> Response:
    """`row` read as `schema`, serialised inside the route's transaction."""
    return model_response(schema.model_validate(row), status_code)


@titles.get("", response_model=Page[AdminTitleSummary])
def list_titles(
    work: EditorWork,
    params: Pages,
    state: PublishState | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    with work.begin() as (session, _):
        items, total = service.list_titles(session=session, params=params, state=state, q=q)
        rows = [AdminTitleSummary.model_validate(t) for t in items]
        return model_response(make_page(rows, total=total, params=params))


@titles.post(
    "",
    response_model=AdminTitleRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(SlugTaken, UnknownGenre),
)
def create_title(body: TitleCreate, work: EditorWork) -> Response:
    with work.begin() as (session, _):
        row = service.create_title(session=session, data=body)
        return _answer(AdminTitleRead, row, CREATED)


@titles.get(
    "/{title_id}", response_model=AdminTitleRead, responses=problem_responses(TitleNotFound)
)
def read_title(title_id: uuid.UUID, work: EditorWork) -> Response:
    with work.begin() as (session, _):
        row = service.get_title(session=session, title_id=title_id)
        return _answer(AdminTitleRead, row)


@titles.patch(
    "/{title_id}",
    response_model=AdminTitleRead,
    responses=problem_responses(TitleNotFound, SlugTaken, UnknownGenre),
)
def update_title(title_id: uuid.UUID, body: TitleUpdate, work: EditorWork) -> Response:
    with work.begin() as (session, _):
        changes = body.model_dump(exclude_unset=True)
        row = service.update_title(session=session, title_id=title_id, changes=changes)
        return _answer(AdminTitleRead, row)


@titles.delete("/{title_id}", status_code=NO_CONTENT, responses=problem_responses(TitleNotFound))
def delete_title(title_id: uuid.UUID, work: EditorWork) -> Response:
    with work.begin() as (session, _):
        service.delete_title(session=session, title_id=title_id)
    return Response(status_code=NO_CONTENT)


@titles.post(
    "/{title_id}/publish",
    response_model=AdminTitleRead,
    responses=problem_responses(TitleNotFound, InvalidTransition),
)
def publish_title(title_id: uuid.UUID, work: EditorWork) -> Response:
    with work.begin() as (session, _):
        row = service.apply_event(session=session, title_id=title_id, event=TitleEvent.PUBLISH)
        return _answer(AdminTitleRead, row)


@titles.post(
    "/{title_id}/unpublish",
    response_model=AdminTitleRead,
    responses=problem_responses(TitleNotFound, InvalidTransition),
)
def unpublish_title(title_id: uuid.UUID, work: EditorWork) -> Response:
    with work.begin() as (session, _):
        row = service.apply_event(session=session, title_id=title_id, event=TitleEvent.UNPUBLISH)
        return _answer(AdminTitleRead, row)


@titles.post(
    "/{title_id}/availability",
    response_model=AvailabilityRead,
    status_code=201,
    responses=problem_responses(TitleNotFound),
)
def add_window(title_id: uuid.UUID, body: AvailabilityCreate, work: EditorWork) -> Response:
    with work.begin() as (session, _):
        row = service.add_window(session=session, title_id=title_id, data=body)
        return _answer(AvailabilityRead, row, CREATED)


@titles.delete(
    "/{title_id}/availability/{window_id}",
    status_code=NO_CONTENT,
    responses=problem_responses(TitleNotFound, AvailabilityNotFound),
)
def delete_window(title_id: uuid.UUID, window_id: uuid.UUID, work: EditorWork) -> Response:
    with work.begin() as (session, _):
        service.delete_window(session=session, title_id=title_id, window_id=window_id)
    return Response(status_code=NO_CONTENT)


@titles.post(
    "/{title_id}/credits",
    response_model=CreditRead,
    status_code=201,
    responses=problem_responses(TitleNotFound, PersonNotFound, CreditExists),
)
def add_credit(title_id: uuid.UUID, body: CreditCreate, work: EditorWork) -> Response:
    with work.begin() as (session, _):
        row = people.add_credit(session=session, title_id=title_id, data=body)
        return _answer(CreditRead, row, CREATED)


@titles.patch(
    "/{title_id}/credits/{credit_id}",
    response_model=CreditRead,
    responses=problem_responses(TitleNotFound, CreditNotFound, NotACastCredit),
)
def update_credit(
    title_id: uuid.UUID, credit_id: uuid.UUID, body: CreditUpdate, work: EditorWork
) -> Response:
    with work.begin() as (session, _):
        changes = body.model_dump(exclude_unset=True)
        row = people.update_credit(
            session=session, title_id=title_id, credit_id=credit_id, changes=changes
        )
        return _answer(CreditRead, row)


@titles.delete(
    "/{title_id}/credits/{credit_id}",
    status_code=NO_CONTENT,
    responses=problem_responses(TitleNotFound, CreditNotFound),
)
def delete_credit(title_id: uuid.UUID, credit_id: uuid.UUID, work: EditorWork) -> Response:
    with work.begin() as (session, _):
        people.delete_credit(session=session, title_id=title_id, credit_id=credit_id)
    return Response(status_code=NO_CONTENT)


@titles.post(
    "/{title_id}/seasons",
    response_model=SeasonRead,
    status_code=201,
    responses=problem_responses(TitleNotFound, SeasonExists, NotASeries),
)
def create_season(title_id: uuid.UUID, body: SeasonCreate, work: EditorWork) -> Response:
    with work.begin() as (session, _):
        row = episodes.create_season(session=session, title_id=title_id, data=body)
        return _answer(SeasonRead, row, CREATED)


@titles.patch(
    "/{title_id}/seasons/{number}",
    response_model=SeasonRead,
    responses=problem_responses(TitleNotFound, SeasonNotFound, SeasonExists),
)
def update_season(
    title_id: uuid.UUID, number: SeasonNumber, body: SeasonUpdate, work: EditorWork
) -> Response:
    with work.begin() as (session, _):
        changes = body.model_dump(exclude_unset=True)
        row = episodes.update_season(
            session=session, title_id=title_id, number=number, changes=changes
        )
        return _answer(SeasonRead, row)


@titles.delete(
    "/{title_id}/seasons/{number}",
    status_code=NO_CONTENT,
    responses=problem_responses(TitleNotFound, SeasonNotFound),
)
def delete_season(title_id: uuid.UUID, number: SeasonNumber, work: EditorWork) -> Response:
    with work.begin() as (session, _):
        episodes.delete_season(session=session, title_id=title_id, number=number)
    return Response(status_code=NO_CONTENT)


@titles.post(
    "/{title_id}/seasons/{number}/episodes",
    response_model=EpisodeRead,
    status_code=201,
    responses=problem_responses(TitleNotFound, SeasonNotFound, EpisodeExists),
)
def create_episode(
    title_id: uuid.UUID, number: SeasonNumber, body: EpisodeCreate, work: EditorWork
) -> Response:
    with work.begin() as (session, _):
        row = episodes.create_episode(session=session, title_id=title_id, season=number, data=body)
        return _answer(EpisodeRead, row, CREATED)


@titles.patch(
    "/{title_id}/seasons/{number}/episodes/{episode}",
    response_model=EpisodeRead,
    responses=problem_responses(
        TitleNotFound, SeasonNotFound, EpisodeNotFound, EpisodeExists, InvalidMarkers
    ),
)
def update_episode(
    title_id: uuid.UUID,
    number: SeasonNumber,
    episode: EpisodeNumber,
    body: EpisodeUpdate,
    work: EditorWork,
) -> Response:
    with work.begin() as (session, _):
        changes = body.model_dump(exclude_unset=True)
        row = episodes.update_episode(
            session=session, title_id=title_id, season=number, number=episode, changes=changes
        )
        return _answer(EpisodeRead, row)


@titles.delete(
    "/{title_id}/seasons/{number}/episodes/{episode}",
    status_code=NO_CONTENT,
    responses=problem_responses(TitleNotFound, SeasonNotFound, EpisodeNotFound),
)
def delete_episode(
    title_id: uuid.UUID, number: SeasonNumber, episode: EpisodeNumber, work: EditorWork
) -> Response:
    with work.begin() as (session, _):
        episodes.delete_episode(session=session, title_id=title_id, season=number, number=episode)
    return Response(status_code=NO_CONTENT)


@genres.get("", response_model=list[GenreRead])
def list_genres(work: EditorWork) -> Response:
    with work.begin() as (session, _):
        row = service.list_genres(session=session)
        return JSONResponse([GenreRead.model_validate(r).model_dump(mode="json") for r in row])


@genres.post(
    "", response_model=GenreRead, status_code=201, responses=problem_responses(GenreExists)
)
def create_genre(body: GenreCreate, work: EditorWork) -> Response:
    with work.begin() as (session, _):
        row = service.create_genre(session=session, data=body)
        return _answer(GenreRead, row, CREATED)


@genres.patch(
    "/{genre_id}", response_model=GenreRead, responses=problem_responses(GenreNotFound, GenreExists)
)
def update_genre(genre_id: uuid.UUID, body: GenreUpdate, work: EditorWork) -> Response:
    with work.begin() as (session, _):
        changes = body.model_dump(exclude_unset=True)
        row = service.update_genre(session=session, genre_id=genre_id, changes=changes)
        return _answer(GenreRead, row)


@genres.delete("/{genre_id}", status_code=NO_CONTENT, responses=problem_responses(GenreNotFound))
def delete_genre(genre_id: uuid.UUID, work: EditorWork) -> Response:
    with work.begin() as (session, _):
        service.delete_genre(session=session, genre_id=genre_id)
    return Response(status_code=NO_CONTENT)


@people_router.get("", response_model=Page[PersonRead])
def list_people(
    work: EditorWork, params: Pages, q: Annotated[str | None, Query(max_length=100)] = None
) -> Response:
    with work.begin() as (session, _):
        items, total = people.list_people(session=session, params=params, q=q)
        row = make_page([PersonRead.model_validate(p) for p in items], total=total, params=params)
        return model_response(row)


@people_router.post("", response_model=PersonRead, status_code=201)
def create_person(body: PersonCreate, work: EditorWork) -> Response:
    with work.begin() as (session, _):
        row = people.create_person(session=session, data=body)
        return _answer(PersonRead, row, CREATED)


@people_router.get(
    "/{person_id}", response_model=PersonRead, responses=problem_responses(PersonNotFound)
)
def read_person(person_id: uuid.UUID, work: EditorWork) -> Response:
    with work.begin() as (session, _):
        row = people.get_person(session=session, person_id=person_id)
        return _answer(PersonRead, row)


@people_router.patch(
    "/{person_id}", response_model=PersonRead, responses=problem_responses(PersonNotFound)
)
def update_person(person_id: uuid.UUID, body: PersonUpdate, work: EditorWork) -> Response:
    with work.begin() as (session, _):
        changes = body.model_dump(exclude_unset=True)
        row = people.update_person(session=session, person_id=person_id, changes=changes)
        return _answer(PersonRead, row)


@people_router.delete(
    "/{person_id}", status_code=NO_CONTENT, responses=problem_responses(PersonNotFound)
)
def delete_person(person_id: uuid.UUID, work: EditorWork) -> Response:
    with work.begin() as (session, _):
        people.delete_person(session=session, person_id=person_id)

    return Response(status_code=NO_CONTENT)
