"""Differences between two article revisions: per field, and the body line by line (difflib)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

from kb.models import ArticleRevision

LineOp = Literal["equal", "insert", "delete"]
RowOp = Literal["equal", "replace", "insert", "delete"]

# Fields compared besides the body, in display order.
FIELDS = ("title", "slug", "summary", "category", "tags", "status")


@dataclass(frozen=True)
class FieldChange:
    """One field's value in the older and the newer revision, and whether it changed."""

    name: str
    before: str
    after: str
    changed: bool


@dataclass(frozen=True)
class InlineLine:
    """One body line in an inline (unified) diff: kept, added or removed."""

    op: LineOp
    text: str


@dataclass(frozen=True)
class SideBySideRow:
    """One row of a side-by-side diff; a side is None where that revision has no line."""

    op: RowOp
    left: str | None
    right: str | None
    left_number: int | None
    right_number: int | None


@dataclass(frozen=True)
class RevisionDiff:
    """What changed from revision ``a`` to revision ``b`` of one article."""

    a: int
    b: int
    fields: tuple[FieldChange, ...]
    inline: tuple[InlineLine, ...]
    side_by_side: tuple[SideBySideRow, ...]

    @property
    def body_changed(self) -> bool:
        """Whether any body line differs."""
        return any(line.op != "equal" for line in self.inline)

    @property
    def changed_fields(self) -> tuple[FieldChange, ...]:
        """Only the fields (besides the body) whose value differs."""
        return tuple(f for f in self.fields if f.changed)


def compare(
    older: ArticleRevision, newer: ArticleRevision, *, categories: dict[int, str]
) -> RevisionDiff:
    """The diff from ``older`` to ``newer``; ``categories`` maps category ids to slugs."""
    fields = []
    for name in FIELDS:
        before = _shown(older, name, categories)
        after = _shown(newer, name, categories)
        fields.append(FieldChange(name=name, before=before, after=after, changed=before != after))
    left, right = older.body.splitlines(), newer.body.splitlines()
    return RevisionDiff(
        a=older.number,
        b=newer.number,
        fields=tuple(fields),
        inline=tuple(inline_lines(left, right)),
        side_by_side=tuple(side_by_side_rows(left, right)),
    )


def inline_lines(left: list[str], right: list[str]) -> list[InlineLine]:
    """The inline diff of two line lists: removed lines before the lines that replace them."""
    lines: list[InlineLine] = []
    matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            lines.extend(InlineLine("equal", text) for text in left[i1:i2])
            continue
        lines.extend(InlineLine("delete", text) for text in left[i1:i2])
        lines.extend(InlineLine("insert", text) for text in right[j1:j2])
    return lines


def side_by_side_rows(left: list[str], right: list[str]) -> list[SideBySideRow]:
    """The side-by-side diff of two line lists, pairing replaced lines row by row."""
    rows: list[SideBySideRow] = []
    matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for offset in range(max(i2 - i1, j2 - j1)):
            i, j = i1 + offset, j1 + offset
            has_left, has_right = i < i2, j < j2
            if tag == "equal":
                op: RowOp = "equal"
            elif has_left and has_right:
                op = "replace"
            else:
                op = "delete" if has_left else "insert"
            rows.append(
                SideBySideRow(
                    op=op,
                    left=left[i] if has_left else None,
                    right=right[j] if has_right else None,
                    left_number=i + 1 if has_left else None,
                    right_number=j + 1 if has_right else None,
                )
            )
    return rows


def _shown(revision: ArticleRevision, name: str, categories: dict[int, str]) -> str:
    """A field of ``revision`` as text for display."""
    if name == "category":
        return categories.get(revision.category_id, "") if revision.category_id else ""
    if name == "tags":
        return ", ".join(revision.tags)
    if name == "status":
        return str(revision.status.value)
    return str(getattr(revision, name))
