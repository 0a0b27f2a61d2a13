"""Benchmark data: StackFAQ as Tier0 documents and queries, and a seeded typo generator.

The data lives outside the repository (``../shared/data`` from the repo root, or the folder named by
``TIER0_DATA_SETS``); see each data set's README for its licence. Nothing here ships in the product.
"""

from __future__ import annotations

import json
import os
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from kb.documents import SearchDocument, Source

REPO_ROOT = Path(__file__).resolve().parent.parent
TRAIN_FOLDS = frozenset({0, 1, 2})
HELD_OUT_FOLDS = frozenset({3, 4})
TYPO_SEED = 13
TYPO_RATE = 0.5
TYPO_MIN_LETTERS = 4


def data_dir() -> Path:
    """The folder holding the public evaluation data sets."""
    configured = os.environ.get("TIER0_DATA_SETS")
    return Path(configured).expanduser() if configured else REPO_ROOT.parent / "shared" / "data"


def _rows(path: Path) -> Iterator[dict[str, object]]:
    """The JSON objects of a JSONL file, with a clear error when it is missing."""
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found; set TIER0_DATA_SETS to the data sets folder")
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


@dataclass(frozen=True, slots=True)
class Query:
    """A user query, the thread that answers it, and its cross-validation fold."""

    query_id: str
    text: str
    thread_id: str
    fold: int


@dataclass(frozen=True, slots=True)
class Corpus:
    """Documents to index, and which thread each document key answers."""

    name: str
    documents: tuple[SearchDocument, ...]
    thread_of: dict[str, str]


@dataclass(frozen=True, slots=True)
class StackFAQ:
    """The StackFAQ QA pairs and paraphrase queries."""

    faqs: tuple[dict[str, object], ...]
    queries: tuple[Query, ...]


@lru_cache(maxsize=2)
def load_stackfaq(root: Path | None = None) -> StackFAQ:
    """Read ``stackfaq/faqs.jsonl`` and ``stackfaq/queries.jsonl``."""
    folder = (root or data_dir()) / "stackfaq"
    faqs = tuple(_rows(folder / "faqs.jsonl"))
    queries = tuple(
        Query(str(r["query_id"]), str(r["text"]), str(r["thread_id"]), int(r["fold"]))  # type: ignore[call-overload]
        for r in _rows(folder / "queries.jsonl")
    )
    return StackFAQ(faqs, queries)


def _article(key: str, title: str, body: str) -> SearchDocument:
    """An official help article, as the product indexes one (title + Markdown body)."""
    return SearchDocument(key=key, source=Source.OFFICIAL, ref=key, title=title, body=body)


def thread_corpus(data: StackFAQ) -> Corpus:
    """One article per thread: the question as title, the top-ranked answer as body (125 docs)."""
    docs = [
        _article(f"thread:{f['thread_id']}", str(f["question"]), str(f["answer"]))
        for f in data.faqs
        if f["answer_rank"] == 0
    ]
    return Corpus("thread", tuple(docs), {d.key: d.key.split(":", 1)[1] for d in docs})


def pair_corpus(data: StackFAQ) -> Corpus:
    """One article per QA pair: the question as title, the answer as body (719 docs)."""
    docs = [_article(f"faq:{f['faq_id']}", str(f["question"]), str(f["answer"])) for f in data.faqs]
    thread_of = {f"faq:{f['faq_id']}": str(f["thread_id"]) for f in data.faqs}
    return Corpus("pair", tuple(docs), thread_of)


# -- typos -------------------------------------------------------------------------------------

_KEYBOARD = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_WORD = re.compile(r"[A-Za-z]+")


def _neighbours() -> dict[str, str]:
    """QWERTY neighbours of each letter (same row left/right, rows above and below)."""
    where = {ch: (r, c) for r, row in enumerate(_KEYBOARD) for c, ch in enumerate(row)}
    found: dict[str, str] = {}
    for ch, (r, c) in where.items():
        near = [
            _KEYBOARD[rr][cc]
            for rr in (r - 1, r, r + 1)
            for cc in (c - 1, c, c + 1)
            if 0 <= rr < 3 and 0 <= cc < len(_KEYBOARD[rr]) and (rr, cc) != (r, c)
        ]
        found[ch] = "".join(near)
    return found


NEIGHBOURS = _neighbours()


def _near_key(ch: str, rng: random.Random) -> str:
    """A neighbouring key of ``ch``, in the same case."""
    near = rng.choice(NEIGHBOURS[ch.lower()])
    return near.upper() if ch.isupper() else near


def typo_word(word: str, rng: random.Random) -> str:
    """One typing error: swap adjacent letters, delete, insert a neighbour key, or hit a neighbour."""
    kind = rng.choice(("swap", "delete", "insert", "substitute"))
    if kind == "swap":
        spots = [i for i in range(len(word) - 1) if word[i].lower() != word[i + 1].lower()]
        if spots:
            i = rng.choice(spots)
            return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        kind = "substitute"
    i = rng.randrange(len(word))
    if kind == "delete":
        return word[:i] + word[i + 1 :]
    if kind == "insert":
        return word[:i] + _near_key(word[i], rng) + word[i:]
    return word[:i] + _near_key(word[i], rng) + word[i + 1 :]


def add_typos(text: str, *, key: str, seed: int = TYPO_SEED, rate: float = TYPO_RATE) -> str:
    """The text with a typo in about ``rate`` of its words of ≥ 4 letters; deterministic per key."""
    rng = random.Random(f"{seed}:{key}")

    def maybe(match: re.Match[str]) -> str:
        word = match.group(0)
        if len(word) < TYPO_MIN_LETTERS or rng.random() >= rate:
            return word
        return typo_word(word, rng)

    return _WORD.sub(maybe, text)


def with_typos(queries: tuple[Query, ...], *, seed: int = TYPO_SEED) -> tuple[Query, ...]:
    """The same queries, each with seeded random typos (same query id, thread and fold)."""
    return tuple(replace(q, text=add_typos(q.text, key=q.query_id, seed=seed)) for q in queries)
