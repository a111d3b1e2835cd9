"""The problems playback answers with: entitlement, sessions, heartbeats, manifests, licences."""

from __future__ import annotations

from marquee.errors import (
    Conflict,
    MarqueeError,
    NotFound,
    PermissionDenied,
    Unprocessable,
)


class SubscriptionRequired(MarqueeError):
    """Playback asked by an account without an active subscription."""

    status, code, title = 402, "subscription_required", "Subscription required"


class NotAvailableInRegion(MarqueeError):
    """A title licensed elsewhere, or outside its availability window in the viewer's country."""

    status, code, title = 451, "not_available_in_region", "Not available in your region"


class MaturityRestricted(PermissionDenied):
    """A title rated above the profile's maturity ceiling."""

    code, title = "maturity_restricted", "Maturity restricted"


class NotPlayable(Conflict):
    """A title (or episode) with no published version to play yet."""

    code, title = "not_playable", "Not playable"


class TooManyStreams(Conflict):
    """A new stream beyond the plan's simultaneous-stream limit."""

    code, title = "too_many_streams", "Too many streams"


class SessionNotFound(NotFound):
    """A playback session id that is not one of the caller's."""

    code, title = "session_not_found", "Playback session not found"


class SessionEnded(Conflict):
    """A heartbeat (or stop) for a session that was stopped or timed out."""

    code, title = "session_ended", "Playback session ended"


class PositionOutOfRange(Unprocessable):
    """A heartbeat position before the start or past the end of the media."""

    code, title = "position_out_of_range", "Position out of range"


class NoSupportedRendition(Conflict):
    """No rendition of the version fits both the plan and the device's codecs."""

    code, title = "no_supported_rendition", "No supported rendition"


class LicenseDenied(PermissionDenied):
    """A licence request without a valid licence token for this session and key."""

    code, title = "license_denied", "Licence denied"
