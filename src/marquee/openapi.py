"""The OpenAPI document with every problem answer declared as application/problem+json.

Routes declare their own domain problems (`responses=problem_responses(...)`); this
module adds the ones that follow from what the document already says about an
operation, so no route has to repeat them: 401 where it takes a bearer token, 400
where it reads a JSON body or a page cursor, 422 where it has parameters or a body,
and 500 and the 503s of a dependency that is down (`marquee.outages`) everywhere. FastAPI's own 422 shape is replaced: Marquee never answers with it.

`python -m marquee.openapi [-o FILE]` prints the document without a database or a
server, for the web client's generated types (web/package.json `gen:api`).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

from marquee.accounts.errors import InvalidToken, TokenExpired
from marquee.errors import (
    PROBLEM_MEDIA_TYPE,
    AuthenticationFailed,
    DatabaseUnavailable,
    InvalidCursor,
    MalformedJson,
    MarqueeError,
    ObjectStoreUnavailable,
    RedisUnavailable,
    Unprocessable,
    problem_responses,
)
from marquee.problems import declared

PROBLEM_SCHEMA = "Problem"
PROBLEM_TYPES = "x-problem-types"
# What a bearer-token route answers before its body runs.
AUTHENTICATION: tuple[type[MarqueeError], ...] = (AuthenticationFailed, InvalidToken, TokenExpired)
# What any operation may answer while a backing service is down.
OUTAGES: tuple[type[MarqueeError], ...] = (
    DatabaseUnavailable,
    RedisUnavailable,
    ObjectStoreUnavailable,
)


class FieldProblem(BaseModel):
    """One invalid field: where it is (`loc`), what is wrong (`msg`) and its kind (`type`)."""

    loc: list[str]
    msg: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details, the body of every 4xx and 5xx answer.

    `type` is `/problems/{code}`; `code` repeats its last segment for clients that
    switch on it. The listed extras appear only with the problems that carry them.
    """

    model_config = ConfigDict(extra="allow", title=PROBLEM_SCHEMA)

    type: str = Field(description="A URI reference naming the problem: /problems/{code}.")
    title: str = Field(description="A short summary, the same for every occurrence of the type.")
    status: int = Field(description="The HTTP status of this answer.")
    detail: str = Field(description="What happened this time, readable by a person.")
    instance: str = Field(description="The path the request was made to.")
    code: str = Field(description="The stable code at the end of `type`.")
    errors: list[FieldProblem] | None = Field(
        default=None, description="validation_error, malformed_json: the fields at fault."
    )
    retry_after: int | None = Field(
        default=None,
        description="rate_limited, *_unavailable: seconds to wait, as in Retry-After.",
    )
    dependency: str | None = Field(
        default=None,
        description="*_unavailable: the backing service that is down "
        "(database, redis, object_store).",
    )
    checks: dict[str, str] | None = Field(
        default=None, description="not_ready: each dependency's state, ok or unavailable."
    )
    max_streams: int | None = Field(
        default=None, description="too_many_streams: the plan's simultaneous-stream limit."
    )
    active_streams: int | None = Field(
        default=None, description="too_many_streams: the streams playing now."
    )
    offset: int | None = Field(
        default=None, description="upload_offset_mismatch: the upload's current offset."
    )
    state: str | None = Field(
        default=None, description="invalid_state_transition: the title's current state."
    )
    event: str | None = Field(
        default=None, description="invalid_state_transition: the event it could not take."
    )


def _schemas() -> dict[str, Any]:
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    nested = schema.pop("$defs", {})
    # The codes are an enum, so a generated client knows every problem it may be answered with.
    schema["properties"]["code"]["enum"] = sorted(p.code for p in declared())
    return {PROBLEM_SCHEMA: schema, **nested}


def _merge(responses: dict[str, Any], problems: tuple[type[MarqueeError], ...]) -> None:
    """Add `problems` to an operation's responses, keeping the codes already declared."""
    for status, entry in problem_responses(*problems).items():
        key = str(status)
        current = responses.get(key)
        if current is None or PROBLEM_MEDIA_TYPE not in current.get("content", {}):
            responses[key] = entry
            continue
        codes = list(current.get(PROBLEM_TYPES, []))
        codes += [c for c in entry[PROBLEM_TYPES] if c not in codes]
        current[PROBLEM_TYPES] = codes
        current["description"] = ", ".join(codes)


def _reads_json(operation: dict[str, Any]) -> bool:
    return "application/json" in operation.get("requestBody", {}).get("content", {})


def _implied(operation: dict[str, Any]) -> tuple[type[MarqueeError], ...]:
    parameters = operation.get("parameters", [])
    implied: list[type[MarqueeError]] = [MarqueeError, *OUTAGES]
    if operation.get("security"):
        implied += AUTHENTICATION
    if _reads_json(operation):
        implied.append(MalformedJson)
    if any(p.get("in") == "query" and p.get("name") == "cursor" for p in parameters):
        implied.append(InvalidCursor)
    if parameters or "requestBody" in operation:
        implied.append(Unprocessable)
    return tuple(implied)


def declare_problems(document: dict[str, Any]) -> dict[str, Any]:
    """Rewrite `document` in place so that every problem answer is problem+json."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas.update(_schemas())
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            if "422" in responses and PROBLEM_MEDIA_TYPE not in responses["422"].get("content", {}):
                del responses["422"]  # FastAPI's HTTPValidationError, which Marquee never sends
            _merge(responses, _implied(operation))
    return document


def install_openapi(app: FastAPI) -> None:
    """Serve the declared document at /openapi.json (built once, on first request)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        document = generate()
        if PROBLEM_SCHEMA not in document.get("components", {}).get("schemas", {}):
            declare_problems(document)
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def offline_document() -> dict[str, Any]:
    """The document the app serves, from an app on a throwaway folder that never opens it."""
    from marquee.app import create_app
    from marquee.config import Settings

    logging.disable(logging.CRITICAL)  # start-up notices about the empty database
    try:
        with tempfile.TemporaryDirectory(prefix="marquee-openapi-") as var:
            folder = Path(var)
            settings = Settings(
                env="test", database_url=f"sqlite:///{folder / 'empty.db'}", var_dir=folder
            )
            app = create_app(settings)
            try:
                return app.openapi()
            finally:
                app.state.runtime.close()
    finally:
        logging.disable(logging.NOTSET)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m marquee.openapi", description=__doc__)
    parser.add_argument("-o", "--output", type=Path, help="write here instead of stdout")
    args = parser.parse_args(argv)
    text = json.dumps(offline_document(), indent=2, sort_keys=True) + "\n"
    if args.output:
        args.output.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
