"""Splitting documents into passages (kb.chunking)."""

from __future__ import annotations

import pytest

from kb.chunking import MAX_PASSAGE_WORDS, passages_for, plain_text, sections
from kb.documents import Passage, PassageKind, SearchDocument, Source


def doc(body: str = "", **fields: object) -> SearchDocument:
    """A document titled 'Returns' with the given body and fields."""
    values: dict[str, object] = {
        "key": "article:1",
        "source": Source.OFFICIAL,
        "ref": "returns",
        "title": "Returns",
        "body": body,
    }
    values.update(fields)
    return SearchDocument(**values)  # type: ignore[arg-type]


def of_kind(passages: list[Passage], kind: PassageKind) -> list[Passage]:
    """The passages of one kind, in order."""
    return [p for p in passages if p.kind == kind]


def test_headings_split_the_body_into_sections() -> None:
    """Each heading starts a section; text before the first heading has no heading."""
    body = (
        "Intro words here.\n\n"
        "## Sending boots back\n\nPack them in the box.\n\n"
        "### Refund timing\nMoney arrives in five days.\n"
    )

    found = list(sections(body))

    assert found == [
        ("", ["Intro words here."]),
        ("Sending boots back", ["Pack them in the box."]),
        ("Refund timing", ["Money arrives in five days."]),
    ]


def test_each_section_becomes_its_own_body_passage_with_the_heading() -> None:
    """Body passages remember their heading and prefix it to the indexed text."""
    body = "## Sending boots back\nPack them in the box.\n\n## Refund timing\nMoney in five days."

    body_passages = of_kind(passages_for(doc(body)), PassageKind.BODY)

    assert [(p.heading, p.display) for p in body_passages] == [
        ("Sending boots back", "Pack them in the box."),
        ("Refund timing", "Money in five days."),
    ]
    assert body_passages[0].text == "Returns — Sending boots back\nPack them in the box."


def test_closing_hashes_and_empty_sections_are_handled() -> None:
    """A heading's closing hashes are dropped and a heading with no text yields nothing."""
    body = "# Empty section #\n\n## Real one ##\nSome text."

    assert list(sections(body)) == [("Real one", ["Some text."])]


def test_long_paragraph_is_split_into_pieces_of_at_most_max_words() -> None:
    """A paragraph longer than max_words is cut into bounded pieces, losing no word."""
    words = [f"word{i}" for i in range(125)]

    body_passages = of_kind(passages_for(doc(" ".join(words)), max_words=50), PassageKind.BODY)

    sizes = [len(p.display.split()) for p in body_passages]
    assert sizes == [50, 50, 25]
    assert [w for p in body_passages for w in p.display.split()] == words


def test_short_paragraphs_are_packed_together_up_to_max_words() -> None:
    """Small paragraphs share a passage until the next one would overflow it."""
    paragraphs = [" ".join(f"p{n}w{i}" for i in range(6)) for n in range(4)]

    body_passages = of_kind(
        passages_for(doc("\n\n".join(paragraphs)), max_words=12), PassageKind.BODY
    )

    assert [p.display for p in body_passages] == [
        f"{paragraphs[0]}\n\n{paragraphs[1]}",
        f"{paragraphs[2]}\n\n{paragraphs[3]}",
    ]


def test_default_bound_is_max_passage_words() -> None:
    """Without max_words, passages hold at most MAX_PASSAGE_WORDS words."""
    body = " ".join(f"w{i}" for i in range(MAX_PASSAGE_WORDS * 2 + 1))

    sizes = [len(p.display.split()) for p in of_kind(passages_for(doc(body)), PassageKind.BODY)]

    assert sizes == [MAX_PASSAGE_WORDS, MAX_PASSAGE_WORDS, 1]


def test_title_is_carried_into_every_body_and_answer_passage() -> None:
    """The title starts every indexed text, so a passage stays findable by the title's words."""
    long_body = "## Boots\n" + " ".join(f"w{i}" for i in range(40)) + "\n\nShort closing line."
    document = doc(
        long_body,
        title="  Returning boots  ",
        summary="How to send boots back.",
        answers=("Use the prepaid label.",),
    )

    passages = passages_for(document, max_words=15)

    assert passages[0] == Passage(
        "article:1", PassageKind.TITLE, "Returning boots", document.summary
    )
    carried = [p for p in passages if p.kind in {PassageKind.BODY, PassageKind.ANSWER}]
    assert len(carried) >= 5
    assert all(p.text.startswith("Returning boots") for p in carried)


