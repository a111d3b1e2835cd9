"""Profile lock: an optional 4-digit PIN that a device must give to switch into a profile.

Switching returns a profile token (signed, bound to the account, the profile and its PIN),
which the client sends as `X-Profile-Token` with every request made as a locked profile.
Changing the PIN invalidates the tokens made with the old one. Once a profile is locked,
managing profiles (creating one, raising a ceiling, changing a locked one) takes the token of
a locked adult profile, so a kids profile cannot unlock itself or make an adult one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from marquee.accounts.errors import IncorrectPin, ProfileLocked
from marquee.accounts.models import Profile, User
from marquee.config import Settings
from marquee.db import utcnow
from marquee.errors import RateLimited
from marquee.ratelimit import RateLimiter

TOKEN_TTL_SECONDS = 12 * 3600
HEADER = "X-Profile-Token"


def _mac(settings: Settings, message: str) -> bytes:
    secret = settings.secret_key.get_secret_value().encode()
    return hmac.new(secret, message.encode(), hashlib.sha256).digest()


def hash_pin(settings: Settings, *, profile_id: uuid.UUID, pin: str) -> str:
    """Keyed, so a copy of the database alone does not give the 10,000 PINs away."""
    return _mac(settings, f"pin:{profile_id}:{pin}").hex()


def _token_mac(settings: Settings, profile: Profile, expires: int) -> str:
    message = f"profile:{profile.user_id}:{profile.id}:{profile.pin_hash}:{expires}"
    return base64.urlsafe_b64encode(_mac(settings, message)).rstrip(b"=").decode()


def issue_token(settings: Settings, profile: Profile, *, now: datetime | None = None) -> str:
    expires = int((now or utcnow()).timestamp()) + TOKEN_TTL_SECONDS
    return f"{profile.id}.{expires}.{_token_mac(settings, profile, expires)}"


def token_unlocks(settings: Settings, profile: Profile, token: str | None) -> bool:
    """True when the profile is open, or `token` was made for it with its current PIN."""
    if profile.pin_hash is None:
        return True
    profile_text, _, rest = (token or "").partition(".")
    expires_text, _, mac = rest.partition(".")
    if profile_text != str(profile.id) or not expires_text.isdigit() or len(expires_text) > 12:
        return False
    if int(expires_text) <= utcnow().timestamp():
        return False
    return hmac.compare_digest(_token_mac(settings, profile, int(expires_text)), mac)


def require_unlocked(settings: Settings, profile: Profile, token: str | None) -> Profile:
    if not token_unlocks(settings, profile, token):
        raise ProfileLocked("This profile is locked; switch to it with its PIN.")
    return profile


def switch(
    *,
    settings: Settings,
    limiter: RateLimiter,
    profile: Profile,
    pin: str | None,
) -> str:
    """A profile token for `profile`; a locked one needs its PIN, with few tries per window."""
    if profile.pin_hash is not None:
        key, window = f"pin:{profile.id}", settings.profile_pin_window_seconds
        retry = limiter.retry_after(key, limit=settings.profile_pin_attempts, window=window)
        if retry is not None:
            raise RateLimited("Too many PIN attempts; try again later.", retry_after=retry)
        expected = hash_pin(settings, profile_id=profile.id, pin=pin or "")
        if pin is None or not hmac.compare_digest(expected, profile.pin_hash):
            limiter.hit(key, window=window)
            raise IncorrectPin("That PIN is not this profile's.")
        limiter.reset(key)
    return issue_token(settings, profile)


def set_pin(settings: Settings, profile: Profile, pin: str | None) -> None:
    """Lock the profile with `pin`, or open it with None; older profile tokens stop working."""
    profile.pin_hash = None if pin is None else hash_pin(settings, profile_id=profile.id, pin=pin)


def _guardian_profiles(session: Session, user: User) -> list[Profile]:
    rows = session.scalars(
        select(Profile).where(
            Profile.user_id == user.id,
            Profile.pin_hash.is_not(None),
            Profile.is_kids.is_(False),
        )
    )
    return list(rows)


def require_guardian(
    *, session: Session, settings: Settings, user: User, token: str | None
) -> None:
    """Profile management when the account has locked adult profiles: one of them must be
    unlocked on this device. An account with no locked adult profile manages freely."""
    guardians = _guardian_profiles(session, user)
    if guardians and not any(token_unlocks(settings, p, token) for p in guardians):
        raise ProfileLocked("Managing profiles needs a locked adult profile's PIN.")


# Changes that would widen what a profile may watch or who may enter it.
_GUARDED_CHANGES = frozenset({"is_kids", "maturity_ceiling", "pin"})


def require_may_change(
    *,
    session: Session,
    settings: Settings,
    user: User,
    profile: Profile,
    changes: dict[str, object],
    token: str | None,
) -> None:
    """A locked profile's own token lets it change its preferences; its lock and ceiling, and
    anything about a profile the device has not unlocked, need a guardian."""
    if _GUARDED_CHANGES & changes.keys() or not token_unlocks(settings, profile, token):
        require_guardian(session=session, settings=settings, user=user, token=token)
