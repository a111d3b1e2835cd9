"""Tables for accounts: users, refresh tokens, profiles, plans and subscriptions."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marquee.db import Base, IdMixin, TimestampMixin, str_enum, utcnow


class Role(enum.StrEnum):
    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"


class SubscriptionStatus(enum.StrEnum):
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    CANCELED = "canceled"


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"), default=Role.VIEWER)
    display_name: Mapped[str] = mapped_column(String(80), default="")
    country: Mapped[str | None] = mapped_column(String(2), default=None)
    # Bumped on password change and "sign out everywhere": older access tokens stop working.
    token_version: Mapped[int] = mapped_column(default=0)

    profiles: Mapped[list[Profile]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="Profile.created_at"
    )
    subscription: Mapped[Subscription | None] = relationship(
        back_populates="user", cascade="all, delete-orphan", uselist=False
    )


class RefreshToken(IdMixin, Base):
    """One refresh token; tokens rotated from one login share a family."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (Index("ix_refresh_tokens_family", "family_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    family_id: Mapped[uuid.UUID] = mapped_column(default=uuid.uuid4)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    rotated_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    device: Mapped[str] = mapped_column(String(200), default="")


class Profile(IdMixin, TimestampMixin, Base):
    __tablename__ = "profiles"
    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_profiles_user_name"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(40))
    is_kids: Mapped[bool] = mapped_column(default=False)
    maturity_ceiling: Mapped[int]
    language: Mapped[str] = mapped_column(String(8), default="en")
    subtitle_language: Mapped[str | None] = mapped_column(String(8), default=None)
    subtitles_enabled: Mapped[bool] = mapped_column(default=False)
    audio_language: Mapped[str | None] = mapped_column(String(8), default=None)
    avatar: Mapped[str] = mapped_column(String(40), default="avatar-1")
    # HMAC of the profile lock's PIN; None leaves the profile open to the whole account.
    pin_hash: Mapped[str | None] = mapped_column(String(64), default=None)

    user: Mapped[User] = relationship(back_populates="profiles")


class Plan(Base):
    __tablename__ = "plans"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    max_resolution: Mapped[int]
    max_streams: Mapped[int]
    downloads: Mapped[int]
    price_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default="USD")


class Subscription(IdMixin, TimestampMixin, Base):
    __tablename__ = "subscriptions"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    plan_code: Mapped[str] = mapped_column(ForeignKey("plans.code"))
    status: Mapped[SubscriptionStatus] = mapped_column(
        str_enum(SubscriptionStatus, "subscription_status")
    )
    current_period_end: Mapped[datetime]
    provider: Mapped[str] = mapped_column(String(20), default="manual")
    provider_ref: Mapped[str | None] = mapped_column(String(100), default=None)
    canceled_at: Mapped[datetime | None] = mapped_column(default=None)

    user: Mapped[User] = relationship(back_populates="subscription")
    plan: Mapped[Plan] = relationship(lazy="joined")
