"""Schema migrations (Alembic) and the reference data every install needs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config

from marquee.accounts import billing
from marquee.db import transaction
from marquee.events import partitions

if TYPE_CHECKING:
    from marquee.runtime import Runtime

ROOT = Path(__file__).resolve().parents[2]


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Leave the event log's daily partitions (created at run time) out of schema comparisons."""
    partition = bool(name) and str(name).startswith(("events_p2", "events_default"))
    return not (type_ in ("table", "index") and partition)


def alembic_config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(runtime: Runtime) -> None:
    """Migrate on the runtime's own engine (migrations/env.py takes the connection it is
    handed), then load the reference data in one transaction of its sessions."""
    config = alembic_config(runtime.settings.resolved_database_url)
    with runtime.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    with transaction(runtime.sessionmaker) as session:
        billing.seed_plans(session=session)
        partitions.ensure_partitions(session=session, today=runtime.clock().date())
