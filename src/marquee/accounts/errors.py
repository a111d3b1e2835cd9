"""The problems the accounts domain answers with: sign-in, tokens, roles, profiles, plans."""

from __future__ import annotations

from marquee.errors import AuthenticationFailed, Conflict, NotFound, PermissionDenied, Unprocessable


class InvalidCredentials(AuthenticationFailed):
    """Sign-in (or a password change) with an email or password that does not match."""

    code, title = "invalid_credentials", "Invalid credentials"


class InvalidToken(AuthenticationFailed):
    """An access or refresh token that is malformed, revoked or no longer current."""

    code, title = "invalid_token", "Invalid token"


class TokenExpired(AuthenticationFailed):
    """An access or refresh token past its lifetime; refresh, or sign in again."""

    code, title = "token_expired", "Token expired"


class TokenReused(AuthenticationFailed):
    """A rotated refresh token came back: its whole family has been revoked."""

    code, title = "token_reused", "Refresh token reused"


class EditorRequired(PermissionDenied):
    """A studio route called by a viewer."""

    code, title = "editor_required", "Editor role required"


class AdminRequired(PermissionDenied):
    """An administration route called by someone who is not an admin."""

    code, title = "admin_required", "Admin role required"


class EmailTaken(Conflict):
    """Registration with an email another account already uses."""

    code, title = "email_taken", "Email taken"


class ProfileNotFound(NotFound):
    """A profile id that is not one of the caller's profiles."""

    code, title = "profile_not_found", "Profile not found"


class ProfileNameTaken(Conflict):
    """Two profiles of one account with the same name."""

    code, title = "profile_name_taken", "Profile name taken"


class ProfileLimitReached(Conflict):
    """A new profile beyond the account's maximum."""

    code, title = "profile_limit_reached", "Profile limit reached"


class LastProfile(Conflict):
    """Deleting an account's only profile."""

    code, title = "last_profile", "Last profile"


class UnknownMaturityRating(Unprocessable):
    """A maturity ceiling that is not one of the known ratings."""

    code, title = "unknown_maturity_rating", "Unknown maturity rating"


class KidsCeilingTooHigh(Unprocessable):
    """A kids profile with a ceiling above PG / TV-PG."""

    code, title = "kids_ceiling_too_high", "Kids ceiling too high"


class PlanNotFound(NotFound):
    """A plan code that no plan has."""

    code, title = "plan_not_found", "Plan not found"


class SubscriptionNotFound(NotFound):
    """An account without a subscription asked about (or to change) it."""

    code, title = "subscription_not_found", "Subscription not found"


class InvalidSubscriptionTransition(Unprocessable):
    """A billing event the subscription's current status cannot take."""

    code, title = "invalid_subscription_transition", "Invalid subscription transition"


class WeakPassword(Unprocessable):
    """A password zxcvbn scores below the configured minimum: too easy to guess."""

    code, title = "weak_password", "Weak password"


class CsrfFailed(PermissionDenied):
    """A refresh cookie spent without this site's CSRF token in X-CSRF-Token."""

    code, title = "csrf_failed", "CSRF check failed"


class ProfileLocked(PermissionDenied):
    """A locked profile (or profile management) without an unlocking profile token."""

    code, title = "profile_locked", "Profile locked"


class IncorrectPin(PermissionDenied):
    """Switching into a locked profile with a PIN that is not its own."""

    code, title = "profile_pin_incorrect", "Incorrect PIN"
