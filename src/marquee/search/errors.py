"""The problems search answers with (an unknown genre filter is the catalogue's UnknownGenre)."""

from __future__ import annotations

from marquee.errors import Unprocessable


class InvalidYearRange(Unprocessable):
    """A year filter whose start is after its end."""

    code, title = "invalid_year_range", "Invalid year range"


class UnknownParameter(Unprocessable):
    """A query parameter search does not take (a typo would otherwise be ignored silently)."""

    code, title = "unknown_parameter", "Unknown parameter"
