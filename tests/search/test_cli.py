"""`marquee search reindex` rebuilds the index from the catalogue on either backend."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from marquee.audience import Audience
from marquee.catalog.models import PublishState
from marquee.cli import app as cli
from marquee.config import Settings
from marquee.db import transaction
from marquee.search.index import SearchFilters, make_index
from tests.catalog.factories import make_title


def test_reindex_rebuilds_from_the_database(
    settings: Settings,
    db_engine: Engine,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with transaction(session_factory) as session:
        make_title(session, "Solaris", year=1972)
        make_title(session, "Stalker", year=1979)
        make_title(session, "Secret Cut", state=PublishState.DRAFT)
    index = make_index(settings, db_engine)
    index.clear()
    monkeypatch.setenv("MARQUEE_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("MARQUEE_VAR_DIR", str(settings.var_dir))
    result = CliRunner().invoke(cli, ["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "indexed 3 titles" in result.output
    index = make_index(settings, db_engine)
    found = index.search("solaris", SearchFilters(), Audience(country="US"))
    assert [hit.title for hit in found.hits] == ["Solaris"]
    assert index.search("", SearchFilters(), Audience(country="US")).total == 2
    shown = CliRunner().invoke(cli, ["search", "query", "stalkr"])
    assert "Stalker (1979)" in shown.output
