"""Typo tolerance: correct query words against the words the knowledge base actually contains."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from typing import Any

from kb.text import WORD, stopwords

MIN_WORD = 3


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Common English words (SymSpell's frequency list): a known word is never a typo."""
    import symspellpy

    path = resources.files(symspellpy) / "frequency_dictionary_en_82_765.txt"
    with path.open(encoding="utf-8") as lines:
        return frozenset(line.split(" ", 1)[0] for line in lines)


class SpellingCorrector:
    """Suggests the closest known word (SymSpell, edit distance ≤ 2) for words the corpus lacks."""

    def __init__(self) -> None:
        """An empty dictionary; feed it with :meth:`add`."""
        from symspellpy import SymSpell

        self._symspell: Any = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
        self._counts: Counter[str] = Counter()

    def add(self, words: Iterable[str]) -> None:
        """Learn words (lower-cased, as :func:`kb.text.words` yields them)."""
        new = Counter(w for w in words if len(w) >= MIN_WORD and w.isalpha())
        for word, count in new.items():
            self._symspell.create_dictionary_entry(word, count)
        self._counts.update(new)

    def __contains__(self, word: object) -> bool:
        """Whether the word is known."""
        return word in self._counts

    def correct_word(self, word: str) -> str:
        """The known word closest to ``word`` (the word itself if known or nothing is close)."""
        if len(word) < MIN_WORD or word in self._counts or not word.isalpha():
            return word
        if word in stopwords() or word in english_words():
            return word
        from symspellpy import Verbosity

        distance = 1 if len(word) <= 4 else 2
        found = self._symspell.lookup(word, Verbosity.CLOSEST, max_edit_distance=distance)
        if not found:
            return word
        best = max(found, key=lambda s: (-s.distance, s.count))
        return str(best.term)

    def correct(self, text: str) -> str:
        """The text with each unknown word replaced by its correction; other characters kept."""
        return WORD.sub(
            lambda m: self._keep_case(m.group(0), self.correct_word(m.group(0).lower())), text
        )

    @staticmethod
    def _keep_case(original: str, corrected: str) -> str:
        """Give the correction the original's capitalisation where it is simple to."""
        if corrected == original.lower():
            return original
        if original.isupper() and len(original) > 1:
            return corrected.upper()
        if original[:1].isupper():
            return corrected.capitalize()
        return corrected


def changed_words(original: str, corrected: str) -> bool:
    """Whether a correction changed anything but case and spacing."""
    squash = re.compile(r"\s+")
    return squash.sub(" ", original.lower()).strip() != squash.sub(" ", corrected.lower()).strip()
