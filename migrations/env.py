"""Alembic environment: on the connection the caller hands over (`marquee.migrate.upgrade`
passes its runtime's), else on the URL it set, else on Marquee's settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from marquee.config import Settings
from marquee.db import make_engine
from marquee.migrate import include_name
from marquee.models import Base

config = context.config
url = config.get_main_option("sqlalchemy.url") or Settings().resolved_database_url


def migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        compare_type=True,
        include_name=include_name,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    given = config.attributes.get("connection")
    if given is not None:
        migrate(given)
        return
    engine = make_engine(url)
    with engine.connect() as connection:
        migrate(connection)
    engine.dispose()


run()
