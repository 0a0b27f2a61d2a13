"""How the editor console words an article's state and which workflow moves it offers."""

from __future__ import annotations

from dataclasses import dataclass

from kb.editorial import Draft
from kb.models import Article, ArticleStatus

STATUS_LABELS = {
    ArticleStatus.DRAFT: "Draft",
    ArticleStatus.IN_REVIEW: "In review",
    ArticleStatus.PUBLISHED: "Published",
    ArticleStatus.ARCHIVED: "Archived",
}


@dataclass(frozen=True, slots=True)
class Move:
    """A workflow button: the endpoint it posts to, its label and what it will do."""

    name: str
    label: str
    hint: str
    primary: bool = False
    danger: bool = False

    @property
    def endpoint(self) -> str:
        """The editor view that makes this move."""
        return f"editor.{self.name}_article"


def status_label(status: ArticleStatus | str) -> str:
    """'In review' for in_review."""
    return STATUS_LABELS.get(ArticleStatus(status), str(status))


def moves(article: Article, draft: Draft) -> list[Move]:
    """The moves editors and admins can make from the article's state, the usual one first."""
    status = article.status
    if status == ArticleStatus.PUBLISHED and draft.pending:
        offered = [
            Move(
                "publish", "Publish changes", "Replace the live version with this revision.", True
            ),
        ]
        if draft.status == ArticleStatus.DRAFT:
            offered.append(
                Move(
                    "submit", "Submit changes for review", "Ask another editor to check them first."
                )
            )
        return [
            *offered,
            Move("unpublish", "Unpublish", "Take it off the help centre; it becomes a draft."),
            Move("archive", "Archive", "Retire it; the pending changes are dropped.", danger=True),
        ]
    if status == ArticleStatus.PUBLISHED:
        return [
            Move("unpublish", "Unpublish", "Take it off the help centre; it becomes a draft."),
            Move("archive", "Archive", "Retire it from the help centre and search.", danger=True),
        ]
    if status == ArticleStatus.DRAFT:
        return [
            Move("submit", "Submit for review", "Ask another editor to check it.", True),
            Move("publish", "Publish now", "Put it on the help centre and in search."),
            Move("archive", "Archive", "Retire the draft.", danger=True),
        ]
    if status == ArticleStatus.IN_REVIEW:
        return [
            Move("publish", "Publish", "Put it on the help centre and in search.", True),
            Move("archive", "Archive", "Retire it without publishing.", danger=True),
        ]
    return [Move("unpublish", "Back to draft", "Bring it back as a draft to rework it.", True)]
