"""Typo tolerance against the corpus's own words (kb.spelling)."""

from __future__ import annotations

import pytest

from kb.spelling import SpellingCorrector, changed_words, english_words
from kb.text import words

CORPUS = (
    "You can return boots to our warehouse address within 30 days. "
    "Prices in franc are not accepted. Tent pegs, crampons and bivvy bags ship free."
)


@pytest.fixture(scope="module")
def corrector() -> SpellingCorrector:
    """A corrector that knows the corpus's words."""
    speller = SpellingCorrector()
    speller.add(words(CORPUS))
    return speller


@pytest.mark.parametrize(
    ("typo", "fixed"),
    [("retrun", "return"), ("adress", "address"), ("crampns", "crampons"), ("bivy", "bivvy")],
)
def test_misspelled_corpus_word_is_corrected(
    corrector: SpellingCorrector, typo: str, fixed: str
) -> None:
    """A word the corpus lacks, within edit distance 2 of a corpus word, is replaced by it."""
    assert typo not in english_words()

    assert corrector.correct_word(typo) == fixed


def test_correct_english_word_not_in_corpus_is_left_alone(corrector: SpellingCorrector) -> None:
    """'france' is English, so it is not 'corrected' to the corpus word 'franc'."""
    assert "france" not in corrector
    assert "franc" in corrector

    assert corrector.correct_word("france") == "france"
    assert corrector.correct("Shipping to France") == "Shipping to France"


def test_known_short_stop_and_non_alpha_words_are_kept(corrector: SpellingCorrector) -> None:
    """Corpus words, words under three letters, stop words and words with digits stay."""
    for word in ("boots", "xq", "the", "retrun2", "30"):
        assert corrector.correct_word(word) == word


def test_word_with_nothing_close_is_kept(corrector: SpellingCorrector) -> None:
    """A word far from every corpus word is returned unchanged."""
    assert corrector.correct_word("zzzzqqq") == "zzzzqqq"


def test_short_words_allow_only_one_edit(corrector: SpellingCorrector) -> None:
    """Up to four letters only one edit is allowed: 'tnt' → 'tent', but 'bpot' is not 'boots'."""
    assert corrector.correct_word("tnt") == "tent"
    assert "bpot" not in english_words()
    assert corrector.correct_word("bpot") == "bpot"


def test_correct_keeps_capitals_punctuation_and_spacing(corrector: SpellingCorrector) -> None:
    """Only the misspelled words change; a capitalised typo gets a capitalised correction."""
    assert corrector.correct("Retrun my boots,  adress?") == "Return my boots,  address?"


def test_all_caps_typo_stays_all_caps(corrector: SpellingCorrector) -> None:
    """A shouted typo is corrected in capitals, matching the rest of the query."""
    assert corrector.correct("RETRUN BOOTS") == "RETURN BOOTS"


def test_add_learns_only_alphabetic_words_of_three_or_more_letters() -> None:
    """Short words and words with digits are not learned; later additions are used."""
    speller = SpellingCorrector()

    speller.add(["ab", "x1y", "gaiters"])

    assert "ab" not in speller
    assert "x1y" not in speller
    assert "gaiters" in speller
    assert speller.correct_word("gaitres") == "gaiters"


def test_empty_corrector_changes_nothing() -> None:
    """With no words learned nothing is corrected."""
    assert SpellingCorrector().correct("retrun adress") == "retrun adress"


@pytest.mark.parametrize(
    ("original", "corrected", "changed"),
    [
        ("retrun boots", "return boots", True),
        ("Return  Boots ", "return boots", False),
        ("return boots", "return boots", False),
    ],
)
def test_changed_words_ignores_case_and_spacing(
    original: str, corrected: str, changed: bool
) -> None:
    """Only a change of words counts as a correction."""
    assert changed_words(original, corrected) is changed
