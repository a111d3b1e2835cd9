"""A deterministic search corpus: MovieLens-100K titles plus a synthetic catalogue around them.

Shared by bench/search_latency.py and bench/search_relevance.py. Synthetic titles draw their
words from a Zipf distribution over the MovieLens title vocabulary, common title words and
generated words, so real titles have plenty of look-alikes; people names follow the same idea.
"""

from __future__ import annotations

import os
import random
import re
import sys
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The code under test; bench/search_latency.py points this at another revision's `src` to
# measure it as the baseline on the same corpus and queries.
sys.path.insert(0, os.environ.get("MARQUEE_BENCH_SRC", str(ROOT / "src")))
sys.path.insert(1, str(ROOT))

from marquee.datasets import movielens_100k  # noqa: E402
from marquee.search.documents import SearchDocument, Window  # noqa: E402

CACHE = ROOT / "var" / "cache"


def _split(words: str) -> list[str]:
    return words.split()


GENRES = [
    "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary",
    "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi",
    "Thriller", "War", "Western",
]  # fmt: skip
COMMON_WORDS = _split(
    "love night day man woman last first king queen city dark light "
    "story life death world war house home time dream heart blood fire water road river "
    "secret lost return rise fall black white red blue golden silver summer winter little "
    "big new old great wild girl boy star moon sun shadow ghost island mountain sea storm "
    "angel devil heaven hell lady lord princess prince family brother sister mother father "
    "dead alive run chase escape final edge zero one two three hundred thousand kingdom "
    "empire legend journey voyage mission game play song dance murder crime law justice"
)
FIRST = _split(
    "James John Robert Michael William David Richard Joseph Thomas Charles Mary Patricia "
    "Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Anna Marie Louis Pierre "
    "Jean Sofia Lucia Hans Ingrid Akira Kenji Yuki Ravi Priya Omar Fatima Carlos Diego"
)
LAST = _split(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
    "Lopez Wilson Anderson Taylor Thomas Moore Jackson Martin Lee Thompson White Harris "
    "Clark Lewis Walker Hall Young King Wright Scott Green Baker Adams Nelson Hill Campbell "
    "Dubois Moreau Laurent Schmidt Fischer Weber Rossi Russo Tanaka Suzuki Kumar Singh"
)
SYLLABLES = _split("ka lo mi ra ven tor al ber cas dra el fin gal hor is jun kel lum mor nor")
SYNOPSIS_WORDS = _split(
    "a young detective must uncover the truth behind a series of strange events while "
    "running from her past when an unlikely friendship changes everything two rivals "
    "discover a hidden world and fight to save their town family secrets threaten"
)
NOW = datetime(2026, 1, 1, tzinfo=UTC)
EVER = datetime(1990, 1, 1, tzinfo=UTC)


@dataclass
class Corpus:
    docs: list[SearchDocument]
    movielens: list[SearchDocument]  # the real titles, all published and visible worldwide


def display_title(raw: str) -> str:
    """ "Shawshank Redemption, The" becomes "The Shawshank Redemption"."""
    match = re.match(r"^(.*), (The|A|An|L'|Le|La|Les|Il|Das|Der|Die|El)$", raw)
    return f"{match.group(2)} {match.group(1)}" if match else raw


def _zipf_pool(words: list[str], rng: random.Random, size: int, s: float = 1.07) -> list[str]:
    weights = [1 / (rank + 1) ** s for rank in range(len(words))]
    return rng.choices(words, weights=weights, k=size)


def _generated_words(rng: random.Random, count: int) -> list[str]:
    return ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(count)]


def _person(rng: random.Random, extra_last: list[str]) -> str:
    last = rng.choice(LAST) if rng.random() < 0.5 else rng.choice(extra_last).title()
    return f"{rng.choice(FIRST)} {last}"


