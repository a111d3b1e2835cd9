"""Search documents count recent plays from the event log as their popularity."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from marquee.db import transaction, utcnow
from marquee.events.models import Event
from marquee.search.documents import document_for_title
from tests.events.factories import make_title


def test_popularity_counts_play_starts_of_the_last_week(
    session_factory: sessionmaker[Session],
) -> None:
    title = make_title(session_factory, "Counted")
    now = utcnow()
    rows = [
        ("play_start", now - timedelta(hours=1)),
        ("play_start", now - timedelta(days=2)),
        ("play_start", now - timedelta(days=30)),  # too old
        ("complete", now),  # the same viewing, not a second play
        ("thumbs_up", now),
    ]
    with transaction(session_factory) as session:
        session.execute(
            insert(Event),
            [
                {
                    "profile_id": uuid.uuid4(),
                    "title_id": title,
                    "kind": kind,
                    "occurred_at": at,
                    "recorded_at": now,
                    "payload": {},
                }
                for kind, at in rows
            ],
        )
    with transaction(session_factory) as session:
        document = document_for_title(session, title)
    assert document is not None
    assert document.popularity == 2
