"""The W3C ClearKey licence endpoint a browser's EME session calls for a title's content key.

The player sends the CDM's licence request as it comes, whatever content type the player
library sets, so the body is read raw and parsed here. The URL's `token` is the only
credential: an EME request carries no Authorization header.
"""

from __future__ import annotations

import binascii
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from marquee.db import transaction
from marquee.deps import RuntimeDep
from marquee.errors import BadRequest, MalformedJson, Unprocessable, problem_responses
from marquee.playback import licenses
from marquee.playback.drm import drm_provider
from marquee.playback.errors import LicenseDenied
from marquee.versions.errors import KeyUnavailable

MAX_BODY_BYTES = 4096

router = APIRouter(prefix="/playback", tags=["playback"])
routers = [router]

Kid = Annotated[str, StringConstraints(min_length=22, max_length=24, pattern=r"^[A-Za-z0-9_-]+=*$")]


class LicenseRequest(BaseModel):
    """EME ClearKey licence request: the key ids the media needs, base64url."""

    model_config = ConfigDict(extra="forbid")

    kids: list[Kid] = Field(min_length=1, max_length=16)
    type: Literal["temporary"] = "temporary"


class Jwk(BaseModel):
    kty: Literal["oct"]
    k: str
    kid: str


class LicenseResponse(BaseModel):
    keys: list[Jwk]
    type: Literal["temporary"]


def _parse(raw: bytes) -> LicenseRequest:
    if len(raw) > MAX_BODY_BYTES:
        raise BadRequest("The licence request is too large.")
    try:
        return LicenseRequest.model_validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False, include_input=False)
        if any(e["type"] == "json_invalid" for e in errors):
            raise MalformedJson("The body is not valid JSON.") from exc
        fields = [{"loc": [str(p) for p in e["loc"]], "msg": e["msg"]} for e in errors]
        raise Unprocessable("The licence request is not valid.", errors=fields) from exc


def _kid_bytes(request: LicenseRequest) -> list[bytes]:
    try:
        kids = [licenses.from_b64url(kid.rstrip("=")) for kid in request.kids]
    except (binascii.Error, ValueError) as exc:
        raise Unprocessable("A key id is not valid base64url.") from exc
    if any(len(kid) != 16 for kid in kids):
        raise Unprocessable("A key id is 16 bytes.")
    return kids


async def _body(request: Request) -> LicenseRequest:
    return _parse(await request.body())


_BODY_SCHEMA: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": LicenseRequest.model_json_schema()}},
    }
}


@router.post(
    "/sessions/{session_id}/license",
    response_model=LicenseResponse,
    openapi_extra=_BODY_SCHEMA,
    responses=problem_responses(BadRequest, LicenseDenied, KeyUnavailable),
)
def license(
    session_id: uuid.UUID,
    body: Annotated[LicenseRequest, Depends(_body)],
    runtime: RuntimeDep,
    token: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """Release the title's key to a live, entitled session (ClearKey JSON Web Key Set)."""
    kids = _kid_bytes(body)
    with transaction(runtime.sessionmaker) as session:
        released = licenses.release_keys(
            session=session,
            settings=runtime.settings,
            session_id=session_id,
            token=token,
            kids=kids,
            now=runtime.clock(),
        )
        # The provider only formats: every check is done by now (a proxy for a commercial
        # system would also take the CDM's raw challenge here; see docs/drm.md).
        answer = drm_provider().licence(keys=released, request=b"")
    # A licence is for this session only: no cache anywhere may keep it.
    return Response(
        answer.body, media_type=answer.media_type, headers={"Cache-Control": "no-store"}
    )
