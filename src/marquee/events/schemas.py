"""Events as typed values: one model per kind, for clients' batches and internal producers alike.

Each model is also the kind's constructor (`PlayStart(profile_id=..., title_id=...)`): the
`kind` defaults to the model's own, so no producer spells a kind as a string.
"""

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
    # Imported history (the demo's MovieLens ratings); clients cannot send it.
    RATING = "rating"


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    profile_id: uuid.UUID
    title_id: uuid.UUID
    episode_id: uuid.UUID | None = None
    occurred_at: datetime | None = None


class PlayStart(_Base):
    kind: Literal[EventKind.PLAY_START] = EventKind.PLAY_START
    session_id: uuid.UUID | None = None
    position: float = Field(default=0, ge=0, le=86_400)


class Progress(_Base):
    kind: Literal[EventKind.PROGRESS] = EventKind.PROGRESS
    position: float = Field(ge=0, le=86_400)
    watched_seconds: float = Field(
        ge=0, le=3_600, description="Seconds watched since the last event."
    )
    duration: float | None = Field(default=None, gt=0, le=86_400)


class Complete(_Base):
    kind: Literal[EventKind.COMPLETE] = EventKind.COMPLETE
    watched_seconds: float = Field(default=0, ge=0, le=3_600)


class ThumbsUp(_Base):
    kind: Literal[EventKind.THUMBS_UP] = EventKind.THUMBS_UP


class ThumbsDown(_Base):
    kind: Literal[EventKind.THUMBS_DOWN] = EventKind.THUMBS_DOWN


class MyListAdd(_Base):
    kind: Literal[EventKind.MY_LIST_ADD] = EventKind.MY_LIST_ADD


class MyListRemove(_Base):
    kind: Literal[EventKind.MY_LIST_REMOVE] = EventKind.MY_LIST_REMOVE


class SearchClick(_Base):
    kind: Literal[EventKind.SEARCH_CLICK] = EventKind.SEARCH_CLICK
    query: str = Field(max_length=200)
    rank: int = Field(ge=0, le=1_000)


class RowImpression(_Base):
    kind: Literal[EventKind.ROW_IMPRESSION] = EventKind.ROW_IMPRESSION
    row: str = Field(max_length=60)
    position: int = Field(ge=0, le=1_000)


class Qoe(_Base):
    kind: Literal[EventKind.QOE] = EventKind.QOE
    rendition: str = Field(max_length=20, description="e.g. 720p")
    time_to_first_frame_ms: float | None = Field(default=None, ge=0, le=600_000)
    rebuffer_count: int = Field(default=0, ge=0, le=10_000)
    rebuffer_ms: float = Field(default=0, ge=0, le=3_600_000)
    watched_ms: float = Field(default=0, ge=0, le=3_600_000)
    rendition_switches: int = Field(default=0, ge=0, le=10_000)
    errors: int = Field(default=0, ge=0, le=10_000)
    bitrate_kbps: float | None = Field(default=None, ge=0, le=1_000_000)


class Rating(_Base):
    """A star rating from imported history (MovieLens: 1 to 5)."""

    kind: Literal[EventKind.RATING] = EventKind.RATING
    rating: float = Field(ge=0, le=5)
    source: str | None = Field(default=None, max_length=40)


_ClientKinds = (
    PlayStart
    | Progress
    | Complete
    | ThumbsUp
    | ThumbsDown
    | MyListAdd
    | MyListRemove
    | SearchClick
    | RowImpression
    | Qoe
)
# What a client may send.
EventIn = Annotated[_ClientKinds, Field(discriminator="kind")]
event_adapter: TypeAdapter[EventIn] = TypeAdapter(EventIn)
# What the log holds: every kind, including the ones only Marquee itself appends.
LoggedEvent = Annotated[_ClientKinds | Rating, Field(discriminator="kind")]
logged_adapter: TypeAdapter[LoggedEvent] = TypeAdapter(LoggedEvent)


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
