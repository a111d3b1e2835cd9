"""The problems the object store raises: missing objects, bad keys, ranges and parts."""

from __future__ import annotations

from marquee.errors import BadRequest, Conflict, MarqueeError, NotFound


class ObjectNotFound(NotFound):
    """A key with no object behind it."""

    code, title = "object_not_found", "Object not found"


class InvalidKey(BadRequest):
    """A key that is absolute, climbs out with '..', or is too long."""

    code, title = "invalid_object_key", "Invalid object key"


class RangeNotSatisfiable(MarqueeError):
    """A byte range outside the object (the Content-Range header gives its size)."""

    status, code, title = 416, "range_not_satisfiable", "Range not satisfiable"


class InvalidPart(Conflict):
    """Multipart parts that cannot be assembled (too small, missing, or no upload open)."""

    code, title = "invalid_part", "Invalid upload part"
