"""Account rules: registration, sign-in, token rotation, password changes, roles."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marquee.accounts import billing, passwords, profiles
from marquee.accounts.errors import (
    EmailTaken,
    InvalidCredentials,
    InvalidToken,
    TokenExpired,
    TokenReused,
)
from marquee.accounts.models import RefreshToken, Role, User
from marquee.accounts.security import (
    decode_access_token,
    hash_password,
    hash_refresh_token,
    issue_access_token,
    new_refresh_token,
    verify_password,
)
from marquee.config import Settings
from marquee.db import utcnow
from marquee.errors import NotFound, RateLimited
from marquee.ratelimit import RateLimiter


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int


def normalise_email(email: str) -> str:
    return email.strip().lower()


def get_user_by_email(*, session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def get_user(*, session: Session, user_id: uuid.UUID) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def register(
    *,
    session: Session,
    settings: Settings,
    email: str,
    password: str,
    display_name: str = "",
    country: str | None = None,
    role: Role = Role.VIEWER,
) -> User:
    """A new account with a trial subscription and one default profile."""
    email = normalise_email(email)
    if get_user_by_email(session=session, email=email) is not None:
        raise EmailTaken("An account with this email already exists.")
    passwords.check_strength(password, min_score=settings.password_min_score)
    user = User(
        email=email,
        password_hash=hash_password(password),
        display_name=display_name.strip(),
        country=country,
        role=role,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        raise EmailTaken("An account with this email already exists.") from None
    billing.start_trial(session=session, settings=settings, user=user)
    profiles.create_default_profile(session=session, user=user)
    return user


def check_registration_rate(*, settings: Settings, limiter: RateLimiter, ip: str) -> None:
    """Accounts created from one address are limited: sign-ups cost a hash and a trial each."""
    key, window = f"register:ip:{ip}", settings.registration_window_seconds
    retry = limiter.retry_after(key, limit=settings.registrations_per_ip, window=window)
    if retry is not None:
        raise RateLimited(
            "Too many accounts created from here; try again later.", retry_after=retry
        )
    limiter.hit(key, window=window)


def _login_keys(email: str, ip: str) -> tuple[str, str]:
    return f"login:account:{normalise_email(email)}", f"login:ip:{ip}"


def authenticate(
    *,
    session: Session,
    settings: Settings,
    limiter: RateLimiter,
    email: str,
    password: str,
    ip: str,
) -> User:
    """The user for these credentials; failures per account and attempts per IP are limited."""
    account_key, ip_key = _login_keys(email, ip)
    window = settings.login_window_seconds
    for key, limit in (
        (ip_key, settings.login_attempts_per_ip),
        (account_key, settings.login_attempts_per_account),
    ):
        retry = limiter.retry_after(key, limit=limit, window=window)
        if retry is not None:
            raise RateLimited("Too many sign-in attempts; try again later.", retry_after=retry)
    limiter.hit(ip_key, window=window)
    user = get_user_by_email(session=session, email=email)
    if not verify_password(user.password_hash if user else None, password) or user is None:
        limiter.hit(account_key, window=window)
        raise InvalidCredentials("The email or password is incorrect.")
    limiter.reset(account_key)
    return user


def issue_tokens(
    *,
    session: Session,
    settings: Settings,
    user: User,
    family_id: uuid.UUID | None = None,
    device: str = "",
) -> Tokens:
    now = utcnow()
    refresh = new_refresh_token()
    session.add(
        RefreshToken(
            user_id=user.id,
            family_id=family_id or uuid.uuid4(),
            token_hash=hash_refresh_token(refresh),
            expires_at=now + timedelta(seconds=settings.refresh_token_ttl_seconds),
            device=device[:200],
        )
    )
    session.flush()
    access = issue_access_token(
        secret=settings.secret_key.get_secret_value(),
        user_id=user.id,
        role=user.role.value,
        version=user.token_version,
        now=now,
        ttl=settings.access_token_ttl_seconds,
    )
    return Tokens(access, refresh, settings.access_token_ttl_seconds)


def revoke_family(*, session: Session, family_id: uuid.UUID) -> None:
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def _family_revoked(session: Session, family_id: uuid.UUID) -> bool:
    # A token issued by a rotation that raced a reuse can land after the family was revoked:
    # one revoked member revokes them all.
    revoked = select(RefreshToken.id).where(
        RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_not(None)
    )
    return session.scalar(revoked.limit(1)) is not None


def _spend(session: Session, token_hash: str) -> RefreshToken | None:
    """Mark the token rotated if nobody has: one conditional write, so one caller wins."""
    now = utcnow()
    spent = session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.token_hash == token_hash,
            RefreshToken.rotated_at.is_(None),
            RefreshToken.revoked_at.is_(None),
            RefreshToken.expires_at > now,
        )
        .values(rotated_at=now)
        .returning(RefreshToken.id)
        .execution_options(synchronize_session=False)
    ).first()
    return session.get(RefreshToken, spent.id) if spent is not None else None


def rotate_refresh_token(
    *, session: Session, settings: Settings, token: str, device: str = ""
) -> tuple[User, Tokens]:
    """Trade a refresh token for a new pair. Reusing a rotated one revokes its family.

    On TokenReused the caller must commit before answering, so that the revocation sticks.
    """
    token_hash = hash_refresh_token(token)
    stored = _spend(session, token_hash)
    if stored is None or _family_revoked(session, stored.family_id):
        _refuse(session, token_hash)
        raise InvalidToken("The refresh token is invalid.")
    user = get_user(session=session, user_id=stored.user_id)
    tokens = issue_tokens(
        session=session, settings=settings, user=user, family_id=stored.family_id, device=device
    )
    return user, tokens


def _refuse(session: Session, token_hash: str) -> None:
    """Say why a token could not be spent; a second use of a rotated one closes its family."""
    stored = session.scalar(select(RefreshToken).where(RefreshToken.token_hash == token_hash))
    if stored is None or stored.revoked_at is not None:
        return
    if stored.rotated_at is not None:
        revoke_family(session=session, family_id=stored.family_id)
        raise TokenReused("This refresh token was already used; every session from it is closed.")
    if stored.expires_at <= utcnow():
        raise TokenExpired("The refresh token has expired.")


def logout(*, session: Session, token: str) -> None:
    """Revoke the family of this refresh token; unknown tokens are ignored (idempotent)."""
    stored = session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == hash_refresh_token(token))
    )
    if stored is not None:
        revoke_family(session=session, family_id=stored.family_id)


def sign_out_everywhere(*, session: Session, user: User) -> None:
    user.token_version += 1
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    session.flush()


def change_password(
    *, session: Session, settings: Settings, user: User, current: str, new: str
) -> None:
    if not verify_password(user.password_hash, current):
        raise InvalidCredentials("The current password is incorrect.")
    passwords.check_strength(new, min_score=settings.password_min_score)
    user.password_hash = hash_password(new)
    sign_out_everywhere(session=session, user=user)


def user_for_access_token(*, session: Session, settings: Settings, token: str) -> User:
    claims = decode_access_token(secret=settings.secret_key.get_secret_value(), token=token)
    user = session.get(User, claims.user_id)
    if user is None or claims.version != user.token_version:
        raise InvalidToken("The access token is no longer valid.")
    return user


def set_role(*, session: Session, user_id: uuid.UUID, role: Role) -> User:
    user = get_user(session=session, user_id=user_id)
    if user.role != role:
        user.role = role
        user.token_version += 1  # tokens carry the role; make the caller sign in again
    session.flush()
    return user


def list_users(*, session: Session, offset: int, limit: int) -> tuple[list[User], int]:
    total = session.scalar(select(func.count()).select_from(User)) or 0
    users = session.scalars(
        select(User).order_by(User.created_at, User.id).offset(offset).limit(limit)
    )
    return list(users), total
