"""Catalogue rows for event tests, written straight to the database."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session, sessionmaker

from marquee.catalog.models import PublishState, Title, TitleKind
from marquee.db import transaction


def make_title(factory: sessionmaker[Session], name: str = "Night Train") -> uuid.UUID:
    with transaction(factory) as session:
        title = Title(
            kind=TitleKind.MOVIE,
            slug=f"{name.lower().replace(' ', '-')}-{uuid.uuid4().hex[:6]}",
            name=name,
            sort_name=name,
            maturity_rating="PG",
            maturity_level=3,
            state=PublishState.PUBLISHED,
        )
        session.add(title)
        session.flush()
        return title.id
