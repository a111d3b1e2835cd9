"""Alembic environment: the URL comes from Marquee's settings unless the caller set one."""

from __future__ import annotations

from alembic import context

from marquee.config import Settings
from marquee.db import make_engine
from marquee.migrate import include_name
from marquee.models import Base

config = context.config
url = config.get_main_option("sqlalchemy.url") or Settings().resolved_database_url


def run() -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            compare_type=True,
            include_name=include_name,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
