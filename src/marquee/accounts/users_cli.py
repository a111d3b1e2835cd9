"""Account administration from the command line (no HTTP, no token needed)."""

from __future__ import annotations

from marquee.accounts import service
from marquee.accounts.models import Role
from marquee.accounts.security import hash_password
from marquee.config import Settings
from marquee.db import transaction
from marquee.runtime import Runtime


def upsert_user(*, settings: Settings, email: str, password: str, role: str) -> bool:
    """Create the account, or reset its password and role; True when it was created."""
    with Runtime.running(settings) as runtime, transaction(runtime.sessionmaker) as session:
        user = service.get_user_by_email(session=session, email=email)
        if user is None:
            service.register(
                session=session, settings=settings, email=email, password=password, role=Role(role)
            )
            return True
        user.password_hash = hash_password(password)
        user.role = Role(role)
        user.token_version += 1
        return False
