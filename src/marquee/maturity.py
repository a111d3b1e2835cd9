"""One ordered maturity scale for film (MPA) and TV (TV Parental Guidelines) ratings."""

from __future__ import annotations

from enum import IntEnum


class Maturity(IntEnum):
    """Ordered levels; a profile's ceiling admits every rating at or below it."""

    LITTLE_KIDS = 0  # TV-Y
    KIDS = 1  # TV-Y7, TV-Y7-FV
    ALL = 2  # G, TV-G
    PARENTAL = 3  # PG, TV-PG
    TEENS = 4  # PG-13, TV-14
    MATURE = 5  # R, TV-MA
    ADULTS = 6  # NC-17


RATINGS: dict[str, Maturity] = {
    "TV-Y": Maturity.LITTLE_KIDS,
    "TV-Y7": Maturity.KIDS,
    "TV-Y7-FV": Maturity.KIDS,
    "G": Maturity.ALL,
    "TV-G": Maturity.ALL,
    "PG": Maturity.PARENTAL,
    "TV-PG": Maturity.PARENTAL,
    "PG-13": Maturity.TEENS,
    "TV-14": Maturity.TEENS,
    "R": Maturity.MATURE,
    "TV-MA": Maturity.MATURE,
    "NC-17": Maturity.ADULTS,
}

KIDS_DEFAULT_CEILING = Maturity.ALL


def level(rating: str) -> Maturity:
    """The scale level of a rating label; unknown labels are a caller error."""
    try:
        return RATINGS[rating.upper()]
    except KeyError:
        raise ValueError(f"unknown maturity rating {rating!r}") from None
