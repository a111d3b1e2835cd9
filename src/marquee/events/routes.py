"""HTTP routes: the event ingest endpoint for players and clients, analytics for editors."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from marquee.accounts import profiles
from marquee.accounts.errors import EditorRequired
from marquee.config import Settings
from marquee.db import transaction
from marquee.deps import (
    Claims,
    DbSession,
    RuntimeDep,
    ViewerCountry,
    load_user,
    model_response,
    require_editor,
)
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
admin = APIRouter(
    prefix="/admin/analytics",
    tags=["admin-analytics"],
    dependencies=[Depends(require_editor)],
    responses=problem_responses(EditorRequired),
)
routers = [events, admin]

Days = Annotated[int, Query(ge=1, le=365)]
Limit = Annotated[int, Query(ge=1, le=100)]
Country = Annotated[str | None, Query(pattern=r"^[A-Z]{2}$")]


def body_limits(settings: Settings, prefix: str) -> list[BodyLimit]:
    """A batch of up to 500 events is larger than the JSON default allows."""
    return [BodyLimit(f"{prefix}/events", frozenset({"POST"}), settings.events_body_max_bytes)]


@events.post("", response_model=BatchResult)
def ingest_events(
    body: EventBatch, claims: Claims, runtime: RuntimeDep, country: ViewerCountry
) -> Response:
    """Append up to 500 events; each bad one is reported with its index, the good ones are kept."""
    with transaction(runtime.sessionmaker) as session:
        user = load_user(session=session, claims=claims)
        owned = {p.id for p in profiles.list_profiles(session=session, user=user)}
        result = service.ingest(
            session=session,
            raw=body.events,
            profile_ids=owned,
            country=country,
            known=runtime.known_titles,
        )
    runtime.event_metrics.observe(result.accepted, [r.code for r in result.rejected])
    return model_response(BatchResult(accepted=len(result.accepted), rejected=result.rejected))


@admin.get("/titles", response_model=list[TitleStat])
def top_titles(
    session: DbSession, days: Days = 7, country: Country = None, limit: Limit = 20
) -> list[TitleStat]:
    return analytics.top_titles(session=session, days=days, country=country, limit=limit)


@admin.get("/titles/{title_id}/daily", response_model=list[DailyStat])
def title_daily(title_id: uuid.UUID, session: DbSession, days: Days = 30) -> list[DailyStat]:
    return analytics.daily_series(session=session, title_id=title_id, days=days)


@admin.get("/trending", response_model=list[TrendingItem])
def trending(session: DbSession, country: Country = None, limit: Limit = 10) -> list[TrendingItem]:
    return analytics.trending(session=session, country=country, limit=limit)


@admin.get("/qoe", response_model=list[QoeStat])
def qoe(session: DbSession, title_id: uuid.UUID | None = None, days: Days = 7) -> list[QoeStat]:
    return analytics.qoe(session=session, title_id=title_id, days=days)
