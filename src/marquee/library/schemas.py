"""Request and response shapes for My List and ratings."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from marquee.catalog.schemas import TitleRead


class MyListItemRead(BaseModel):
    title: TitleRead
    added_at: datetime


class MyListStatus(BaseModel):
    title_id: uuid.UUID
    in_list: bool
    added_at: datetime | None


class RatingWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: Literal[-1, 1]


class RatingRead(BaseModel):
    title_id: uuid.UUID
    value: Literal[-1, 0, 1]
    updated_at: datetime | None
