"""Cursor pages: every list endpoint answers `{items, total, next_cursor}`."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from marquee.errors import InvalidCursor

T = TypeVar("T")
MAX_LIMIT = 100


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    next_cursor: str | None = None


class PageParams(BaseModel):
    offset: int = 0
    limit: int = 20


def encode_cursor(offset: int) -> str:
    raw = json.dumps({"o": offset}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        offset = json.loads(base64.urlsafe_b64decode(padded.encode()))["o"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidCursor("The cursor is not one this server issued.") from exc
    if not isinstance(offset, int) or offset < 0:
        raise InvalidCursor("The cursor is not one this server issued.")
    return offset


async def page_params(  # a coroutine: no thread-pool hop for parsing two parameters
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
) -> PageParams:
    return PageParams(offset=decode_cursor(cursor), limit=limit)


def make_page(items: Sequence[T], *, total: int, params: PageParams) -> Page[T]:
    end = params.offset + len(items)
    next_cursor = encode_cursor(end) if end < total else None
    return Page[T](items=list(items), total=total, next_cursor=next_cursor)
