"""Community services: people, questions, answers, votes, acceptance and moderation.

Every function takes the session explicitly and only flushes: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Insert, case, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from kb.changes import record_change
from kb.models import (
    Answer,
    Category,
    Moderation,
    Question,
    QuestionStatus,
    Role,
    User,
    Vote,
    utcnow,
)

MAX_TITLE = 200
MAX_BODY = 50_000
MAX_DISPLAY_NAME = 80
MAX_EMAIL = 254
MAX_EXTERNAL_ID = 200

_Enum = TypeVar("_Enum", Role, QuestionStatus, Moderation)


class CommunityError(ValueError):
    """Input for a user, question, answer or vote was invalid; the message says what is wrong."""


class NotFound(LookupError):
    """The requested question or answer does not exist."""


@dataclass(frozen=True, slots=True)
class QuestionSummary:
    """A question as a list shows it: its visible answers counted, accepted or not, their votes."""

    question: Question
    answers: int
    accepted: bool
    score: int


@dataclass(frozen=True)
class AnswerInput:
    """One answer as an import source has it; the imported score is the base local votes move."""

    body: str
    author_name: str | None = None
    score: int = 0
    accepted: bool = False


def get_or_create_user(
    *,
    session: Session,
    display_name: str,
    email: str | None = None,
    role: Role | str = Role.CUSTOMER,
) -> User:
    """The user with ``email`` (without one: the e-mail-less user so named), created if missing."""
    display_name = _clean_display_name(display_name)
    parsed_role = _parse(Role, role, "role")
    if email is not None:
        email = email.strip().lower()
        if "@" not in email or len(email) > MAX_EMAIL:
            raise CommunityError(f"{email!r} is not an e-mail address of at most {MAX_EMAIL} chars")
        query = select(User).where(User.email == email)
    else:
        query = select(User).where(User.email.is_(None), User.display_name == display_name)
    user = session.scalars(query.order_by(User.id).limit(1)).first()
    if user is None:
        user = User(display_name=display_name, email=email, role=parsed_role)
        session.add(user)
        session.flush()
    return user


def save_question(
    *,
    session: Session,
    title: str,
    body: str = "",
    author: User | None = None,
    category: str | None = None,
    external_id: str | None = None,
    status: QuestionStatus | str | None = None,
    moderation: Moderation | str | None = None,
) -> tuple[Question, bool]:
    """Create a question, or update the one imported with ``external_id``; whether anything changed.

    ``author``, ``status`` and ``moderation`` left as None keep their current values (for a new
    question: no author, open, visible); a change appends a change record.
    """
    values: dict[str, Any] = {
        "title": _clean_title(title),
        "body": _clean_body(body, what="question body", allow_empty=True),
        "category": None if category is None else _category(session, category),
    }
    if author is not None:
        values["author"] = author
    if status is not None:
        values["status"] = _parse(QuestionStatus, status, "question status")
    if moderation is not None:
        values["moderation"] = _parse(Moderation, moderation, "moderation state")
    if external_id is not None:
        external_id = external_id.strip()
        if not 1 <= len(external_id) <= MAX_EXTERNAL_ID:
            raise CommunityError(f"external_id must be 1 to {MAX_EXTERNAL_ID} characters")
    question = None
    if external_id is not None:
        question = session.scalar(select(Question).where(Question.external_id == external_id))
    created = question is None
    if question is None:
        question = Question(
            external_id=external_id, status=QuestionStatus.OPEN, moderation=Moderation.VISIBLE
        )
        session.add(question)
    changed = _assign(question, values)
    if created or changed:
        if not created:
            question.updated_at = utcnow()
        _touched(session, question)
    return question, created or changed


def add_answer(
    *,
    session: Session,
    question: Question,
    body: str,
    author: User | None = None,
    score: int = 0,
    accepted: bool = False,
    moderation: Moderation | str = Moderation.VISIBLE,
) -> Answer:
    """Add an answer to ``question``; an accepted one marks the question answered."""
    answer = Answer(
        body=_clean_body(body, what="answer body", allow_empty=False),
        author=author,
        score=score,
        accepted=False,
        moderation=_parse(Moderation, moderation, "moderation state"),
    )
    question.answers.append(answer)
    if accepted:
        _mark_accepted(question, answer)
    question.updated_at = utcnow()
    _touched(session, question)
    return answer


def replace_answers(
    *, session: Session, question: Question, answers: Sequence[AnswerInput]
) -> bool:
    """Make the question's answers match an import; whether anything changed.

    Answers are matched by body, so unchanged ones keep their id, votes and moderation; an
    imported score is a base to which local votes stay added.
    """
    wanted = [
        AnswerInput(
            body=_clean_body(item.body, what="answer body", allow_empty=False),
            author_name=None if item.author_name is None else _clean_display_name(item.author_name),
            score=item.score,
            accepted=item.accepted,
        )
        for item in answers
    ]
    accepted_count = sum(item.accepted for item in wanted)
    if accepted_count > 1:
        raise CommunityError(f"at most one answer can be accepted; {accepted_count} are")
    session.flush()
    local_votes = _vote_totals(session, [answer.id for answer in question.answers])
    unmatched = list(question.answers)
    changed = False
    for item in wanted:
        author = (
            None
            if item.author_name is None
            else get_or_create_user(session=session, display_name=item.author_name)
        )
        match = next((answer for answer in unmatched if answer.body == item.body), None)
        if match is None:
            question.answers.append(
                Answer(body=item.body, author=author, score=item.score, accepted=item.accepted)
            )
            changed = True
            continue
        unmatched.remove(match)
        votes = local_votes.get(match.id, 0)
        base_score = match.score - votes
        if (
            match.author is not author
            or base_score != item.score
            or match.accepted != item.accepted
        ):
            match.author, match.score, match.accepted = author, item.score + votes, item.accepted
            match.updated_at = utcnow()
            changed = True
    for stale in unmatched:
        question.answers.remove(stale)
        changed = True
    if any(item.accepted for item in wanted) and question.status == QuestionStatus.OPEN:
        question.status = QuestionStatus.ANSWERED
        changed = True
    if changed:
        question.updated_at = utcnow()
        _touched(session, question)
    return changed


def vote(*, session: Session, answer: Answer, user: User, value: int) -> Answer:
    """Record ``user``'s +1 or -1 on ``answer``: one vote per user, a new value replaces the old.

    Safe under concurrency without reading first: every step is a single write statement, so the
    database decides. The vote row is claimed with INSERT … ON CONFLICT DO NOTHING (the unique
    constraint arbitrates between racing requests); otherwise an UPDATE … WHERE value <> :value
    flips an opposite vote, which, as votes are only ever +1 or -1, moves the score by twice the
    value; the score itself moves in one atomic ``UPDATE answers SET score = score + :delta``.
    """
    if isinstance(value, bool) or value not in (1, -1):
        raise CommunityError(f"a vote must be +1 or -1, not {value!r}")
    session.flush()
    if _insert_vote(session, answer_id=answer.id, user_id=user.id, value=value):
        delta = value
    elif _flip_vote(session, answer_id=answer.id, user_id=user.id, value=value):
        delta = 2 * value
    else:
        return answer
    new_score = session.execute(
        update(Answer)
        .where(Answer.id == answer.id)
        .values(score=Answer.score + delta)
        .returning(Answer.score)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    set_committed_value(answer, "score", new_score)
    return answer


def accept_answer(*, session: Session, answer: Answer) -> Answer:
    """Accept ``answer`` and un-accept any other; an open question becomes answered."""
    question = answer.question
    if _mark_accepted(question, answer):
        question.updated_at = utcnow()
        _touched(session, question)
    return answer


def set_moderation(
    *, session: Session, answer_or_question: Answer | Question, state: Moderation | str
) -> None:
    """Show, hold or hide a question or answer; search learns of it through a change record."""
    new_state = _parse(Moderation, state, "moderation state")
    if answer_or_question.moderation == new_state:
        return
    answer_or_question.moderation = new_state
    answer_or_question.updated_at = utcnow()
    question = (
        answer_or_question
        if isinstance(answer_or_question, Question)
        else answer_or_question.question
    )
    _touched(session, question)


def get_question(*, session: Session, question_id: int) -> Question:
    """The question with ``question_id``; raises NotFound."""
    question = session.get(Question, question_id)
    if question is None:
        raise NotFound(f"no question with id {question_id}")
    return question


def list_questions(*, session: Session, include_hidden: bool = False) -> list[Question]:
    """Questions, newest first; only visible ones unless ``include_hidden`` (also pending ones)."""
    query = select(Question).order_by(Question.id.desc())
    if not include_hidden:
        query = query.where(Question.moderation == Moderation.VISIBLE)
    return list(session.scalars(query))


def get_answer(*, session: Session, answer_id: int) -> Answer:
    """The answer with ``answer_id``; raises NotFound."""
    answer = session.get(Answer, answer_id)
    if answer is None:
        raise NotFound(f"no answer with id {answer_id}")
    return answer


def browse_questions(
    *,
    session: Session,
    category: str | None = None,
    unanswered: bool = False,
    author_id: int | None = None,
    include_held: bool = False,
    status: QuestionStatus | str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> tuple[list[QuestionSummary], int]:
    """One page of questions, newest first, with answer counts; and how many match in all.

    Only visible questions and answers count unless ``include_held`` (an author's own list).
    ``unanswered`` keeps questions without a visible answer; ``category`` is a category slug;
    ``status`` keeps open, answered or closed questions only.
    """
    if limit < 1 or offset < 0:
        raise ValueError("limit must be positive and offset not negative")
    visible = Answer.moderation == Moderation.VISIBLE
    stats = (
        select(
            Answer.question_id.label("question_id"),
            func.count().label("answers"),
            func.max(case((Answer.accepted, 1), else_=0)).label("accepted"),
            func.sum(Answer.score).label("score"),
        )
        .where(visible)
        .group_by(Answer.question_id)
        .subquery()
    )
    conditions = []
    if not include_held:
        conditions.append(Question.moderation == Moderation.VISIBLE)
    if author_id is not None:
        conditions.append(Question.author_id == author_id)
    if status is not None:
        conditions.append(Question.status == _parse(QuestionStatus, status, "question status"))
    if category is not None:
        conditions.append(Question.category_id == _category(session, category).id)
    if unanswered:
        conditions.append(~exists().where(Answer.question_id == Question.id, visible))
    total = session.scalar(select(func.count()).select_from(Question).where(*conditions)) or 0
    query = (
        select(Question, stats.c.answers, stats.c.accepted, stats.c.score)
        .outerjoin(stats, stats.c.question_id == Question.id)
        .where(*conditions)
        .order_by(Question.created_at.desc(), Question.id.desc())
        .limit(limit)
        .offset(offset)
    )
    page = [
        QuestionSummary(
            question=question,
            answers=int(answers or 0),
            accepted=bool(accepted),
            score=int(score or 0),
        )
        for question, answers, accepted, score in session.execute(query)
    ]
    return page, int(total)


def _mark_accepted(question: Question, answer: Answer) -> bool:
    """Accept ``answer`` and no other, an open question becomes answered; whether that changed."""
    changed = False
    for candidate in question.answers:
        should = candidate is answer
        if candidate.accepted != should:
            candidate.accepted = should
            changed = True
    if question.status == QuestionStatus.OPEN:
        question.status = QuestionStatus.ANSWERED
        changed = True
    return changed


def _touched(session: Session, question: Question) -> None:
    """Flush and append a change record so search indexes pick the question up again."""
    session.flush()
    record_change(session=session, kind="question", entity_id=question.id)


def _flip_vote(session: Session, *, answer_id: int, user_id: int, value: int) -> bool:
    """Change the user's opposite vote on the answer to ``value``; whether there was one."""
    statement = (
        update(Vote)
        .where(Vote.answer_id == answer_id, Vote.user_id == user_id, Vote.value != value)
        .values(value=value)
        .returning(Vote.id)
        .execution_options(synchronize_session=False)
    )
    return session.execute(statement).first() is not None


def _insert_vote(session: Session, *, answer_id: int, user_id: int, value: int) -> bool:
    """Insert the vote unless one exists for that user and answer; whether it was inserted."""
    dialect = session.get_bind().dialect.name
    conflict_columns = [Vote.answer_id, Vote.user_id]
    statement: Insert
    if dialect == "postgresql":
        statement = postgresql.insert(Vote).on_conflict_do_nothing(index_elements=conflict_columns)
    elif dialect == "sqlite":
        statement = sqlite.insert(Vote).on_conflict_do_nothing(index_elements=conflict_columns)
    else:
        raise NotImplementedError(f"voting supports SQLite and PostgreSQL, not {dialect}")
    statement = statement.values(
        answer_id=answer_id, user_id=user_id, value=value, created_at=utcnow()
    )
    return session.execute(statement.returning(Vote.id)).first() is not None


def _vote_totals(session: Session, answer_ids: list[int]) -> dict[int, int]:
    """The sum of local votes per answer id."""
    if not answer_ids:
        return {}
    query = (
        select(Vote.answer_id, func.sum(Vote.value))
        .where(Vote.answer_id.in_(answer_ids))
        .group_by(Vote.answer_id)
    )
    return {answer_id: int(total) for answer_id, total in session.execute(query)}


def _assign(target: Question, values: dict[str, Any]) -> bool:
    """Set the attributes that differ; whether any did."""
    changed = False
    for name, value in values.items():
        current = getattr(target, name)
        differs = current is not value if name in ("author", "category") else current != value
        if differs:
            setattr(target, name, value)
            changed = True
    return changed


def _category(session: Session, slug: str) -> Category:
    """The category with ``slug``; a CommunityError names it if it does not exist."""
    category = session.scalar(select(Category).where(Category.slug == slug))
    if category is None:
        raise CommunityError(f"unknown category {slug!r}")
    return category


def _clean_display_name(name: str) -> str:
    """The stripped display name, or CommunityError if it is empty or too long."""
    name = name.strip()
    if not 1 <= len(name) <= MAX_DISPLAY_NAME:
        raise CommunityError(f"display name must be 1 to {MAX_DISPLAY_NAME} characters")
    return name


def _clean_title(title: str) -> str:
    """The stripped question title, or CommunityError if it is empty or too long."""
    title = title.strip()
    if not title:
        raise CommunityError("question title is empty")
    if len(title) > MAX_TITLE:
        raise CommunityError(f"question title is {len(title)} characters; the limit is {MAX_TITLE}")
    return title


def _clean_body(body: str, *, what: str, allow_empty: bool) -> str:
    """The stripped body, or CommunityError if it is empty (when not allowed) or too long."""
    body = body.strip()
    if not body and not allow_empty:
        raise CommunityError(f"{what} is empty")
    if len(body) > MAX_BODY:
        raise CommunityError(f"{what} is {len(body):,} characters; the limit is {MAX_BODY:,}")
    return body


def _parse(kind: type[_Enum], value: _Enum | str, what: str) -> _Enum:
    """The enum member for ``value``, or CommunityError listing the valid values."""
    try:
        return kind(value)
    except ValueError:
        valid = ", ".join(member.value for member in kind)
        raise CommunityError(f"unknown {what} {value!r}; expected one of {valid}") from None
