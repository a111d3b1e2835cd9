"""The migration that stops SQLite reusing event ids, on a database that already has a log."""

from __future__ import annotations

import uuid

from alembic import command
from sqlalchemy import Connection, create_engine, text

from marquee.migrate import alembic_config

BEFORE = "d1acb9f654d1"
INSERT = text(
    "INSERT INTO events (profile_id, kind, occurred_at, payload, recorded_at) "
    "VALUES (:p, 'play_start', '2026-01-01 00:00:00', '{}', '2026-01-01 00:00:00')"
)


def _append(conn: Connection, count: int) -> None:
    profile = uuid.uuid4().hex if conn.dialect.name == "sqlite" else str(uuid.uuid4())
    for _ in range(count):
        conn.execute(INSERT, {"p": profile})


def _newest(conn: Connection) -> int:
    return int(conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM events")).scalar_one())


def test_upgrade_keeps_ids_rising_and_pulls_stranded_cursors_back(fresh_url: str) -> None:
    config = alembic_config(fresh_url)
    command.upgrade(config, BEFORE)
    engine = create_engine(fresh_url)
    with engine.begin() as conn:
        _append(conn, 5)
        conn.execute(
            text(
                "INSERT INTO event_cursors (consumer, position, updated_at) "
                "VALUES ('aggregates', 100000, '2026-01-01 00:00:00')"
            )
        )
        conn.execute(text("DELETE FROM events WHERE id > 3"))
    command.upgrade(config, "head")
    with engine.begin() as conn:
        assert _newest(conn) == 3
        position = conn.execute(text("SELECT position FROM event_cursors")).scalar_one()
        assert position == 3  # caught up to the newest event, no longer stranded above it
        _append(conn, 2)
        top = _newest(conn)
        conn.execute(text("DELETE FROM events WHERE id = :top"), {"top": top})
        _append(conn, 1)
        assert _newest(conn) > top  # the deleted top id is not handed out again
        if conn.dialect.name == "sqlite":
            ddl = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'events'"))
            assert "AUTOINCREMENT" in ddl.scalar_one()
            indexes = conn.execute(
                text("SELECT name FROM sqlite_master WHERE tbl_name = 'events' AND type = 'index'")
            )
            assert set(indexes.scalars()) >= {"ix_events_profile_occurred", "ix_events_recorded_at"}
    command.downgrade(config, BEFORE)
    with engine.begin() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM events")).scalar_one() == 5
    engine.dispose()
