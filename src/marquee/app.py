"""The app factory: a runtime (or settings to build one) in, a FastAPI app with every router
and middleware out."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute

from marquee import ops, outages, site, warmup
from marquee.accounts import routes as accounts_routes
from marquee.catalog import routes as catalog_routes
from marquee.config import Settings
from marquee.delivery import artwork_routes as ingest_artwork_routes
from marquee.delivery import routes as playback_origin_routes
from marquee.downloads import routes as downloads_routes
from marquee.errors import install_handlers
from marquee.events import routes as events_routes
from marquee.hardening import BodyLimitMiddleware, SecurityHeadersMiddleware, media_origin
from marquee.jobs import routes as jobs_routes
from marquee.library import routes as library_routes
from marquee.observability import RequestContextMiddleware, configure_logging
from marquee.openapi import install_openapi
from marquee.playback import license_routes as playback_license_routes
from marquee.playback import routes as playback_routes
from marquee.recommend import routes as recommend_routes
from marquee.runtime import Runtime
from marquee.search import routes as search_routes
from marquee.uploads import routes as ingest_uploads_routes
from marquee.uploads.tus import TUS_EXPOSED_HEADERS
from marquee.versions import routes as ingest_versions_routes

API_PREFIX = "/api/v1"

# Each domain contributes its routers here, in the order they appear in the OpenAPI document.
API_ROUTERS: list[APIRouter] = [
    *accounts_routes.routers,
    *catalog_routes.routers,
    *events_routes.routers,
    *recommend_routes.routers,
    *jobs_routes.routers,
    *ingest_uploads_routes.routers,
    *ingest_versions_routes.routers,
    *search_routes.routers,
    *playback_license_routes.routers,
    *playback_routes.routers,
    *downloads_routes.routers,
    *library_routes.routers,
]


def operation_id(route: APIRoute) -> str:
    """Stable ids, "{tag}-{name}", so a typed client can be generated from /openapi.json."""
    tag = route.tags[0] if route.tags else "default"
    return f"{tag}-{route.name}"


def create_app(runtime: Runtime | Settings | None = None) -> FastAPI:
    """The API on `runtime`; given settings (or nothing), the app builds its own runtime and
    closes it when it shuts down. A runtime passed in is the caller's to close."""
    owned = not isinstance(runtime, Runtime)
    if not isinstance(runtime, Runtime):
        runtime = Runtime.from_settings(runtime or Settings())
    settings = runtime.settings
    configure_logging(settings.log_level, settings.json_logs)
    app = FastAPI(
        title="Marquee",
        version="0.1.0",
        description="Video on demand: catalogue, accounts, ingest, playback, search, recommendations.",
        generate_unique_id_function=operation_id,
        lifespan=warmup.lifespan(runtime, owned=owned),
    )
    # The one thing the app holds: read through `deps.get_runtime`, typed.
    app.state.runtime = runtime

    install_handlers(app)
    outages.install(
        app, metrics=runtime.metrics, retry_after=settings.unavailable_retry_after_seconds
    )
    install_openapi(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=[*TUS_EXPOSED_HEADERS, *playback_origin_routes.MEDIA_EXPOSED_HEADERS],
        )
    app.add_middleware(
        BodyLimitMiddleware,
        default=settings.json_body_max_bytes,
        limits=[
            *events_routes.body_limits(settings, API_PREFIX),
            *ingest_uploads_routes.body_limits(settings, API_PREFIX),
        ],
    )
    app.add_middleware(RequestContextMiddleware, metrics=runtime.metrics)
    app.add_middleware(SecurityHeadersMiddleware, media_origin=media_origin(settings))

    app.include_router(ops.router)
    app.include_router(ingest_artwork_routes.router)
    app.include_router(playback_origin_routes.router)
    site.mount_web(app)
    for router in API_ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    return app
