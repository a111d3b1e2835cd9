"""Home page shapes: ordered rows of titles, each with the reason it is there."""

from __future__ import annotations

import uuid

from pydantic import BaseModel


class HomeTitle(BaseModel):
    id: uuid.UUID
    name: str
    release_year: int | None
    maturity_rating: str
    genres: list[str]
    poster: str | None
    progress: float | None = None


class HomeRow(BaseModel):
    key: str
    title: str
    reason: str
    items: list[HomeTitle]


class Home(BaseModel):
    profile_id: uuid.UUID
    country: str
    degraded: bool
    rows: list[HomeRow]
