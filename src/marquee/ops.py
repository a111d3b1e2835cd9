"""Operational endpoints: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from marquee.deps import BearerCredentials, DbSession, RuntimeDep
from marquee.errors import AuthenticationFailed, NotFound, Unavailable, problem_responses

router = APIRouter(tags=["ops"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", responses=problem_responses(Unavailable))
def readyz(session: DbSession) -> dict[str, str]:
    try:
        session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise Unavailable("The database is not reachable.") from exc
    return {"status": "ready", "database": "ok"}


@router.get("/metrics", response_class=Response, include_in_schema=False)
async def metrics(runtime: RuntimeDep, credentials: BearerCredentials) -> Response:
    """Prometheus text, for a scraper holding `metrics_token` (or anyone if metrics_public)."""
    settings = runtime.settings
    if not settings.metrics_public:
        if settings.metrics_token is None:
            raise NotFound("Metrics are not served on this port.")
        expected = settings.metrics_token.get_secret_value()
        given = credentials.credentials if credentials is not None else ""
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise AuthenticationFailed("Metrics need the metrics token.")
    body = generate_latest(runtime.metrics.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
