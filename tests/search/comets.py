"""Look-alike "Comet" titles, in or out of the fixed count sample, visible or hidden."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from datetime import timedelta

from marquee.audience import Audience
from marquee.db import utcnow
from marquee.maturity import Maturity
from marquee.search.documents import SearchDocument, Window
from marquee.search.models import BUCKETS, SAMPLE_BUCKETS
from tests.search.conftest import EVER, doc

VIEWER = Audience(country="GB", max_maturity=Maturity.MATURE)
_serial = itertools.count(1)


def sampled_id() -> uuid.UUID:
    """An id whose entries fall in the fixed sample counts are estimated from."""
    return uuid.UUID(int=next(_serial) * BUCKETS)


def unsampled_id() -> uuid.UUID:
    return uuid.UUID(int=next(_serial) * BUCKETS + SAMPLE_BUCKETS)


def hidden_comets() -> list[SearchDocument]:
    """A sampled "Comet" for each way a title can be hidden from VIEWER."""
    soon = utcnow() + timedelta(days=2)
    return [
        doc("Comet Draft", title_id=sampled_id(), published=False, genres=["Secret"]),
        doc("Comet Abroad", title_id=sampled_id(), windows=[Window("US", EVER)], genres=["Secret"]),
        doc("Comet Soon", title_id=sampled_id(), windows=[Window("*", soon)], genres=["Secret"]),
        doc(
            "Comet Adult",
            title_id=sampled_id(),
            maturity_level=Maturity.ADULTS,
            genres=["Secret"],
            language="de",
        ),
    ]


def visible_comets(
    count: int, make_id: Callable[[], uuid.UUID] = sampled_id
) -> list[SearchDocument]:
    return [doc(f"Comet {n}", title_id=make_id(), genres=["Drama"]) for n in range(count)]
