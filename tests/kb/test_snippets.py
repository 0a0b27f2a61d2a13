"""Snippet windows and highlight spans (kb.snippets)."""

from __future__ import annotations

from kb.snippets import SNIPPET_CHARS, make_snippet
from kb.text import tokens


def stems(query: str) -> set[str]:
    """The query's keyword stems, as the search engine passes them."""
    return set(tokens(query))


def marked(snippet: str, spans: tuple[tuple[int, int], ...]) -> list[str]:
    """The highlighted pieces of a snippet."""
    return [snippet[a:b] for a, b in spans]


def filler(count: int, word: str = "lorem") -> str:
    """``count`` filler words."""
    return " ".join([word] * count)


def test_short_text_is_kept_whole_with_matches_marked() -> None:
    """A text within the width is not cut; every stemmed match is highlighted."""
    text = "Returning your Boots is free: return them within 30 days."

    snippet, spans = make_snippet(text, stems("return boots"))

    assert snippet == text
    assert marked(snippet, spans) == ["Returning", "Boots", "return"]


def test_stop_words_are_never_highlighted() -> None:
    """Even if a stop word's stem is passed in, it is not marked."""
    snippet, spans = make_snippet("The boots and the laces", {"the", "boot"})

    assert marked(snippet, spans) == ["boots"]


def test_no_match_gives_the_start_and_no_spans() -> None:
    """Without a match the snippet is the start of the text, cut with an ellipsis."""
    text = filler(100)

    snippet, spans = make_snippet(text, stems("parcel"))

    assert spans == ()
    assert snippet.endswith("…")
    assert not snippet.startswith("…")
    assert text.startswith(snippet[:-1])


def test_window_around_first_match_in_a_long_text() -> None:
    """A match deep in a long text is shown with context and ellipses on both sides."""
    text = f"{filler(80)} Your parcel is lost so we send another parcel today {filler(80, 'ipsum')}"

    snippet, spans = make_snippet(text, stems("lost parcel"))

    assert snippet.startswith("…")
    assert snippet.endswith("…")
    assert len(snippet) <= SNIPPET_CHARS + 2
    assert marked(snippet, spans) == ["parcel", "lost", "parcel"]
    context_before = spans[0][0] - len("…")
    assert SNIPPET_CHARS // 4 <= context_before <= SNIPPET_CHARS // 4 + len("lorem ")
    assert snippet[1:-1] in text


def test_window_is_cut_at_word_boundaries() -> None:
    """The window starts and ends on whole words of the original text."""
    text = f"{filler(80, 'alpha')} parcel {filler(80, 'omega')}"

    snippet, _ = make_snippet(text, stems("parcel"))

    inner = snippet[1:-1]
    start = text.index(inner)
    assert text[start - 1] == " "
    assert text[start + len(inner)] == " "
    assert set(inner.split()) <= {"alpha", "parcel", "omega"}


def test_match_at_the_start_has_no_leading_ellipsis() -> None:
    """When the first match opens the text, only the end is cut."""
    text = f"Parcel tracking explained. {filler(100)}"

    snippet, spans = make_snippet(text, stems("parcel"))

    assert not snippet.startswith("…")
    assert snippet.endswith("…")
    assert spans == ((0, 6),)
    assert marked(snippet, spans) == ["Parcel"]


def test_match_near_the_end_has_no_trailing_ellipsis() -> None:
    """When the window reaches the end of the text, only the start is cut."""
    text = f"{filler(100)} and finally the parcel arrived"

    snippet, spans = make_snippet(text, stems("parcel"))

    assert snippet.startswith("…")
    assert not snippet.endswith("…")
    assert snippet.endswith("the parcel arrived")
    assert marked(snippet, spans) == ["parcel"]


def test_matches_outside_the_window_are_not_marked() -> None:
    """Only matches inside the shown window get spans, and every span is inside it."""
    text = f"boots {filler(30)} parcel {filler(120)} parcel at the end"

    snippet, spans = make_snippet(text, stems("parcel"), width=120)

    assert marked(snippet, spans) == ["parcel"]
    assert all(0 <= a < b <= len(snippet) for a, b in spans)
    assert snippet.endswith("…")


def test_custom_width_bounds_the_snippet() -> None:
    """A smaller width gives a shorter window (ellipses aside)."""
    text = f"{filler(40)} boots {filler(40)}"

    snippet, spans = make_snippet(text, stems("boots"), width=60)

    assert len(snippet) <= 62
    assert marked(snippet, spans) == ["boots"]


def test_question_words_are_never_highlighted() -> None:
    """'Can I still return my boots?' marks return and boots, not I, my or can."""
    text = "Can I still return my boots?"
    snippet, spans = make_snippet(text, stems("can i return my boots"))
    assert [snippet[a:b] for a, b in spans] == ["return", "boots"]
