"""Password hashing (argon2id), JWT access tokens and opaque refresh tokens."""

from __future__ import annotations

import functools
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from marquee.accounts.errors import InvalidToken, TokenExpired

_hasher = PasswordHasher()  # argon2id with the library's RFC 9106 low-memory profile


@functools.cache
def _dummy_hash() -> str:
    # Made on first use, not at import: hashing costs about half a second of CPU.
    return _hasher.hash("marquee-timing-equaliser")


ALGORITHM = "HS256"
ISSUER = "marquee"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant work whether or not the account exists: a missing hash checks a dummy."""
    try:
        return (
            _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    role: str
    version: int


def issue_access_token(
    *, secret: str, user_id: uuid.UUID, role: str, version: int, now: datetime, ttl: int
) -> str:
    claims = {
        "iss": ISSUER,
        "sub": str(user_id),
        "role": role,
        "ver": version,
        "typ": "access",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl)).timestamp()),
        "jti": secrets.token_hex(8),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_access_token(*, secret: str, token: str) -> AccessClaims:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "sub", "iat"]},
        )
    except jwt.ExpiredSignatureError:
        raise TokenExpired("The access token has expired.") from None
    except jwt.PyJWTError:
        raise InvalidToken("The access token is invalid.") from None
    try:
        if claims.get("typ") != "access":
            raise ValueError("not an access token")
        return AccessClaims(uuid.UUID(claims["sub"]), str(claims["role"]), int(claims["ver"]))
    except (KeyError, ValueError, TypeError):
        raise InvalidToken("The access token is invalid.") from None


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
