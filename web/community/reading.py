"""What a reader sees: question lists and a question page, with held posts only for their authors."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.community import NotFound, QuestionSummary, browse_questions, get_question
from kb.models import Answer, FlagTarget, Question, Role, User, Vote
from kb.moderation import flagged_by
from web.community.service import can_see

PER_PAGE = 20
TABS = ("newest", "unanswered")


class BadListing(ValueError):
    """A list parameter (page, tab) was not one we understand; the message says which."""


@dataclass(frozen=True, slots=True)
class Listing:
    """One page of the question list."""

    items: list[QuestionSummary]
    total: int
    page: int
    pages: int
    tab: str
    category: str | None


@dataclass(frozen=True, slots=True)
class QuestionPage:
    """A question with the answers this reader may see, and what they may do with them."""

    question: Question
    answers: list[Answer]
    votes: dict[int, int]
    flagged: set[tuple[FlagTarget, int]]
    can_accept: bool
    viewer_id: int | None

    def flagged_question(self) -> bool:
        """Whether the reader has flagged the question."""
        return (FlagTarget.QUESTION, self.question.id) in self.flagged

    def flagged_answer(self, answer: Answer) -> bool:
        """Whether the reader has flagged this answer."""
        return (FlagTarget.ANSWER, answer.id) in self.flagged


def parse_page(raw: str | None) -> int:
    """A 1-based page number from the query string; BadListing for anything else."""
    if raw is None or raw == "":
        return 1
    if not raw.isdigit() or not 1 <= int(raw) <= 10_000:
        raise BadListing("The page must be a whole number from 1 to 10000.")
    return int(raw)


def list_page(
    *, session: Session, tab: str = "newest", category: str | None = None, page: int = 1
) -> Listing:
    """One page of visible questions: newest or unanswered, optionally in one category."""
    if tab not in TABS:
        raise BadListing(f"Unknown list {tab!r}; choose newest or unanswered.")
    items, total = browse_questions(
        session=session,
        category=category,
        unanswered=tab == "unanswered",
        limit=PER_PAGE,
        offset=(page - 1) * PER_PAGE,
    )
    pages = max(1, -(-total // PER_PAGE))
    return Listing(items, total, page, pages, tab, category)


def my_questions(*, session: Session, user_id: int, limit: int = 5) -> list[QuestionSummary]:
    """The person's own latest questions, including any waiting for a moderator."""
    items, _ = browse_questions(session=session, author_id=user_id, include_held=True, limit=limit)
    return items


def question_page(*, session: Session, question_id: int, viewer: User | None) -> QuestionPage:
    """The question and its answers as ``viewer`` may see them; NotFound if they may not."""
    question = get_question(session=session, question_id=question_id)
    if not can_see(question, viewer):
        raise NotFound(f"no question with id {question_id}")
    answers = sorted(
        (a for a in question.answers if can_see(a, viewer)),
        key=lambda a: (not a.accepted, -a.score, a.id),
    )
    votes: dict[int, int] = {}
    flagged: set[tuple[FlagTarget, int]] = set()
    if viewer is not None and answers:
        query = select(Vote.answer_id, Vote.value).where(
            Vote.user_id == viewer.id, Vote.answer_id.in_([a.id for a in answers])
        )
        votes = {answer_id: value for answer_id, value in session.execute(query)}
    if viewer is not None:
        flagged = flagged_by(session=session, user=viewer, posts=[question, *answers])
    can_accept = viewer is not None and (
        viewer.id == question.author_id or viewer.role != Role.CUSTOMER
    )
    return QuestionPage(
        question=question,
        answers=answers,
        votes=votes,
        flagged=flagged,
        can_accept=can_accept,
        viewer_id=viewer.id if viewer else None,
    )
