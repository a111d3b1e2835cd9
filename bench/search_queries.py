"""Labelled and mixed query sets for the search benchmarks, generated from the corpus."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from marquee.search import text
from marquee.search.documents import SearchDocument

NUMBER_NAMES = {
    "2": "two", "3": "three", "4": "four", "5": "five", "6": "six", "7": "seven",
    "8": "eight", "9": "nine", "10": "ten", "ii": "two", "iii": "three", "iv": "four",
}  # fmt: skip
LETTERS = "abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class Labelled:
    kind: str
    query: str
    expected: str  # the display title the top hit should carry


def typo(word: str, rng: random.Random) -> str:
    """One edit away (two for words of nine letters or more), never touching the first letter."""
    for _ in range(2 if len(word) >= 9 else 1):
        i = rng.randrange(1, len(word) - 1)
        op = rng.choice(["sub", "del", "ins", "swap"])
        if op == "sub":
            word = word[:i] + rng.choice(LETTERS.replace(word[i], "")) + word[i + 1 :]
        elif op == "del":
            word = word[:i] + word[i + 1 :]
        elif op == "ins":
            word = word[:i] + rng.choice(LETTERS) + word[i:]
        else:
            word = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word


def _words(title: str) -> list[str]:
    return text.tokens(title)


def _exact(doc: SearchDocument, rng: random.Random) -> str | None:
    return doc.title.lower()


def _prefix(doc: SearchDocument, rng: random.Random) -> str | None:
    words = _bare(doc.title)
    if not words or len(words[-1]) < 4:
        return None
    if len(words) == 1:
        return words[0][: max(4, len(words[0]) * 2 // 3)]
    return f"{words[0]} {words[1][: max(3, len(words[1]) // 2)]}"


def _typo(doc: SearchDocument, rng: random.Random) -> str | None:
    words = _words(doc.title)
    long = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not long:
        return None
    target = max(long, key=lambda i: len(words[i]))
    words[target] = typo(words[target], rng)
    return " ".join(words)


def _partial(doc: SearchDocument, rng: random.Random) -> str | None:
    words = [w for w in _words(doc.title) if len(w) > 3]
    if len(words) < 3:
        return None
    return " ".join(sorted(words, key=len, reverse=True)[:2])


def _subtitle_dropped(doc: SearchDocument, rng: random.Random) -> str | None:
    head = re.split(r"[:(]", doc.title)[0].strip()
    return head if head != doc.title and len(head) > 3 else None


def _numbers(doc: SearchDocument, rng: random.Random) -> str | None:
    words = _words(doc.title)
    if not any(w in NUMBER_NAMES for w in words):
        return None
    return " ".join(NUMBER_NAMES.get(w, w) for w in words)


def _person(doc: SearchDocument, rng: random.Random) -> str | None:
    first, last = doc.people[0].lower().split(" ", 1)
    return f"{first} {typo(last, rng)}" if len(last) >= 5 else None


MAKERS = {
    "exact": _exact,
    "prefix": _prefix,
    "typo": _typo,
    "partial": _partial,
    "subtitle-dropped": _subtitle_dropped,
    "numbers-as-words": _numbers,
    "person": _person,
}


def _ambiguous(kind: str, query: str, doc: SearchDocument, movielens: list[SearchDocument]) -> bool:
    """True when another MovieLens title fits the query just as well as the labelled one."""
    if kind == "subtitle-dropped":
        rivals = [d for d in movielens if re.split(r"[:(]", d.title)[0].strip() == query]
    elif kind == "prefix":
        rivals = [d for d in movielens if " ".join(_bare(d.title)).startswith(query)]
    elif kind == "partial":
        words = set(query.split())
        rivals = [d for d in movielens if words <= set(_words(d.title))]
    elif kind == "person":
        rivals = [d for d in movielens if d.people == doc.people]
    else:
        return False
    return len({d.title for d in rivals}) > 1


def _bare(title: str) -> list[str]:
    words = _words(title)
    return words[1:] if words and words[0] in ("the", "a", "an") else words


def labelled(movielens: list[SearchDocument], per_kind: int = 120, seed: int = 7) -> list[Labelled]:
    """Up to `per_kind` queries per kind, each with exactly one right answer among MovieLens.

    Queries another MovieLens title answers equally well ("ace ven" for two Ace Ventura
    films, a person credited on two titles) are left out: no engine could know which was meant.
    """
    rng = random.Random(seed)
    queries: list[Labelled] = []
    for kind, make in MAKERS.items():
        docs = movielens[:]
        rng.shuffle(docs)
        made = 0
        for doc in docs:
            query = make(doc, rng)
            if not query or made >= per_kind or _ambiguous(kind, query, doc, movielens):
                continue
            queries.append(Labelled(kind, query, doc.title))
            made += 1
    return queries


def mixed(docs: list[SearchDocument], count: int = 1000, seed: int = 11) -> list[tuple[str, str]]:
    """(kind, query) pairs: exact, prefix, typo, multi-word, filtered and empty, in proportion."""
    rng = random.Random(seed)
    kinds = ["exact", "prefix", "typo", "multi-word", "filtered", "empty"]
    weights = [25, 25, 20, 15, 10, 5]
    out: list[tuple[str, str]] = []
    while len(out) < count:
        kind = rng.choices(kinds, weights)[0]
        doc = rng.choice(docs)
        if kind == "empty":
            out.append((kind, ""))
            continue
        maker = {"exact": _exact, "prefix": _prefix, "typo": _typo}.get(kind)
        if maker is not None:
            query = maker(doc, rng)
        else:
            words = _words(doc.title)
            query = " ".join(words[-2:]) if len(words) > 1 else None
        if query:
            out.append((kind, query))
    return out
