"""HTTP routes for editors: titles in every state, seasons, episodes, people, genres, windows."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status

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
    Availability,
    Credit,
    Episode,
    Genre,
    Person,
    PublishState,
    Season,
    Title,
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
from marquee.deps import DbSession, require_editor
from marquee.errors import problem_responses
from marquee.pagination import Page, PageParams, make_page, page_params

_editor = [Depends(require_editor)]
_editor_only = problem_responses(EditorRequired)
titles = APIRouter(
    prefix="/admin/titles", tags=["admin-titles"], dependencies=_editor, responses=_editor_only
)
genres = APIRouter(
    prefix="/admin/genres", tags=["admin-genres"], dependencies=_editor, responses=_editor_only
)
people_router = APIRouter(
    prefix="/admin/people", tags=["admin-people"], dependencies=_editor, responses=_editor_only
)
routers = [titles, genres, people_router]

Pages = Annotated[PageParams, Depends(page_params)]
SeasonNumber = Annotated[int, Path(ge=0, le=10000)]
EpisodeNumber = Annotated[int, Path(ge=0, le=10000)]
NO_CONTENT = status.HTTP_204_NO_CONTENT


@titles.get("", response_model=Page[AdminTitleSummary])
def list_titles(
    session: DbSession,
    params: Pages,
    state: PublishState | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[AdminTitleSummary]:
    items, total = service.list_titles(session=session, params=params, state=state, q=q)
    rows = [AdminTitleSummary.model_validate(t) for t in items]
    return make_page(rows, total=total, params=params)


@titles.post(
    "",
    response_model=AdminTitleRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(SlugTaken, UnknownGenre),
)
def create_title(body: TitleCreate, session: DbSession) -> Title:
    return service.create_title(session=session, data=body)


@titles.get(
    "/{title_id}", response_model=AdminTitleRead, responses=problem_responses(TitleNotFound)
)
def read_title(title_id: uuid.UUID, session: DbSession) -> Title:
    return service.get_title(session=session, title_id=title_id)


@titles.patch(
    "/{title_id}",
    response_model=AdminTitleRead,
    responses=problem_responses(TitleNotFound, SlugTaken, UnknownGenre),
)
def update_title(title_id: uuid.UUID, body: TitleUpdate, session: DbSession) -> Title:
    changes = body.model_dump(exclude_unset=True)
    return service.update_title(session=session, title_id=title_id, changes=changes)


@titles.delete("/{title_id}", status_code=NO_CONTENT, responses=problem_responses(TitleNotFound))
def delete_title(title_id: uuid.UUID, session: DbSession) -> Response:
    service.delete_title(session=session, title_id=title_id)
    return Response(status_code=NO_CONTENT)


@titles.post(
    "/{title_id}/publish",
    response_model=AdminTitleRead,
    responses=problem_responses(TitleNotFound, InvalidTransition),
)
def publish_title(title_id: uuid.UUID, session: DbSession) -> Title:
    return service.apply_event(session=session, title_id=title_id, event=TitleEvent.PUBLISH)


@titles.post(
    "/{title_id}/unpublish",
    response_model=AdminTitleRead,
    responses=problem_responses(TitleNotFound, InvalidTransition),
)
def unpublish_title(title_id: uuid.UUID, session: DbSession) -> Title:
    return service.apply_event(session=session, title_id=title_id, event=TitleEvent.UNPUBLISH)


@titles.post(
    "/{title_id}/availability",
    response_model=AvailabilityRead,
    status_code=201,
    responses=problem_responses(TitleNotFound),
)
def add_window(title_id: uuid.UUID, body: AvailabilityCreate, session: DbSession) -> Availability:
    return service.add_window(session=session, title_id=title_id, data=body)


@titles.delete(
    "/{title_id}/availability/{window_id}",
    status_code=NO_CONTENT,
    responses=problem_responses(TitleNotFound, AvailabilityNotFound),
)
def delete_window(title_id: uuid.UUID, window_id: uuid.UUID, session: DbSession) -> Response:
    service.delete_window(session=session, title_id=title_id, window_id=window_id)
    return Response(status_code=NO_CONTENT)


@titles.post(
    "/{title_id}/credits",
    response_model=CreditRead,
    status_code=201,
    responses=problem_responses(TitleNotFound, PersonNotFound, CreditExists),
)
def add_credit(title_id: uuid.UUID, body: CreditCreate, session: DbSession) -> Credit:
    return people.add_credit(session=session, title_id=title_id, data=body)


@titles.patch(
    "/{title_id}/credits/{credit_id}",
    response_model=CreditRead,
    responses=problem_responses(TitleNotFound, CreditNotFound, NotACastCredit),
)
def update_credit(
    title_id: uuid.UUID, credit_id: uuid.UUID, body: CreditUpdate, session: DbSession
) -> Credit:
    changes = body.model_dump(exclude_unset=True)
    return people.update_credit(
        session=session, title_id=title_id, credit_id=credit_id, changes=changes
    )


@titles.delete(
    "/{title_id}/credits/{credit_id}",
    status_code=NO_CONTENT,
    responses=problem_responses(TitleNotFound, CreditNotFound),
)
def delete_credit(title_id: uuid.UUID, credit_id: uuid.UUID, session: DbSession) -> Response:
    people.delete_credit(session=session, title_id=title_id, credit_id=credit_id)
    return Response(status_code=NO_CONTENT)


@titles.post(
    "/{title_id}/seasons",
    response_model=SeasonRead,
    status_code=201,
    responses=problem_responses(TitleNotFound, SeasonExists, NotASeries),
)
def create_season(title_id: uuid.UUID, body: SeasonCreate, session: DbSession) -> Season:
    return episodes.create_season(session=session, title_id=title_id, data=body)


@titles.patch(
    "/{title_id}/seasons/{number}",
    response_model=SeasonRead,
    responses=problem_responses(TitleNotFound, SeasonNotFound, SeasonExists),
)
def update_season(
    title_id: uuid.UUID, number: SeasonNumber, body: SeasonUpdate, session: DbSession
) -> Season:
    changes = body.model_dump(exclude_unset=True)
    return episodes.update_season(
        session=session, title_id=title_id, number=number, changes=changes
    )


@titles.delete(
    "/{title_id}/seasons/{number}",
    status_code=NO_CONTENT,
    responses=problem_responses(TitleNotFound, SeasonNotFound),
)
def delete_season(title_id: uuid.UUID, number: SeasonNumber, session: DbSession) -> Response:
    episodes.delete_season(session=session, title_id=title_id, number=number)
    return Response(status_code=NO_CONTENT)


@titles.post(
    "/{title_id}/seasons/{number}/episodes",
    response_model=EpisodeRead,
    status_code=201,
    responses=problem_responses(TitleNotFound, SeasonNotFound, EpisodeExists),
)
def create_episode(
    title_id: uuid.UUID, number: SeasonNumber, body: EpisodeCreate, session: DbSession
) -> Episode:
    return episodes.create_episode(session=session, title_id=title_id, season=number, data=body)


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
    session: DbSession,
) -> Episode:
    changes = body.model_dump(exclude_unset=True)
    return episodes.update_episode(
        session=session, title_id=title_id, season=number, number=episode, changes=changes
    )


@titles.delete(
    "/{title_id}/seasons/{number}/episodes/{episode}",
    status_code=NO_CONTENT,
    responses=problem_responses(TitleNotFound, SeasonNotFound, EpisodeNotFound),
)
def delete_episode(
    title_id: uuid.UUID, number: SeasonNumber, episode: EpisodeNumber, session: DbSession
) -> Response:
    episodes.delete_episode(session=session, title_id=title_id, season=number, number=episode)
    return Response(status_code=NO_CONTENT)


@genres.get("", response_model=list[GenreRead])
def list_genres(session: DbSession) -> list[Genre]:
    return service.list_genres(session=session)


@genres.post(
    "", response_model=GenreRead, status_code=201, responses=problem_responses(GenreExists)
)
def create_genre(body: GenreCreate, session: DbSession) -> Genre:
    return service.create_genre(session=session, data=body)


@genres.patch(
    "/{genre_id}", response_model=GenreRead, responses=problem_responses(GenreNotFound, GenreExists)
)
def update_genre(genre_id: uuid.UUID, body: GenreUpdate, session: DbSession) -> Genre:
    changes = body.model_dump(exclude_unset=True)
    return service.update_genre(session=session, genre_id=genre_id, changes=changes)


@genres.delete("/{genre_id}", status_code=NO_CONTENT, responses=problem_responses(GenreNotFound))
def delete_genre(genre_id: uuid.UUID, session: DbSession) -> Response:
    service.delete_genre(session=session, genre_id=genre_id)
    return Response(status_code=NO_CONTENT)


@people_router.get("", response_model=Page[PersonRead])
def list_people(
    session: DbSession, params: Pages, q: Annotated[str | None, Query(max_length=100)] = None
) -> Page[PersonRead]:
    items, total = people.list_people(session=session, params=params, q=q)
    return make_page([PersonRead.model_validate(p) for p in items], total=total, params=params)


@people_router.post("", response_model=PersonRead, status_code=201)
def create_person(body: PersonCreate, session: DbSession) -> Person:
    return people.create_person(session=session, data=body)


@people_router.get(
    "/{person_id}", response_model=PersonRead, responses=problem_responses(PersonNotFound)
)
def read_person(person_id: uuid.UUID, session: DbSession) -> Person:
    return people.get_person(session=session, person_id=person_id)


@people_router.patch(
    "/{person_id}", response_model=PersonRead, responses=problem_responses(PersonNotFound)
)
def update_person(person_id: uuid.UUID, body: PersonUpdate, session: DbSession) -> Person:
    changes = body.model_dump(exclude_unset=True)
    return people.update_person(session=session, person_id=person_id, changes=changes)


@people_router.delete(
    "/{person_id}", status_code=NO_CONTENT, responses=problem_responses(PersonNotFound)
)
def delete_person(person_id: uuid.UUID, session: DbSession) -> Response:
    people.delete_person(session=session, person_id=person_id)
    return Response(status_code=NO_CONTENT)
