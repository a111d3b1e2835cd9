"""Password strength: zxcvbn's estimate of how many guesses a password takes, not a rule list."""

from __future__ import annotations

from zxcvbn import zxcvbn

from marquee.accounts.errors import WeakPassword

# zxcvbn refuses longer input; a password this long is judged by its first 72 characters.
ESTIMATOR_MAX_LENGTH = 72


def check_strength(password: str, *, min_score: int) -> None:
    """Raise WeakPassword when zxcvbn scores it below `min_score` (0-4), with its advice."""
    result = zxcvbn(password[:ESTIMATOR_MAX_LENGTH])
    score = int(result["score"])
    if score >= min_score:
        return
    feedback = result.get("feedback") or {}
    advice = [str(feedback.get("warning") or ""), *map(str, feedback.get("suggestions") or [])]
    hint = " ".join(part for part in advice if part)
    raise WeakPassword(
        "This password is too easy to guess." + (f" {hint}" if hint else ""),
        score=score,
        min_score=min_score,
    )
