"""Search queries for loading the demo help centre: natural questions, misspellings and keystrokes.

Made from the demo articles' titles and a hand-written list of customer questions about the demo's
topics (not from any evaluation split). Every query in a pool is distinct, so no request is answered
from a cache of earlier identical queries (the product keeps 2,048 query vectors per process; a real
help centre, whose popular questions repeat, gets some of its requests faster than measured here).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.datasets import add_typos

DEMO_ARTICLES = Path(__file__).resolve().parent.parent / "demo" / "articles"
_TITLE = re.compile(r"^title:\s*(.+?)\s*$", re.MULTILINE)

QUESTIONS = (
    "how long does a refund take",
    "where is my money back",
    "can i return boots i wore outside",
    "do i have to pay for return shipping",
    "how do i send back a jacket that is too small",
    "exchange hiking boots for a bigger size",
    "return something i got as a gift",
    "can i return a used sleeping bag",
    "i lost my return label",
    "refund was less than i paid",
    "my jacket zipper is broken",
    "tent pole snapped on a trip",
    "is my backpack covered by the warranty",
    "how do i make a warranty claim",
    "does the warranty cover wear and tear",
    "can you repair a ripped rain jacket",
    "how do i know what size jacket to buy",
    "what size boots should i get if i am between sizes",
    "how to measure torso length for a backpack",
    "which sleeping bag temperature rating do i need",
    "what does waterproof rating 20000mm mean",
    "how many people fit in a 3 person tent",
    "how do i wash my rain jacket",
    "when will my order arrive",
    "how much is shipping",
    "do you ship to canada",
    "do you deliver to germany",
    "can you ship to a po box",
    "my package says delivered but it is not here",
    "my order is late",
    "an item is missing from my box",
    "i got the wrong item",
    "how can i track my parcel",
    "cancel my order",
    "change the delivery address on my order",
    "i never got a confirmation email",
    "my card was declined",
    "what payment methods do you take",
    "can i pay with paypal",
    "there is a charge i do not recognise",
    "when do you charge my card",
    "my promo code does not work",
    "do i pay customs fees in the eu",
    "how do i get an invoice",
    "the price dropped after i bought it",
    "do you price match",
    "how do i check my gift card balance",
    "i forgot my password",
    "i cannot log in",
    "how do i change my email address",
    "set up two factor authentication",
    "sign in with my apple id",
    "delete my account",
    "stop sending me marketing emails",
    "what data do you keep about me",
    "is this text message from you real",
    "how do trail club points work",
    "my rewards points are missing",
    "is trail club membership free",
    "let me know when a product is back in stock",
)


KINDS = ("title", "question", "misspelled", "prefix")


@dataclass(frozen=True, slots=True)
class QueryPool:
    """Distinct queries in a shuffled order, each with its kind (see ``KINDS``)."""

    queries: tuple[str, ...]
    labels: tuple[str, ...]

    @property
    def kinds(self) -> dict[str, int]:
        """How many queries there are of each kind."""
        return {k: self.labels.count(k) for k in KINDS}

    def by_kind(self, per_kind: int) -> dict[str, list[str]]:
        """Up to ``per_kind`` queries of each kind, in pool order."""
        found: dict[str, list[str]] = {}
        for query, kind in zip(self.queries, self.labels, strict=True):
            if len(found.setdefault(kind, [])) < per_kind:
                found[kind].append(query)
        return found


def demo_titles(folder: Path = DEMO_ARTICLES) -> list[str]:
    """The titles of the demo articles (from their front matter)."""
    found = []
    for path in sorted(folder.rglob("*.md")):
        title = _TITLE.search(path.read_text(encoding="utf-8"))
        if title:
            found.append(title.group(1).strip("'\""))
    return found


def keystrokes(text: str, *, min_chars: int = 3) -> list[str]:
    """What instant search sees while someone types: the text cut after each word, and mid-word."""
    words = text.split()
    found = []
    for i, word in enumerate(words):
        before = " ".join(words[:i])
        for cut in sorted({max(1, len(word) // 2), len(word)}):
            prefix = f"{before} {word[:cut]}".strip()
            if len(prefix) >= min_chars:
                found.append(prefix)
    return found


def _variants(texts: Iterable[str]) -> list[str]:
    """Each text as written and lower-cased without a question mark, without duplicates."""
    return list(dict.fromkeys(v for t in texts for v in (t, t.lower().rstrip("?"))))


def build_pool(
    titles: Iterable[str],
    questions: Iterable[str],
    *,
    size: int,
    seed: int = 29,
    typo_share: float = 0.5,
    typo_rate: float = 0.2,
) -> QueryPool:
    """``size`` distinct queries: the titles and questions as written and lower-cased, then
    misspellings of them (``typo_share`` of the rest) and typing prefixes (misspelled or not).

    Typos are seeded keyboard slips in about ``typo_rate`` of the words of four letters or more.
    """
    kind_of = dict.fromkeys(_variants(titles), "title")
    for question in _variants(questions):
        kind_of.setdefault(question, "question")
    clean = list(kind_of)
    if not clean:
        raise ValueError("no base queries")
    rng = random.Random(seed)
    attempts = 0
    while len(kind_of) < size and attempts < size * 50:
        attempts += 1
        base = rng.choice(clean)
        kind = "misspelled" if rng.random() < typo_share else "prefix"
        text = add_typos(base, key=f"{attempts}", seed=seed, rate=typo_rate)
        if kind == "prefix":
            text = rng.choice(keystrokes(text) or [text])
        kind_of.setdefault(text, kind)
    queries = list(kind_of)
    rng.shuffle(queries)
    chosen = tuple(queries[:size])
    return QueryPool(chosen, tuple(kind_of[q] for q in chosen))


def demo_pool(size: int, *, questions: Sequence[str] = QUESTIONS) -> QueryPool:
    """The load-test pool for the demo help centre: its titles plus the hand-written questions."""
    return build_pool(demo_titles(), questions, size=size)
