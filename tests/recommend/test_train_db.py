"""Training from the event log: what counts as a positive, dislikes, and the EASE item cap."""

from __future__ import annotations

import uuid

import numpy as np
import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from marquee.db import transaction, utcnow
from marquee.events.models import Event
from marquee.recommend import train_db
from marquee.recommend.data import RawLog, encode
from marquee.recommend.tables import ModelRun, RecCandidate, SimilarTitle, TitlePopularity


def test_head_keeps_the_most_engaged_items() -> None:
    raw = RawLog(
        ["u1", "u1", "u2", "u2", "u3"], ["a", "b", "a", "c", "a"], np.ones(5), np.arange(5.0)
    )
    (log,) = encode(raw)
    head = train_db._head(log, 1)
    assert head.item_ids == ("a",)
    assert len(head) == 3
    assert train_db._head(log, 10) is log


def _events(factory: sessionmaker[Session], rows: list[tuple[uuid.UUID, uuid.UUID, str]]) -> None:
    now = utcnow()
    with transaction(factory) as session:
        session.execute(
            insert(Event),
            [
                {
                    "profile_id": p,
                    "title_id": t,
                    "kind": k,
                    "occurred_at": now,
                    "recorded_at": now,
                    "payload": {},
                }
                for p, t, k in rows
            ],
        )


def test_train_writes_serving_tables(
    session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(train_db, "MAX_EASE_ITEMS", 3)
    titles = [uuid.uuid4() for _ in range(5)]
    people = [uuid.uuid4() for _ in range(6)]
    rows = []
    for person in people:
        rows += [(person, titles[0], "complete"), (person, titles[1], "play_start")]
    rows += [
        (people[0], titles[2], "thumbs_up"),
        (people[1], titles[3], "thumbs_down"),
        (people[2], titles[4], "qoe"),
    ]
    _events(session_factory, rows)
    with transaction(session_factory) as session:
        summary = train_db.train(session=session, lam=1.0)
        assert summary is not None
        assert summary.titles == 3  # the dislike and the QoE beacon are not positives
        assert session.scalar(select(ModelRun.interactions)) == 13
        popularity = dict(
            session.execute(select(TitlePopularity.title_id, TitlePopularity.score)).all()
        )
        assert popularity[titles[0]] == 6
        assert titles[3] not in popularity
        picks = session.scalars(
            select(RecCandidate.title_id).where(RecCandidate.profile_id == people[1])
        ).all()
        assert titles[2] in picks  # co-watched with titles 0 and 1 by people[0]
        assert session.scalar(
            select(SimilarTitle.score).where(SimilarTitle.title_id == titles[0]).limit(1)
        )


def test_train_with_no_events_does_nothing(session_factory: sessionmaker[Session]) -> None:
    with transaction(session_factory) as session:
        assert train_db.train(session=session) is None


def test_recs_train_command_fits_the_serving_tables(
    session_factory: sessionmaker[Session], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from marquee.cli import app

    titles, people = [uuid.uuid4() for _ in range(3)], [uuid.uuid4() for _ in range(4)]
    _events(session_factory, [(p, t, "complete") for p in people for t in titles])
    monkeypatch.setenv("MARQUEE_DATABASE_URL", db_url)
    result = CliRunner().invoke(app, ["recs", "train"])
    assert result.exit_code == 0, result.output
    assert '"titles": 3' in result.output
    with transaction(session_factory) as session:
        assert session.scalar(select(ModelRun.titles)) == 3
