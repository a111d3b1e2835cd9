"""Request and response shapes for the catalogue: viewer reads and editor writes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from marquee.catalog.models import CreditRole, PublishState, TitleKind
from marquee.maturity import level

Slug = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", min_length=1, max_length=200)
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
ShortName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Synopsis = Annotated[str, StringConstraints(max_length=5000)]
Artwork = Annotated[str, StringConstraints(min_length=1, max_length=1000)]
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]
CountryCode = Annotated[str, StringConstraints(pattern=r"^([A-Z]{2}|\*)$")]
Year = Annotated[int, Field(ge=1870, le=2100)]
Minutes = Annotated[int, Field(ge=1, le=10000)]
Seconds = Annotated[int, Field(ge=0, le=600000)]
Number = Annotated[int, Field(ge=0, le=10000)]


def _known_rating(value: str) -> str:
    level(value)  # raises ValueError for an unknown label, which becomes a validation error
    return value.upper()


MaturityRating = Annotated[str, StringConstraints(max_length=10), AfterValidator(_known_rating)]
ExternalIds = Annotated[
    dict[Annotated[str, StringConstraints(min_length=1, max_length=40)], str | int],
    Field(max_length=20),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Patch(Strict):
    """A partial update: omitted fields stay; only nullable columns may be set to null."""

    not_null: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _no_null_for_required(self) -> Self:
        nulls = sorted(k for k in self.model_fields_set & self.not_null if getattr(self, k) is None)
        if nulls:
            raise ValueError(f"{', '.join(nulls)} cannot be null")
        return self


class GenreCreate(Strict):
    slug: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=60)]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]


class GenreUpdate(Patch):
    not_null = frozenset({"slug", "name"})

    slug: (
        Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=60)] | None
    ) = None
    name: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)] | None
    ) = None


class GenreRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    slug: str
    name: str


class GenreCount(GenreRead):
    count: int


class TitleCreate(Strict):
    kind: TitleKind
    slug: Slug
    name: Name
    synopsis: Synopsis = ""
    release_year: Year | None = None
    runtime_minutes: Minutes | None = None
    maturity_rating: MaturityRating
    original_language: LanguageCode | None = None
    poster: Artwork | None = None
    backdrop: Artwork | None = None
    thumbnail: Artwork | None = None
    external_ids: ExternalIds = Field(default_factory=dict)
    genre_ids: list[uuid.UUID] = Field(default_factory=list, max_length=30)


class TitleUpdate(Patch):
    not_null = frozenset(
        {"slug", "name", "synopsis", "maturity_rating", "external_ids", "genre_ids"}
    )
    slug: Slug | None = None
    name: Name | None = None
    synopsis: Synopsis | None = None
    release_year: Year | None = None
    runtime_minutes: Minutes | None = None
    maturity_rating: MaturityRating | None = None
    original_language: LanguageCode | None = None
    poster: Artwork | None = None
    backdrop: Artwork | None = None
    thumbnail: Artwork | None = None
    external_ids: ExternalIds | None = None
    genre_ids: list[uuid.UUID] | None = Field(default=None, max_length=30)


class PersonBrief(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str


class PersonCreate(Strict):
    name: ShortName
    biography: Synopsis = ""
    photo: Artwork | None = None
    external_ids: ExternalIds = Field(default_factory=dict)


class PersonUpdate(Patch):
    not_null = frozenset({"name", "biography", "external_ids"})
    name: ShortName | None = None
    biography: Synopsis | None = None
    photo: Artwork | None = None
    external_ids: ExternalIds | None = None


class PersonRead(PersonBrief):
    biography: str
    photo: str | None
    external_ids: dict[str, Any]


class CreditCreate(Strict):
    person_id: uuid.UUID
    role: CreditRole
    character: ShortName | None = None
    order: Annotated[int, Field(ge=0, le=1000)] = 0

    @model_validator(mode="after")
    def _character_only_for_cast(self) -> Self:
        if self.character is not None and self.role != CreditRole.CAST:
            raise ValueError("only cast credits have a character")
        return self


class CreditUpdate(Patch):
    not_null = frozenset({"order"})

    character: ShortName | None = None
    order: Annotated[int, Field(ge=0, le=1000)] | None = None


class CreditRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    person: PersonBrief
    role: CreditRole
    character: str | None
    order: int


class _Markers(Patch):
    @model_validator(mode="after")
    def _intro_in_order(self) -> Self:
        start = getattr(self, "intro_start_seconds", None)
        end = getattr(self, "intro_end_seconds", None)
        if start is not None and end is not None and end <= start:
            raise ValueError("intro_end_seconds must be after intro_start_seconds")
        return self


class EpisodeCreate(_Markers):
    number: Number
    name: Name
    synopsis: Synopsis = ""
    runtime_minutes: Minutes | None = None
    intro_start_seconds: Seconds | None = None
    intro_end_seconds: Seconds | None = None
    credits_start_seconds: Seconds | None = None
    thumbnail: Artwork | None = None


class EpisodeUpdate(_Markers):
    not_null = frozenset({"number", "name", "synopsis"})
    number: Number | None = None
    name: Name | None = None
    synopsis: Synopsis | None = None
    runtime_minutes: Minutes | None = None
    intro_start_seconds: Seconds | None = None
    intro_end_seconds: Seconds | None = None
    credits_start_seconds: Seconds | None = None
    thumbnail: Artwork | None = None


class EpisodeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    number: int
    name: str
    synopsis: str
    runtime_minutes: int | None
    intro_start_seconds: int | None
    intro_end_seconds: int | None
    credits_start_seconds: int | None
    thumbnail: str | None


class SeasonCreate(Strict):
    number: Number
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] = ""
    synopsis: Synopsis = ""
    release_year: Year | None = None


class SeasonUpdate(Patch):
    not_null = frozenset({"number", "name", "synopsis"})
    number: Number | None = None
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None
    synopsis: Synopsis | None = None
    release_year: Year | None = None


class SeasonRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    number: int
    name: str
    synopsis: str
    release_year: int | None
    episodes: list[EpisodeRead]


class AvailabilityCreate(Strict):
    country: CountryCode
    starts_at: AwareDatetime
    ends_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if self.ends_at is not None and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class AvailabilityRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    country: str
    starts_at: datetime
    ends_at: datetime | None


class TitleRead(BaseModel):
    """A title as a viewer sees it in a list."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: TitleKind
    slug: str
    name: str
    synopsis: str
    release_year: int | None
    runtime_minutes: int | None
    maturity_rating: str
    original_language: str | None
    poster: str | None
    backdrop: str | None
    thumbnail: str | None
    genres: list[GenreRead]


class TitleDetail(TitleRead):
    credits: list[CreditRead]
    seasons: list[SeasonRead]


class AdminTitleRead(TitleDetail):
    """Everything an editor manages, including state and licence windows."""

    state: PublishState
    maturity_level: int
    published_at: datetime | None
    external_ids: dict[str, Any]
    current_version_id: uuid.UUID | None
    processing_error: str | None
    availability: list[AvailabilityRead]
    created_at: datetime
    updated_at: datetime


class AdminTitleSummary(TitleRead):
    state: PublishState
    updated_at: datetime
