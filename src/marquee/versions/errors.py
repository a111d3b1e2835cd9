"""The problems the title-version contract answers with."""

from __future__ import annotations

from marquee.errors import Unavailable


class KeyUnavailable(Unavailable):
    """A stored key does not unwrap: the master key changed or the row was tampered with."""

    code, title = "key_unavailable", "Content key unavailable"
