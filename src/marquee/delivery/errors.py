"""The problems media delivery answers with: signed links, renditions, ended sessions, artwork."""

from __future__ import annotations

from marquee.errors import NotFound, PermissionDenied


class LinkInvalid(PermissionDenied):
    """A media link whose signature, session or path does not check out."""

    code, title = "media_link_invalid", "Media link invalid"


class LinkExpired(PermissionDenied):
    """A media link past its expiry; the player starts playback again for fresh links."""

    code, title = "media_link_expired", "Media link expired"


class RenditionNotAllowed(PermissionDenied):
    """A video file above the session's plan, or outside the lane its link names."""

    code, title = "rendition_not_allowed", "Rendition not allowed"


class MediaSessionEnded(PermissionDenied):
    """Media asked for a playback session that has ended."""

    code, title = "media_session_ended", "Playback session ended"


class ArtworkNotFound(NotFound):
    """Artwork a published version does not have (or a version that is not published)."""

    code, title = "artwork_not_found", "Artwork not found"
