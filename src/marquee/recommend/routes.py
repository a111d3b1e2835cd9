"""HTTP route for a profile's home page rows."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, FastAPI, Request

from marquee.accounts import profiles
from marquee.accounts.errors import ProfileNotFound
from marquee.audience import Audience
from marquee.deps import CurrentUser, DbSession, ViewerCountry
from marquee.errors import problem_responses
from marquee.recommend import cache, home
from marquee.recommend.breaker import CircuitBreaker
from marquee.recommend.schemas import Home
from marquee.recommend.snapshot import SnapshotCache
from marquee.recommend.sources import CandidateSource, TableSource

router = APIRouter(prefix="/profiles", tags=["home"])
routers = [router]


def install(app: FastAPI) -> None:
    """Per-app serving state, built once by the app factory (tests may swap the source)."""
    app.state.rec_source = TableSource()
    app.state.home_breaker = CircuitBreaker(budget_ms=50.0)
    app.state.home_cache = cache.HomeCache()
    app.state.home_snapshots = SnapshotCache(factory=app.state.sessionmaker)


@router.get("/{profile_id}/home", response_model=Home, responses=problem_responses(ProfileNotFound))
def read_home(
    profile_id: uuid.UUID,
    request: Request,
    user: CurrentUser,
    session: DbSession,
    country: ViewerCountry,
) -> Home:
    """Ordered rows, each with its reason; only titles this profile may watch here and now."""
    profile = profiles.get_profile(session=session, user=user, profile_id=profile_id)
    state = request.app.state
    source: CandidateSource = state.rec_source
    breaker: CircuitBreaker = state.home_breaker
    rows_cache: cache.HomeCache = state.home_cache
    snapshots: SnapshotCache = state.home_snapshots
    key = (profile.id, country, profile.maturity_ceiling)
    current = cache.marker(session, profile.id, rows_cache.ttl_seconds)
    audience = Audience(country=country, max_maturity=profile.maturity_ceiling)
    cached = rows_cache.get(key, current)
    if cached is not None:
        return home.recheck(cached, session=session, audience=audience)
    result = home.build_home(
        session=session,
        profile_id=profile.id,
        audience=audience,
        source=source,
        breaker=breaker,
        snapshots=snapshots,
    )
    if not result.degraded:
        rows_cache.put(key, current, result)
    return result
