"""The problems recommendation training raises."""

from __future__ import annotations

from marquee.errors import Unprocessable


class InvalidInteractions(Unprocessable):
    """An interactions file (or table) that cannot train a model: unreadable, empty, malformed."""

    code, title = "invalid_interactions", "Invalid interactions"
