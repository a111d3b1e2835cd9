"""THE rule of the catalogue, written once: which titles an audience may see.

A viewer sees a title only if it is published, a licence window for the
viewer's country (or "*") covers the moment of the request, and its maturity
level is at or below the profile's ceiling. Lists, details, counts, search and
recommendations all filter with `visible_to`, so none can leak a hidden title.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, or_

from marquee.audience import Audience
from marquee.catalog.models import WORLDWIDE, Availability, PublishState, Title


def available_now(audience: Audience) -> ColumnElement[bool]:
    """A licence window for the audience's country or worldwide covers `audience.at`."""
    return exists().where(
        Availability.title_id == Title.id,
        Availability.country.in_([audience.country.upper(), WORLDWIDE]),
        Availability.starts_at <= audience.at,
        or_(Availability.ends_at.is_(None), Availability.ends_at > audience.at),
    )


def visible_to(audience: Audience) -> ColumnElement[bool]:
    """The SQL condition on `Title` that admits exactly the titles `audience` may see."""
    return and_(
        Title.state == PublishState.PUBLISHED,
        Title.maturity_level <= audience.max_maturity,
        available_now(audience),
    )
