"""Admin HTTP route listing a title's media versions, current and retired, newest first."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from marquee.accounts.errors import EditorRequired
from marquee.catalog.errors import TitleNotFound
from marquee.deps import EditorWork
from marquee.errors import problem_responses
from marquee.versions import service
from marquee.versions.schemas import MediaVersionRead

# The role is checked in the route's unit of work (`EditorWork`); the router declares the
# refusal for the OpenAPI document.
admin = APIRouter(
    prefix="/admin/titles", tags=["admin-media"], responses=problem_responses(EditorRequired)
)
routers = [admin]


@admin.get(
    "/{title_id}/versions",
    response_model=list[MediaVersionRead],
    responses=problem_responses(TitleNotFound),
)
def list_versions(title_id: uuid.UUID, work: EditorWork) -> JSONResponse:
    """Every version of the title and of its episodes; retired ones stay listed as history."""
    with work.begin() as (session, _):
        versions = service.list_versions(session=session, title_id=title_id)
        rows = [MediaVersionRead.model_validate(v).model_dump(mode="json") for v in versions]
    return JSONResponse(rows)
