"""The problems the catalogue answers with: titles, seasons, episodes, genres, people, windows."""

from __future__ import annotations

from marquee.errors import Conflict, NotFound, Unprocessable


class TitleNotFound(NotFound):
    """A title id that does not exist, or that this audience may not see here and now."""

    code, title = "title_not_found", "Title not found"


class SeasonNotFound(NotFound):
    """A season number the title does not have."""

    code, title = "season_not_found", "Season not found"


class EpisodeNotFound(NotFound):
    """An episode the season (or the catalogue) does not have."""

    code, title = "episode_not_found", "Episode not found"


class GenreNotFound(NotFound):
    """A genre id that does not exist."""

    code, title = "genre_not_found", "Genre not found"


class PersonNotFound(NotFound):
    """A person id that does not exist."""

    code, title = "person_not_found", "Person not found"


class CreditNotFound(NotFound):
    """A credit id that is not on this title."""

    code, title = "credit_not_found", "Credit not found"


class AvailabilityNotFound(NotFound):
    """An availability window id that is not on this title."""

    code, title = "availability_not_found", "Availability window not found"


class SlugTaken(Conflict):
    """A title slug another title already uses."""

    code, title = "slug_taken", "Slug taken"


class GenreExists(Conflict):
    """A genre whose slug or name another genre already has."""

    code, title = "genre_exists", "Genre exists"


class SeasonExists(Conflict):
    """A season number the title already has."""

    code, title = "season_exists", "Season exists"


class EpisodeExists(Conflict):
    """An episode number the season already has."""

    code, title = "episode_exists", "Episode exists"


class CreditExists(Conflict):
    """The same person in the same role on the same title twice."""

    code, title = "credit_exists", "Credit exists"


class UnknownGenre(Unprocessable):
    """A genre (by id, slug or name) that does not exist, in a title or a filter."""

    code, title = "unknown_genre", "Unknown genre"


class NotASeries(Unprocessable):
    """Seasons asked of a movie."""

    code, title = "not_a_series", "Not a series"


class InvalidMarkers(Unprocessable):
    """Intro or credits markers that do not fit the episode (the intro ends before it starts)."""

    code, title = "invalid_markers", "Invalid markers"


class NotACastCredit(Unprocessable):
    """A character given to a director's or writer's credit."""

    code, title = "not_a_cast_credit", "Not a cast credit"


class InvalidTransition(Unprocessable):
    """A publishing event the title's current state cannot take (`state`, `event`)."""

    code, title = "invalid_state_transition", "Invalid state transition"
