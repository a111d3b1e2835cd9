"""Viewing, rating, list, search and QoE events as clients send them, validated one by one."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

MAX_BATCH = 500


class EventKind(enum.StrEnum):
    PLAY_START = "play_start"
    PROGRESS = "progress"
    COMPLETE = "complete"
    THUMBS_UP = "thumbs_up"
    THUMBS_DOWN = "thumbs_down"
    MY_LIST_ADD = "my_list_add"
    MY_LIST_REMOVE = "my_list_remove"
    SEARCH_CLICK = "search_click"
    ROW_IMPRESSION = "row_impression"
    QOE = "qoe"


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid")

    profile_id: uuid.UUID
    title_id: uuid.UUID
    episode_id: uuid.UUID | None = None
    occurred_at: datetime | None = None


class PlayStart(_Base):
    kind: Literal[EventKind.PLAY_START]
    session_id: uuid.UUID | None = None
    position: float = Field(default=0, ge=0, le=86_400)


class Progress(_Base):
    kind: Literal[EventKind.PROGRESS]
    position: float = Field(ge=0, le=86_400)
    watched_seconds: float = Field(
        ge=0, le=3_600, description="Seconds watched since the last event."
    )
    duration: float | None = Field(default=None, gt=0, le=86_400)


class Complete(_Base):
    kind: Literal[EventKind.COMPLETE]
    watched_seconds: float = Field(default=0, ge=0, le=3_600)


class Simple(_Base):
    kind: Literal[
        EventKind.THUMBS_UP, EventKind.THUMBS_DOWN, EventKind.MY_LIST_ADD, EventKind.MY_LIST_REMOVE
    ]


class SearchClick(_Base):
    kind: Literal[EventKind.SEARCH_CLICK]
    query: str = Field(max_length=200)
    rank: int = Field(ge=0, le=1_000)


class RowImpression(_Base):
    kind: Literal[EventKind.ROW_IMPRESSION]
    row: str = Field(max_length=60)
    position: int = Field(ge=0, le=1_000)


class Qoe(_Base):
    kind: Literal[EventKind.QOE]
    rendition: str = Field(max_length=20, description="e.g. 720p")
    time_to_first_frame_ms: float | None = Field(default=None, ge=0, le=600_000)
    rebuffer_count: int = Field(default=0, ge=0, le=10_000)
    rebuffer_ms: float = Field(default=0, ge=0, le=3_600_000)
    watched_ms: float = Field(default=0, ge=0, le=3_600_000)
    rendition_switches: int = Field(default=0, ge=0, le=10_000)
    errors: int = Field(default=0, ge=0, le=10_000)
    bitrate_kbps: float | None = Field(default=None, ge=0, le=1_000_000)


EventIn = Annotated[
    PlayStart | Progress | Complete | Simple | SearchClick | RowImpression | Qoe,
    Field(discriminator="kind"),
]
event_adapter: TypeAdapter[EventIn] = TypeAdapter(EventIn)


class EventBatch(BaseModel):
    events: list[Any] = Field(min_length=1, max_length=MAX_BATCH)


class Rejection(BaseModel):
    index: int
    code: str
    detail: str


class BatchResult(BaseModel):
    accepted: int
    rejected: list[Rejection]


class TitleStat(BaseModel):
    title_id: uuid.UUID
    name: str | None = None
    plays: int
    watch_hours: float
    completes: int
    completion_rate: float


class DailyStat(BaseModel):
    day: str
    plays: int
    watch_hours: float
    completes: int


class QoeStat(BaseModel):
    title_id: uuid.UUID
    rendition: str
    samples: int
    ttff_p50_ms: float | None
    ttff_p95_ms: float | None
    rebuffer_ratio: float
    errors: int


class TrendingItem(BaseModel):
    title_id: uuid.UUID
    score: float
