"""The problems downloads answer with: the plan's limit, qualities, missing and revoked ones."""

from __future__ import annotations

from marquee.errors import Conflict, MarqueeError, NotFound, PermissionDenied, Unprocessable


class PlanHasNoDownloads(PermissionDenied):
    """A download asked (or renewed) on a plan that includes none."""

    code, title = "plan_has_no_downloads", "Plan has no downloads"


class DownloadLimitReached(Conflict):
    """A download beyond the plan's number, counted across the account's profiles and devices."""

    code, title = "download_limit_reached", "Download limit reached"


class QualityAbovePlan(PermissionDenied):
    """A download quality taller than the plan's resolution ceiling."""

    code, title = "quality_above_plan", "Quality above plan"


class QualityNotOffered(Unprocessable):
    """A download quality the title's media has no rendition of."""

    code, title = "quality_not_offered", "Quality not offered"


class DownloadNotFound(NotFound):
    """A download id that is not one of this profile's (removed, or never made)."""

    code, title = "download_not_found", "Download not found"


class DownloadRevoked(MarqueeError):
    """A renewal for a download the plan no longer covers: its place or its quality went
    with a downgrade. The copy on the device must be deleted."""

    status, code, title = 410, "download_revoked", "Download revoked"


class InvalidOfflineReport(Unprocessable):
    """A position watched offline whose time is before the download, or in the future."""

    code, title = "invalid_offline_report", "Invalid offline report"
