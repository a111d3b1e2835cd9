"""Text folding shared by both search backends: case, accents, numbers and query tokens."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rapidfuzz.distance import OSA

MAX_QUERY_LENGTH = 200
ARTICLES = ("the", "a", "an")

# Letters NFKD does not decompose into an ASCII base plus a mark.
_SPECIAL = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "œ": "oe",
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "ł": "l",
        "\u0131": "i",  # dotless i
    }
)
_TOKEN = re.compile(r"[a-z0-9]+")

NUMBER_WORDS = {
    "zero": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "thirteen": "13",
    "twenty": "20",
    "hundred": "100",
    "thousand": "1000",
}
# "i" is left out on purpose: it is far more often the pronoun than a sequel number.
ROMAN_NUMERALS = {
    "ii": "2",
    "iii": "3",
    "iv": "4",
    "v": "5",
    "vi": "6",
    "vii": "7",
    "viii": "8",
    "ix": "9",
    "x": "10",
}


def fold(text: str) -> str:
    """Lower case without accents: "Amélie" and "AMELIE" both become "amelie"."""
    lowered = text.lower().translate(_SPECIAL)
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokens(text: str) -> list[str]:
    """Folded alphanumeric words; every query-syntax character is a separator, never an operator."""
    return _TOKEN.findall(fold(text))


def normalise_token(token: str) -> str:
    """The canonical form numbers are indexed under: "two", "ii" and "2" all become "2"."""
    return NUMBER_WORDS.get(token) or ROMAN_NUMERALS.get(token) or token


def index_text(text: str) -> str:
    """A field's text as the engines store it: folded tokens, numbers in canonical form."""
    return " ".join(normalise_token(token) for token in tokens(text))


def query_terms(query: str) -> list[str]:
    """The terms of a viewer's query, capped and de-duplicated in order."""
    seen: dict[str, None] = {}
    for token in tokens(query[:MAX_QUERY_LENGTH]):
        seen.setdefault(normalise_token(token), None)
    return list(seen)[:16]


def max_edits(term: str) -> int:
    """Typo tolerance: one edit for words of 5+ letters, two for 9+, none below (but see
    `swaps`). A swap of two adjacent letters counts as one edit."""
    if len(term) >= 9:
        return 2
    if len(term) >= 5:
        return 1
    return 0


def swaps(term: str) -> list[str]:
    """Short words (3 or 4 letters) tolerate no edit but one swap of adjacent letters:
    "wras" may mean "wars". The distinct words one such swap makes, the term itself aside."""
    if not 3 <= len(term) < 5:
        return []
    made = (term[:i] + term[i + 1] + term[i] + term[i + 2 :] for i in range(len(term) - 1))
    return [word for word in dict.fromkeys(made) if word != term]


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance with adjacent transpositions counted as one edit (Damerau, OSA)."""
    return int(OSA.distance(a, b))


def within_edits(a: str, b: str, limit: int) -> bool:
    """`edit_distance(a, b) <= limit`, giving up as soon as the distance passes the limit."""
    return bool(OSA.distance(a, b, score_cutoff=limit) <= limit)


def person_matches(name: str, terms: list[str]) -> bool:
    """Every query term is a word of the name, allowing the typed prefix or a typo."""
    words = [normalise_token(t) for t in tokens(name)]
    return all(any(_close(term, word) for word in words) for term in terms)


@lru_cache(maxsize=65_536)
def _close(term: str, word: str) -> bool:
    if word.startswith(term):
        return True
    edits = max_edits(term)
    if not edits:
        return word in swaps(term)
    return within_edits(term, word[: len(term) + edits], edits)


def title_match(title: str, terms: list[str]) -> float:
    """How well the query fits the title, 0 to 2: mostly the share of query terms found in
    the title, partly the share of title words found, plus a bonus when the title starts with
    the query as typed (article aside) or holds it as a phrase.
    """
    words = list(_title_words(title))
    if not words or not terms:
        return 0.0
    found = sum(1 for term in terms if any(_close(term, word) for word in words))
    covered = sum(1 for word in words if any(_close(term, word) for term in terms))
    return 0.7 * found / len(terms) + 0.3 * covered / len(words) + phrase_bonus(words, terms)


@lru_cache(maxsize=65_536)
def _title_words(title: str) -> tuple[str, ...]:
    # The same popular titles are re-ranked query after query.
    return tuple(normalise_token(t) for t in tokens(title))


def phrase_bonus(words: list[str], terms: list[str]) -> float:
    title = " ".join(words)
    phrase = " ".join(terms)
    bare = title.split(" ", 1)[1] if words[0] in ARTICLES and len(words) > 1 else title
    if title.startswith(phrase) or bare.startswith(phrase):
        return 1.0
    return 0.3 if f" {phrase}" in f" {title}" else 0.0
