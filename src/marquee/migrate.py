"""Schema migrations (Alembic) and the reference data every install needs."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from marquee.accounts import billing
from marquee.config import Settings
from marquee.db import make_engine, make_sessionmaker, transaction, utcnow
from marquee.events import partitions

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


def upgrade(settings: Settings) -> None:
    url = settings.resolved_database_url
    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            billing.seed_plans(session=session)
            partitions.ensure_partitions(session=session, today=utcnow().date())
    finally:
        engine.dispose()
