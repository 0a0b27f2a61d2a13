"""The 'done when' of the help centre: every demo article can be found by a natural or misspelled question.

Runs against the real ``tier0 serve`` (real model) through the instant-search endpoint a visitor's
browser calls. The questions below are written fresh for this test: they are not the articles'
phrasings, which are indexed and would make the test trivially pass.
"""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.model

DEMO = Path(__file__).resolve().parents[2] / "demo" / "articles"
TOP = 3
NATURAL_QUESTIONS = {
    "my boots are too small can i send them back": "how-to-return-an-item",
    "i forgot my password and can't log in": "reset-your-password",
    "the parcel tracking says delivered but nothing arrived": "package-delivered-not-received",
    "is there a charge on my card i don't know about": "unrecognized-charge",
    "the zip on my jacket is stuck": "zipper-repairs",
    "how warm is a 20 degree sleeping bag really": "sleeping-bag-temperature-ratings",
    "can i change the address after ordering": "change-your-delivery-address",
    "do you deliver to germany": "international-shipping",
    "my card keeps getting refused at checkout": "payment-declined",
    "one of my tent poles snapped": "tent-pole-replacement",
    "how long until my money comes back after a return": "when-will-i-get-my-refund",
    "stop sending me marketing emails": "marketing-email-preferences",
}


def _articles() -> list[tuple[str, str]]:
    """(slug, title) of every demo article."""
    found = []
    for path in sorted(DEMO.glob("*/*.md")):
        header = path.read_text("utf-8").split("---")[1]
        meta = yaml.safe_load(header)
        found.append((meta["slug"], meta["title"]))
    return found


def _misspell(title: str) -> str:
    """The title with its longest word's two middle letters swapped (a typical typing slip)."""
    words = title.split()
    longest = max(range(len(words)), key=lambda i: len(re.sub(r"\W", "", words[i])))
    word = words[longest]
    if len(word) >= 4:
        middle = len(word) // 2
        word = word[: middle - 1] + word[middle] + word[middle - 1] + word[middle + 1 :]
    words[longest] = word
    return " ".join(words)


def _top_refs(base_url: str, query: str) -> list[str]:
    """The article slugs instant search offers for ``query``, best first."""
    url = f"{base_url}/search/instant?q={urllib.parse.quote(query)}"
    with urllib.request.urlopen(url, timeout=10) as response:
        hits = json.load(response)["hits"]
    refs = []
    for hit in hits:
        params = urllib.parse.parse_qs(urllib.parse.urlparse(hit["url"]).query)
        if params.get("source") == ["official"]:
            refs.append(params["ref"][0])
    return refs


def test_the_natural_questions_name_real_articles() -> None:
    """Guard against typos in the expectations above."""
    slugs = {slug for slug, _ in _articles()}
    assert set(NATURAL_QUESTIONS.values()) <= slugs


def test_every_article_is_found_by_its_misspelled_title(base_url: str) -> None:
    """All 67 demo articles come up in the top three for their title with a typo."""
    missed = []
    for slug, title in _articles():
        query = _misspell(title)
        refs = _top_refs(base_url, query)[:TOP]
        if slug not in refs:
            missed.append((query, slug, refs))
    assert not missed, missed


def test_natural_questions_find_their_articles(base_url: str) -> None:
    """Questions in customers' own words find the right article in the top three."""
    missed = []
    for question, slug in NATURAL_QUESTIONS.items():
        refs = _top_refs(base_url, question)[:TOP]
        if slug not in refs:
            missed.append((question, slug, refs))
    assert not missed, missed