def _movielens(rng: random.Random, cache: Path, extra_last: list[str]) -> list[SearchDocument]:
    folder = movielens_100k(cache)
    plays = Counter(
        line.split("\t")[1]
        for line in (folder / "ml-100k.inter").read_text(encoding="latin-1").splitlines()[1:]
    )
    docs = []
    for line in (folder / "ml-100k.item").read_text(encoding="latin-1").splitlines()[1:]:
        item, title, year, classes = [*line.split("\t"), "", "", ""][:4]
        docs.append(
            SearchDocument(
                title_id=uuid.UUID(int=int(item)),
                kind="movie",
                title=display_title(title.strip()),
                people=[f"{rng.choice(FIRST)} {rng.choice(extra_last).title()}son"],
                genres=[g for g in classes.split() if g in GENRES] or ["Drama"],
                synopsis=" ".join(rng.choices(SYNOPSIS_WORDS, k=20)),
                year=int(year) if year.strip().isdigit() else None,
                language="en",
                maturity_level=rng.choice([2, 3, 4, 5]),
                published=True,
                windows=[Window("*", EVER)],
                popularity=plays.get(item, 0),
            )
        )
    return docs


def _windows(rng: random.Random) -> list[Window]:
    roll = rng.random()
    if roll < 0.75:
        return [Window("*", EVER)]
    if roll < 0.85:
        return [Window(rng.choice(["US", "GB", "FR", "DE"]), EVER)]
    if roll < 0.95:
        return [Window("*", EVER, datetime(2030, 1, 1, tzinfo=UTC))]
    return [Window("*", datetime(2030, 1, 1, tzinfo=UTC))]


def _synthetic(
    rng: random.Random, count: int, vocab: list[str], names: list[str]
) -> list[SearchDocument]:
    pool = _zipf_pool(vocab, rng, count * 4)
    docs = []
    for n in range(count):
        length = rng.choice([1, 2, 2, 3, 3, 3, 4, 5])
        words = [pool[(n * 4 + i) % len(pool)] for i in range(length)]
        roll = rng.random()
        if roll < 0.25:
            words = ["the", *words]
        elif roll < 0.35 and length > 1:
            words = [words[0], "of", "the", *words[1:]]
        title = " ".join(w.capitalize() for w in words)
        if rng.random() < 0.1:
            title += f" {rng.randint(2, 6)}"
        docs.append(
            SearchDocument(
                title_id=uuid.UUID(int=10_000_000 + n),
                kind="series" if rng.random() < 0.25 else "movie",
                title=title,
                people=rng.sample(names, k=rng.randint(1, 5)),
                genres=rng.sample(GENRES, k=rng.randint(1, 3)),
                synopsis=" ".join(rng.choices(SYNOPSIS_WORDS + vocab[:300], k=25)),
                year=rng.randint(1930, 2025),
                language=rng.choice(["en"] * 6 + ["fr", "de", "es", "ja"]),
                maturity_level=rng.choice([0, 1, 2, 3, 3, 4, 4, 5, 5, 6]),
                published=rng.random() < 0.95,
                windows=_windows(rng),
                popularity=int(rng.paretovariate(1.2)) - 1,
            )
        )
    return docs


def build(count: int = 100_000, seed: int = 20261122, cache: Path = CACHE) -> Corpus:
    rng = random.Random(seed)
    extra_last = _generated_words(rng, 3000)
    movielens = _movielens(rng, cache, extra_last)
    title_words = Counter(
        w for doc in movielens for w in re.findall(r"[a-z]+", doc.title.lower()) if len(w) > 1
    )
    stop = {"the", "of", "a", "an", "and", "in", "to", "la", "le", "de"}
    common = [w for w, _ in title_words.most_common() if w not in stop]
    vocab = list(dict.fromkeys(COMMON_WORDS + common))
    vocab += _generated_words(rng, 20_000)
    names = [_person(rng, extra_last) for _ in range(40_000)]
    return Corpus(docs=movielens + _synthetic(rng, count, vocab, names), movielens=movielens)


if __name__ == "__main__":
    corpus = build(2000)
    for doc in corpus.docs[1680:1700]:
        print(doc.title, "|", doc.people[:2], doc.genres, doc.year)
