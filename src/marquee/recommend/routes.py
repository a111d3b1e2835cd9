"""HTTP route for a profile's home page rows."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy.orm import Session

from marquee.accounts.errors import ProfileLocked, ProfileNotFound
from marquee.accounts.models import Profile
from marquee.audience import Audience
from marquee.deps import ProfileWork, model_response
from marquee.errors import problem_responses
from marquee.recommend import cache, home
from marquee.recommend.schemas import Home
from marquee.runtime import Runtime

router = APIRouter(prefix="/profiles", tags=["home"])
routers = [router]


@router.get(
    "/{profile_id}/home",
    response_model=Home,
    responses=problem_responses(ProfileNotFound, ProfileLocked),
)
def read_home(work: ProfileWork) -> Response:
    """Ordered rows, each with its reason; only titles this profile may watch here and now."""
    with work.begin() as (session, profile, audience):
        rows = _home(session, work.runtime, profile, audience)
    return model_response(rows)


def _home(session: Session, runtime: Runtime, profile: Profile, audience: Audience) -> Home:
    serving = runtime.home
    rows_cache = serving.cache
    key = (profile.id, audience.country, audience.max_maturity)
    current = cache.marker(session, profile.id, rows_cache.ttl_seconds)
    cached = rows_cache.get(key, current)
    if cached is not None:
        return home.recheck(cached, session=session, audience=audience)
    result = home.build_home(
        session=session,
        profile_id=profile.id,
        audience=audience,
        source=serving.source,
        breaker=serving.breaker,
        snapshots=serving.snapshots,
    )
    if not result.degraded:
        rows_cache.put(key, current, result)
    return result
