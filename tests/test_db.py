from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from marquee.db import refresh_statistics, transaction
from tests.events.factories import make_title


def test_refresh_statistics_gives_sqlite_its_planner_statistics(
    session_factory: sessionmaker[Session],
) -> None:
    make_title(session_factory)
    with transaction(session_factory) as session:
        refresh_statistics(session)
        if session.get_bind().dialect.name == "sqlite":
            tables = session.execute(text("SELECT tbl FROM sqlite_stat1")).scalars().all()
            assert "titles" in tables
        else:  # PostgreSQL gathers its own statistics; the call must be harmless there
            assert session.execute(text("SELECT 1")).scalar() == 1
