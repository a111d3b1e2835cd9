"""Editor services: sort keys, lifecycle events from ingest, and their effects on the title."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from marquee.catalog import service
from marquee.catalog.models import PublishState
from marquee.catalog.state import InvalidTransition, TitleEvent
from tests.catalog.factories import make_title


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("The Matrix", "matrix"),
        ("A Bug's Life", "bug's life"),
        ("'Til There Was You", "til there was you"),
        ("Theodora", "theodora"),
        ("The", "the"),
        ("101 Dalmatians", "101 dalmatians"),
    ],
)
def test_sort_name(name: str, key: str) -> None:
    assert service.sort_name(name) == key


def test_ingest_events_move_a_title_and_stamp_first_publication(db: Session) -> None:
    title = make_title(db, "Upload", state=PublishState.DRAFT)
    assert title.published_at is None
    moved = service.apply_event(session=db, title_id=title.id, event=TitleEvent.UPLOAD_STARTED)
    assert moved.state is PublishState.PROCESSING
    done = service.apply_event(session=db, title_id=title.id, event=TitleEvent.PROCESSING_SUCCEEDED)
    assert done.state is PublishState.PUBLISHED
    first = done.published_at
    assert first is not None
    service.apply_event(session=db, title_id=title.id, event=TitleEvent.UNPUBLISH)
    again = service.apply_event(session=db, title_id=title.id, event=TitleEvent.PUBLISH)
    assert again.published_at == first
    db.commit()


def test_a_refused_event_leaves_the_title_unchanged(db: Session) -> None:
    title = make_title(db, "Draft", state=PublishState.DRAFT)
    db.commit()
    with pytest.raises(InvalidTransition):
        service.apply_event(session=db, title_id=title.id, event=TitleEvent.UNPUBLISH)
    db.rollback()
    assert service.get_title(session=db, title_id=title.id).state is PublishState.DRAFT
