"""Operational endpoints: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from marquee.deps import BearerCredentials, RuntimeDep
from marquee.errors import AuthenticationFailed, NotFound, Unavailable, problem_responses

router = APIRouter(tags=["ops"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", responses=problem_responses(Unavailable))
def readyz(runtime: RuntimeDep) -> dict[str, str]:
    """Ready when the database, Redis (if configured) and the object store all answer."""
    report = runtime.readiness.report()
    if not report.ready:
        down = ", ".join(name for name, state in report.checks.items() if state != "ok")
        retry = str(runtime.settings.unavailable_retry_after_seconds)
        raise Unavailable(
            f"Not ready: {down} unavailable.", headers={"Retry-After": retry}, checks=report.checks
        )
    return {"status": "ready", **report.checks}


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
