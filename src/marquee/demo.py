"""`marquee demo`: migrate, then load demo accounts and the demo catalogue (idempotent)."""

from __future__ import annotations

import time

from marquee.accounts import billing, service
from marquee.accounts.models import Role
from marquee.config import Settings
from marquee.db import make_engine, make_sessionmaker, transaction
from marquee.migrate import upgrade

DEMO_PASSWORD = "marquee-demo"
DEMO_ACCOUNTS = (
    ("viewer@marquee.demo", Role.VIEWER, "premium"),
    ("editor@marquee.demo", Role.EDITOR, "premium"),
    ("admin@marquee.demo", Role.ADMIN, "premium"),
)


def ensure_demo_accounts(*, settings: Settings) -> None:
    engine = make_engine(settings.resolved_database_url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            for email, role, plan in DEMO_ACCOUNTS:
                user = service.get_user_by_email(session=session, email=email)
                if user is None:
                    user = service.register(
                        session=session,
                        settings=settings,
                        email=email,
                        password=DEMO_PASSWORD,
                        display_name=email.split("@")[0].title(),
                        role=role,
                    )
                    billing.grant_plan(session=session, user=user, plan_code=plan, period_days=3650)
    finally:
        engine.dispose()


def load_demo(settings: Settings) -> str:
    started = time.perf_counter()
    upgrade(settings)
    ensure_demo_accounts(settings=settings)
    elapsed = time.perf_counter() - started
    return (
        f"demo ready in {elapsed:.1f}s\n"
        f"sign in as {DEMO_ACCOUNTS[0][0]} / {DEMO_PASSWORD} "
        f"(editor: {DEMO_ACCOUNTS[1][0]}, admin: {DEMO_ACCOUNTS[2][0]})"
    )
