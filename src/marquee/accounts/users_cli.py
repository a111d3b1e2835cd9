"""Account administration from the command line (no HTTP, no token needed)."""

from __future__ import annotations

from pydantic import ValidationError

from marquee.accounts import passwords, service
from marquee.accounts.errors import WeakPassword
from marquee.accounts.models import Role
from marquee.accounts.schemas import RegisterRequest
from marquee.accounts.security import hash_password
from marquee.config import Settings
from marquee.db import transaction
from marquee.runtime import Runtime


class InvalidAccount(ValueError):
    """What the API would have refused, said in one line for the terminal."""


def validated(*, settings: Settings, email: str, password: str) -> RegisterRequest:
    """The same checks as `POST /auth/register`: an address and password that can sign in."""
    try:
        request = RegisterRequest(email=email, password=password)
    except ValidationError as exc:
        fields = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise InvalidAccount(fields) from None
    try:
        passwords.check_strength(password, min_score=settings.password_min_score)
    except WeakPassword as exc:
        raise InvalidAccount(f"password: {exc.detail}") from None
    return request


def upsert_user(*, settings: Settings, email: str, password: str, role: str) -> bool:
    """Create the account, or reset its password and role; True when it was created."""
    request = validated(settings=settings, email=email, password=password)
    with Runtime.running(settings) as runtime, transaction(runtime.sessionmaker) as session:
        user = service.get_user_by_email(session=session, email=request.email)
        if user is None:
            service.register(
                session=session,
                settings=settings,
                email=request.email,
                password=password,
                role=Role(role),
            )
            return True
        user.password_hash = hash_password(password)
        user.role = Role(role)
        user.token_version += 1
        return False
