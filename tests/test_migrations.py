"""Alembic migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from marquee.accounts.models import Plan
from marquee.config import Settings
from marquee.db import make_engine, make_sessionmaker
from marquee.migrate import alembic_config, include_name, upgrade
from marquee.models import Base
from marquee.runtime import Runtime


def test_migrations_match_the_models(
    fresh_url: str, tmp_path: Path, make_runtime: Callable[[Settings], Runtime]
) -> None:
    upgrade(make_runtime(Settings(database_url=fresh_url, var_dir=tmp_path)))
    engine = make_engine(fresh_url)
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(
                conn, opts={"compare_type": True, "include_name": include_name}
            ),
            Base.metadata,
        )
    assert diff == [], f"models and migrations differ: {diff}"
    with make_sessionmaker(engine)() as session:
        assert session.query(Plan).count() == 3
    engine.dispose()


def test_upgrade_is_idempotent_and_downgrade_empties(
    fresh_url: str, tmp_path: Path, make_runtime: Callable[[Settings], Runtime]
) -> None:
    runtime = make_runtime(Settings(database_url=fresh_url, var_dir=tmp_path))
    upgrade(runtime)
    upgrade(runtime)
    runtime.close()  # its connections, before the downgrade drops what they have seen
    command.downgrade(alembic_config(fresh_url), "base")
    engine = make_engine(fresh_url)
    tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
    engine.dispose()
    assert tables == set()


def test_events_are_partitioned_by_day_on_postgresql(postgresql_url: str, tmp_path: Path) -> None:
    import uuid as _uuid

    from marquee.db import transaction, utcnow
    from marquee.events import partitions

    name = f"parts_{_uuid.uuid4().hex[:8]}"
    admin = create_engine(postgresql_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = postgresql_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        with Runtime.running(Settings(database_url=url, var_dir=tmp_path)) as runtime:
            upgrade(runtime)  # also creates today's partitions
        engine = make_engine(url)
        factory = make_sessionmaker(engine)
        today = utcnow().date()
        with transaction(factory) as session:
            assert partitions.is_partitioned(session)
            assert partitions.ensure_partitions(session=session, today=today) == []  # already there
            row = {"p": _uuid.uuid4(), "now": utcnow(), "old": utcnow().replace(year=1998)}
            session.execute(
                text(
                    "INSERT INTO events (profile_id, kind, occurred_at, payload, recorded_at) VALUES "
                    "(:p, 'play_start', :now, '{}', :now), (:p, 'rating', :old, '{}', :now)"
                ),
                row,
            )
        with transaction(factory) as session:
            homes = (
                session.execute(
                    text("SELECT tableoid::regclass::text FROM events ORDER BY occurred_at")
                )
                .scalars()
                .all()
            )
            assert homes == ["events_default", partitions.partition_name(today)]
            dropped = partitions.drop_before(session=session, cutoff=utcnow() + timedelta(days=2))
            assert partitions.partition_name(today) in dropped
            assert session.execute(text("SELECT count(*) FROM events")).scalar() == 1
        engine.dispose()
        command.downgrade(alembic_config(url), "base")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
