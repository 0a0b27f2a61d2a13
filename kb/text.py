"""Tokenising for keyword search, spelling and highlighting (English, Snowball-stemmed)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    """The English Snowball stemmer (PyStemmer), created once."""
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """English stop words, as bm25s ships them."""
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


def words(text: str) -> list[str]:
    """Lower-cased words of a text, apostrophes kept inside words."""
    return [w.replace("’", "'") for w in WORD.findall(text.lower())]


@lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """The Snowball stem of one lower-cased word."""
    return str(_stemmer().stemWord(word))


def tokens(text: str) -> list[str]:
    """Keyword-search tokens: words without stop words, stemmed."""
    stop = stopwords()
    kept = [w for w in words(text) if w not in stop]
    return [str(t) for t in _stemmer().stemWords(kept)] if kept else []
