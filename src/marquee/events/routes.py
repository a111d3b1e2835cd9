"""HTTP routes: the event ingest endpoint for players and clients, analytics for editors."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from marquee.accounts import profiles
from marquee.accounts.errors import EditorRequired
from marquee.config import Settings
from marquee.deps import AccountWork, EditorWork, ViewerCountry, model_response
from marquee.errors import problem_responses
from marquee.events import analytics, service
from marquee.events.schemas import (
    BatchResult,
    DailyStat,
    EventBatch,
    QoeStat,
    TitleStat,
    TrendingItem,
)
from marquee.hardening import BodyLimit

events = APIRouter(prefix="/events", tags=["events"])
# The role is checked in each route's unit of work (`EditorWork`); the router declares the
# refusal for the OpenAPI document.
admin = APIRouter(
    prefix="/admin/analytics", tags=["admin-analytics"], responses=problem_responses(EditorRequired)
)
routers = [events, admin]

Days = Annotated[int, Query(ge=1, le=365)]
Limit = Annotated[int, Query(ge=1, le=100)]
Country = Annotated[str | None, Query(pattern=r"^[A-Z]{2}$")]


def body_limits(settings: Settings, prefix: str) -> list[BodyLimit]:
    """A batch of up to 500 events is larger than the JSON default allows."""
    return [BodyLimit(f"{prefix}/events", frozenset({"POST"}), settings.events_body_max_bytes)]


def _rows(rows: list[BaseModel]) -> JSONResponse:
    """A list answer serialised once, in the route's thread (see `model_response`)."""
    return JSONResponse([row.model_dump(mode="json") for row in rows])


@events.post("", response_model=BatchResult)
def ingest_events(body: EventBatch, work: AccountWork, country: ViewerCountry) -> Response:
    """Append up to 500 events; each bad one is reported with its index, the good ones are kept."""
    runtime = work.runtime
    with work.begin() as (session, user):
        owned = {p.id for p in profiles.list_profiles(session=session, user=user)}
        result = service.ingest(
            session=session,
            raw=body.events,
            profile_ids=owned,
            country=country,
            known=runtime.known_titles,
        )
    # Counted once the batch is committed: a rolled-back batch was never accepted.
    runtime.event_metrics.observe(result.accepted, [r.code for r in result.rejected])
    return model_response(BatchResult(accepted=len(result.accepted), rejected=result.rejected))


@admin.get("/titles", response_model=list[TitleStat])
def top_titles(
    work: EditorWork, days: Days = 7, country: Country = None, limit: Limit = 20
) -> Response:
    with work.begin() as (session, _):
        rows = analytics.top_titles(session=session, days=days, country=country, limit=limit)
    return _rows(list(rows))


@admin.get("/titles/{title_id}/daily", response_model=list[DailyStat])
def title_daily(title_id: uuid.UUID, work: EditorWork, days: Days = 30) -> Response:
    with work.begin() as (session, _):
        rows = analytics.daily_series(session=session, title_id=title_id, days=days)
    return _rows(list(rows))


@admin.get("/trending", response_model=list[TrendingItem])
def trending(work: EditorWork, country: Country = None, limit: Limit = 10) -> Response:
    with work.begin() as (session, _):
        rows = analytics.trending(session=session, country=country, limit=limit)
    return _rows(list(rows))


@admin.get("/qoe", response_model=list[QoeStat])
def qoe(work: EditorWork, title_id: uuid.UUID | None = None, days: Days = 7) -> Response:
    with work.begin() as (session, _):
        rows = analytics.qoe(session=session, title_id=title_id, days=days)
    return _rows(list(rows))
