"""Profile rules: at most five per account, kids profiles capped by a maturity ceiling."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marquee.accounts.errors import (
    KidsCeilingTooHigh,
    LastProfile,
    ProfileLimitReached,
    ProfileNameTaken,
    ProfileNotFound,
    UnknownMaturityRating,
)
from marquee.accounts.models import Profile, User
from marquee.maturity import KIDS_DEFAULT_CEILING, Maturity, level

MAX_PROFILES = 5
# The label shown for each level of the scale.
CEILING_LABELS = {
    Maturity.LITTLE_KIDS: "TV-Y",
    Maturity.KIDS: "TV-Y7",
    Maturity.ALL: "G",
    Maturity.PARENTAL: "PG",
    Maturity.TEENS: "PG-13",
    Maturity.MATURE: "R",
    Maturity.ADULTS: "NC-17",
}
KIDS_MAX_CEILING = Maturity.PARENTAL


def ceiling_label(value: int) -> str:
    return CEILING_LABELS[Maturity(value)]


def _ceiling(rating: str | None, *, is_kids: bool) -> int:
    if rating is None:
        return KIDS_DEFAULT_CEILING if is_kids else Maturity.ADULTS
    try:
        value = level(rating)
    except ValueError:
        raise UnknownMaturityRating(
            f"Unknown maturity rating {rating!r}; use one of {', '.join(CEILING_LABELS.values())}."
        ) from None
    if is_kids and value > KIDS_MAX_CEILING:
        raise KidsCeilingTooHigh("A kids profile's ceiling cannot be above PG / TV-PG.")
    return value


def list_profiles(*, session: Session, user: User) -> list[Profile]:
    rows = session.scalars(
        select(Profile).where(Profile.user_id == user.id).order_by(Profile.created_at, Profile.id)
    )
    return list(rows)


def get_profile(*, session: Session, user: User, profile_id: uuid.UUID) -> Profile:
    """The caller's profile; another account's profile is indistinguishable from a missing one."""
    profile = session.get(Profile, profile_id)
    if profile is None or profile.user_id != user.id:
        raise ProfileNotFound("No such profile.")
    return profile


def _ensure_unique_name(session: Session, user: User, name: str, exclude: uuid.UUID | None) -> None:
    query = select(Profile.id).where(Profile.user_id == user.id, Profile.name == name)
    if exclude is not None:
        query = query.where(Profile.id != exclude)
    if session.scalar(query) is not None:
        raise ProfileNameTaken("You already have a profile with this name.")


def create_profile(*, session: Session, user: User, **fields: Any) -> Profile:
    count = session.scalar(select(func.count()).where(Profile.user_id == user.id)) or 0
    if count >= MAX_PROFILES:
        raise ProfileLimitReached(f"An account can have at most {MAX_PROFILES} profiles.")
    _ensure_unique_name(session, user, fields["name"], None)
    is_kids = bool(fields.pop("is_kids", False))
    ceiling = _ceiling(fields.pop("maturity_ceiling", None), is_kids=is_kids)
    profile = Profile(user_id=user.id, is_kids=is_kids, maturity_ceiling=ceiling, **fields)
    session.add(profile)
    session.flush()
    return profile


def create_default_profile(*, session: Session, user: User) -> Profile:
    name = (user.display_name or user.email.split("@", 1)[0])[:40] or "Main"
    return create_profile(session=session, user=user, name=name)


def update_profile(
    *, session: Session, user: User, profile_id: uuid.UUID, changes: dict[str, Any]
) -> Profile:
    profile = get_profile(session=session, user=user, profile_id=profile_id)
    if "name" in changes and changes["name"] is not None:
        _ensure_unique_name(session, user, changes["name"], profile.id)
    is_kids = changes.pop("is_kids", None)
    rating = changes.pop("maturity_ceiling", None)
    if is_kids is not None or rating is not None:
        new_kids = profile.is_kids if is_kids is None else is_kids
        label = (
            rating
            if rating is not None
            else (None if new_kids != profile.is_kids else ceiling_label(profile.maturity_ceiling))
        )
        profile.maturity_ceiling = _ceiling(label, is_kids=new_kids)
        profile.is_kids = new_kids
    for key, value in changes.items():
        setattr(profile, key, value)
    session.flush()
    return profile


def delete_profile(*, session: Session, user: User, profile_id: uuid.UUID) -> None:
    profile = get_profile(session=session, user=user, profile_id=profile_id)
    if len(list_profiles(session=session, user=user)) <= 1:
        raise LastProfile("An account keeps at least one profile.")
    session.delete(profile)
    session.flush()
