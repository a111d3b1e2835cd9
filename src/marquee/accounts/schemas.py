"""Request and response shapes for accounts, profiles, plans and subscriptions."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    model_validator,
)

from marquee.accounts.models import Role, SubscriptionStatus
from marquee.media.languages import UNDETERMINED, bcp47, is_known_language

# Bidirectional overrides and isolates: they make a name display as something else.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _printable(value: str) -> str:
    """Names are shown to people: no NUL, no control characters, no direction tricks."""
    for char in value:
        if unicodedata.category(char) == "Cc" or char in _BIDI_CONTROLS:
            raise ValueError("names cannot contain control characters")
    return value


Password = Annotated[str, Field(min_length=8, max_length=128)]


def _language(tag: str) -> str:
    """A preference in the tracks' own form (`eng` → `en`, `pt-br` → `pt-BR`), so a player
    comparing it with a track's tag finds the match."""
    if not is_known_language(tag) or bcp47(tag) == UNDETERMINED:
        raise ValueError("not a language tag (e.g. en, fr, pt-BR)")
    return bcp47(tag)


def _stored_language(tag: str | None) -> str | None:
    # Preferences saved before tags were normalised may hold three-letter codes.
    return None if tag is None else bcp47(tag)


Language = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,4})?$", max_length=8),
    AfterValidator(_language),
]
StoredLanguage = Annotated[str | None, AfterValidator(_stored_language)]
ProfileName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=40),
    AfterValidator(_printable),
]
DisplayName = Annotated[str, Field(max_length=80), AfterValidator(_printable)]
Pin = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")]
Avatar = Annotated[str, StringConstraints(pattern=r"^avatar-[0-9]{1,2}$")]
RatingLabel = Annotated[str, StringConstraints(max_length=10)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterRequest(Strict):
    email: EmailStr = Field(max_length=254)
    password: Password
    display_name: DisplayName = ""


class LoginRequest(Strict):
    email: EmailStr = Field(max_length=254)
    password: str = Field(max_length=128)


class RefreshRequest(Strict):
    refresh_token: str = Field(min_length=1, max_length=200)


class ChangePasswordRequest(Strict):
    current_password: str = Field(max_length=128)
    new_password: Password


class TokenPair(BaseModel):
    access_token: str
    # None when the refresh token went out as an HttpOnly cookie instead.
    refresh_token: str | None
    token_type: str = "bearer"
    expires_in: int


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    role: Role
    display_name: str
    country: str | None
    created_at: datetime


class Session(BaseModel):
    user: UserRead
    tokens: TokenPair


class ProfileCreate(Strict):
    name: ProfileName
    is_kids: bool = False
    maturity_ceiling: RatingLabel | None = Field(
        default=None, description="Highest rating this profile may watch, e.g. TV-14 or PG-13."
    )
    language: Language = "en"
    subtitle_language: Language | None = None
    subtitles_enabled: bool = False
    audio_language: Language | None = None
    avatar: Avatar = "avatar-1"
    pin: Pin | None = Field(default=None, description="Lock the profile with this 4-digit PIN.")


# Fields a profile always has: they may be left out of an update, never set to null.
_REQUIRED_ON_PROFILE = ("name", "is_kids", "language", "subtitles_enabled", "avatar")


class ProfileUpdate(Strict):
    name: ProfileName | None = None
    is_kids: bool | None = None
    maturity_ceiling: RatingLabel | None = None
    language: Language | None = None
    subtitle_language: Language | None = None
    subtitles_enabled: bool | None = None
    audio_language: Language | None = None
    avatar: Avatar | None = None
    pin: Pin | None = Field(default=None, description="A new 4-digit PIN; null unlocks.")

    @model_validator(mode="after")
    def _no_null_for_required(self) -> ProfileUpdate:
        nulled = [
            name
            for name in _REQUIRED_ON_PROFILE
            if name in self.model_fields_set and getattr(self, name) is None
        ]
        if nulled:
            raise ValueError(f"{', '.join(nulled)} cannot be null; leave it out to keep it")
        return self


class ProfileRead(BaseModel):
    id: uuid.UUID
    name: str
    is_kids: bool
    maturity_ceiling: str
    maturity_level: int
    language: Annotated[str, AfterValidator(bcp47)]
    subtitle_language: StoredLanguage
    subtitles_enabled: bool
    audio_language: StoredLanguage
    avatar: str
    locked: bool


class ProfileSwitch(Strict):
    pin: Pin | None = None


class ProfileToken(BaseModel):
    profile_token: str = Field(description="Send as X-Profile-Token when acting as the profile.")
    expires_in: int


class PlanRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    max_resolution: int
    max_streams: int
    downloads: int
    price_cents: int
    currency: str


class SubscriptionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    plan: PlanRead
    status: SubscriptionStatus
    current_period_end: datetime
    provider: str


class EntitlementsRead(BaseModel):
    active: bool
    status: SubscriptionStatus | None
    plan: str | None
    max_resolution: int
    max_streams: int
    downloads: int
    period_end: datetime | None


class SubscriptionGrant(Strict):
    plan: str = Field(min_length=1, max_length=20)
    period_days: int = Field(default=30, ge=1, le=3660)


class RoleUpdate(Strict):
    role: Role