def test_summary_becomes_the_first_body_passage() -> None:
    """A summary is indexed as a body passage after the title; without one the title displays."""
    with_summary = passages_for(doc(summary="Send boots back in 30 days."))
    without = passages_for(doc())

    assert [p.kind for p in with_summary] == [PassageKind.TITLE, PassageKind.BODY]
    assert with_summary[1].text == "Returns\nSend boots back in 30 days."
    assert without == [Passage("article:1", PassageKind.TITLE, "Returns", "Returns")]


def test_phrasings_and_answers_become_passages_of_their_kind() -> None:
    """Phrasings are indexed as they are (showing the title); answers carry the title."""
    document = doc(
        phrasings=("  how do I send boots back ", "   ", "can I get a refund"),
        answers=("Use the **prepaid** label.", ""),
    )

    passages = passages_for(document)

    assert [(p.text, p.display) for p in of_kind(passages, PassageKind.PHRASING)] == [
        ("how do I send boots back", "Returns"),
        ("can I get a refund", "Returns"),
    ]
    assert [(p.text, p.display) for p in of_kind(passages, PassageKind.ANSWER)] == [
        ("Returns\nUse the prepaid label.", "Use the prepaid label."),
    ]
    assert {p.doc_key for p in passages} == {"article:1"}


def test_long_answers_are_bounded_too() -> None:
    """An answer longer than max_words is split like a body paragraph."""
    answer = " ".join(f"a{i}" for i in range(25))

    answers = of_kind(passages_for(doc(answers=(answer,)), max_words=10), PassageKind.ANSWER)

    assert [len(p.display.split()) for p in answers] == [10, 10, 5]


def test_plain_text_strips_markup_but_keeps_link_words() -> None:
    """Links and images keep their words; emphasis, code, lists, quotes and tables go."""
    markdown = (
        "See [our returns page](https://example.com/returns) for **details**.\n"
        "![a muddy boot](boot.png)\n"
        "- first `item`\n"
        "2. second __item__\n"
        "> quoted words\n"
        "| size | price |\n"
    )

    text = plain_text(markdown)

    assert "our returns page" in text
    assert "a muddy boot" in text
    for gone in ("https", "example.com", "boot.png", "**", "__", "`", "|", ">", "- first"):
        assert gone not in text
    expected = "See our returns page for details . a muddy boot first item second item quoted"
    assert text.split() == [*expected.split(), "words", "size", "price"]


def test_single_column_table_separator_is_dropped() -> None:
    """A one-column table's separator row leaves no dashes behind."""
    assert plain_text("| size |\n|:---:|\n| small |").split() == ["size", "small"]


def test_multi_column_table_separator_is_dropped() -> None:
    """A table's separator row leaves no dashes behind, however many columns it has."""
    assert plain_text("| size | price |\n|---|:---:|\n| small | 10 |").split() == [
        "size",
        "price",
        "small",
        "10",
    ]


def test_markup_only_paragraph_yields_no_passage() -> None:
    """A paragraph that is only markup (a rule) leaves nothing to index."""
    passages = passages_for(doc("---"))

    assert of_kind(passages, PassageKind.BODY) == []


@pytest.mark.parametrize("fence", ["```", "~~~"])
def test_fenced_code_lines_are_not_headings(fence: str) -> None:
    """A '#' line inside a code fence is code, not a heading; after the fence headings work."""
    body = (
        f"Run this:\n\n{fence}bash\n# not a heading\n\necho done\n{fence}\n\n"
        "## After the code\nMore text."
    )

    found = list(sections(body))

    assert [heading for heading, _ in found] == ["", "After the code"]
    assert "# not a heading" in "\n".join(found[0][1])
    body_passages = of_kind(passages_for(doc(body)), PassageKind.BODY)
    assert "not a heading" in body_passages[0].display
    assert body_passages[0].heading == ""


@pytest.mark.parametrize("max_words", [9, 0, -5])
def test_too_small_max_words_raises_value_error(max_words: int) -> None:
    """max_words below 10 is refused with a message naming the value."""
    with pytest.raises(ValueError, match=rf"max_words must be at least 10, got {max_words}"):
        passages_for(doc("Some text."), max_words=max_words)


def test_smallest_allowed_max_words_works() -> None:
    """max_words of exactly 10 is accepted."""
    body = " ".join(f"w{i}" for i in range(20))

    assert len(of_kind(passages_for(doc(body), max_words=10), PassageKind.BODY)) == 2
