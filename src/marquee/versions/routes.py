"""Admin HTTP route listing a title's media versions, current and retired, newest first."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends

from marquee.accounts.errors import EditorRequired
from marquee.catalog.errors import TitleNotFound
from marquee.deps import DbSession, require_editor
from marquee.errors import problem_responses
from marquee.versions import service
from marquee.versions.schemas import MediaVersionRead

admin = APIRouter(
    prefix="/admin/titles",
    tags=["admin-media"],
    dependencies=[Depends(require_editor)],
    responses=problem_responses(EditorRequired),
)
routers = [admin]


@admin.get(
    "/{title_id}/versions",
    response_model=list[MediaVersionRead],
    responses=problem_responses(TitleNotFound),
)
def list_versions(title_id: uuid.UUID, session: DbSession) -> list[MediaVersionRead]:
    """Every version of the title and of its episodes; retired ones stay listed as history."""
    versions = service.list_versions(session=session, title_id=title_id)
    return [MediaVersionRead.model_validate(v) for v in versions]
