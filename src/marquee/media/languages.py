"""Language tags in one form everywhere: the shortest BCP 47 tag (`en`, `fr`, `pt-BR`, `und`).

Masters label their audio in ISO 639-2 (`eng`, `fre`), editors type subtitles as BCP 47
(`en`, `pt-br`); a player that matches an audio track to its subtitles, or to the
viewer's preferred language, compares the strings, so manifests and version rows say
both in the one form RFC 5646 prefers. Only the MP4 `mdhd` box keeps three letters
(ISO 639-2/T), because its field holds nothing else.
"""

from __future__ import annotations

import langcodes

UNDETERMINED = "und"


def bcp47(tag: str) -> str:
    """The shortest BCP 47 form of `tag`; `und` when it names no language."""
    try:
        return langcodes.standardize_tag(tag.strip())
    except ValueError:  # langcodes.LanguageTagError is one
        return UNDETERMINED


def is_language_tag(tag: str) -> bool:
    """Whether `tag` parses as a language tag (`en`, `eng`, `pt-BR`, `zh-Hant-TW`)."""
    try:
        langcodes.standardize_tag(tag.strip())
    except ValueError:  # langcodes.LanguageTagError is one
        return False
    return True


def iso639_2(tag: str) -> str:
    """The three-letter ISO 639-2/T code of `tag`'s language, as an MP4 `mdhd` box holds it."""
    try:
        code = langcodes.Language.get(bcp47(tag)).to_alpha3()
    except (LookupError, ValueError):
        return UNDETERMINED
    return code if len(code) == 3 and code.isalpha() else UNDETERMINED


def is_known_language(tag: str) -> bool:
    """Whether `tag` is well formed and its subtags are registered (`xx` is not)."""
    return is_language_tag(tag) and langcodes.tag_is_valid(tag.strip())
