"""Knowledge capture: the editors' inbox of agent drafts, and community answers promoted to drafts.

Agents save drafts from resolved conversations (``kb.desk.save_as_draft``: origin
``"conversation"``). Editors merge one into an existing article (as a new revision or as
phrasings), publish it, or dismiss it (archived, or deleted for good). An accepted community
answer can become an article draft (origin ``"community"``, ``origin_ref`` ``"answer:<id>"``)
that credits its author and links back. Functions only flush; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb import editorial
from kb.articles import add_phrasing
from kb.changes import record_change
from kb.editorial_errors import EDITORS, check_role
from kb.models import Answer, Article, ArticleStatus, Moderation, PhrasingSource, Question, User

CONVERSATION = "conversation"
COMMUNITY = "community"
MergeMode = Literal["revision", "phrasing"]


class CaptureError(ValueError):
    """An inbox or promotion action cannot be done; the message says why."""


class DraftNotFound(LookupError):
    """No agent draft (or community answer) has that id."""


@dataclass(frozen=True, slots=True)
class Dismissed:
    """What dismissing did: ``archived`` (kept, out of the inbox) or ``deleted``."""

    outcome: Literal["archived", "deleted"]
    title: str


def inbox(*, session: Session) -> list[Article]:
    """Agent drafts from conversations still waiting for an editor (draft or in review), oldest first."""
    query = (
        select(Article)
        .where(
            Article.origin == CONVERSATION,
            Article.status.in_((ArticleStatus.DRAFT, ArticleStatus.IN_REVIEW)),
        )
        .order_by(Article.created_at, Article.id)
    )
    return list(session.scalars(query).unique())


def get_draft(*, session: Session, article_id: int) -> Article:
    """The inbox draft with ``article_id``; DraftNotFound if there is none (or it left the inbox)."""
    article = session.get(Article, article_id)
    if (
        article is None
        or article.origin != CONVERSATION
        or article.status not in (ArticleStatus.DRAFT, ArticleStatus.IN_REVIEW)
    ):
        raise DraftNotFound(f"no agent draft with id {article_id} in the inbox")
    return article


def merge_targets(*, session: Session) -> list[Article]:
    """Articles a draft can be merged into: published, draft or in review, and not in the inbox."""
    query = (
        select(Article)
        .where(
            Article.status != ArticleStatus.ARCHIVED,
            (Article.origin != CONVERSATION) | (Article.status == ArticleStatus.PUBLISHED),
        )
        .order_by(Article.title, Article.id)
    )
    return list(session.scalars(query).unique())


def merge(
    *,
    session: Session,
    draft: Article,
    target: Article,
    editor: User,
    mode: MergeMode,
    body: str | None = None,
) -> Article:
    """Merge ``draft`` into ``target`` and archive the draft; the target article is returned.

    ``mode="revision"``: a new revision of the target whose body is ``body`` (by default the
    target's working body followed by the draft's), pending if the target is live. Either way the
    draft's phrasings (how the customer asked) become phrasings of the target;
    ``mode="phrasing"`` adds only those (or the draft's title when it has none).
    """
    check_role(editor, EDITORS, "merge drafts")
    if draft.id == target.id:
        raise CaptureError("A draft cannot be merged into itself; choose another article.")
    if target.status == ArticleStatus.ARCHIVED:
        raise CaptureError(f"“{target.title}” is archived; merge into a live or draft article.")
    if mode not in ("revision", "phrasing"):
        raise CaptureError(f"unknown merge mode {mode!r}; expected revision or phrasing")
    note = f"Merged the agent draft “{draft.title}” ({draft.origin_ref or 'no conversation'})."
    if mode == "revision":
        if body is None:
            current = editorial.working_copy(session=session, article=target).body
            body = f"{current.rstrip()}\n\n{draft.body.strip()}\n"
        editorial.edit(session=session, article=target, editor=editor, note=note, body=body)
    texts = [p.text for p in draft.phrasings] or [draft.title]
    for text in texts:
        add_phrasing(session=session, article=target, text=text, source=PhrasingSource.EDITOR)
    editorial.archive(
        session=session, article=draft, editor=editor, note=f"Merged into “{target.slug}”."
    )
    record_change(session=session, kind="article", entity_id=target.id)
    session.flush()
    return target


def publish_draft(*, session: Session, draft: Article, editor: User, note: str = "") -> Article:
    """Publish the agent draft as it stands (editors and admins only)."""
    return editorial.publish(session=session, article=draft, editor=editor, note=note)


def dismiss(
    *, session: Session, draft: Article, editor: User, delete: bool = False, note: str = ""
) -> Dismissed:
    """Take the draft out of the inbox: archived (kept, with its history) or, with ``delete``, gone."""
    title = draft.title
    if not delete:
        editorial.archive(
            session=session, article=draft, editor=editor, note=note or "Dismissed from the inbox."
        )
        return Dismissed("archived", title)
    check_role(editor, EDITORS, "delete drafts")
    article_id = draft.id
    session.delete(draft)
    session.flush()
    record_change(session=session, kind="article", entity_id=article_id)
    return Dismissed("deleted", title)


def promotable_answers(*, session: Session, limit: int = 20) -> list[Answer]:
    """Accepted, visible community answers not promoted yet, newest first."""
    promoted = select(Article.origin_ref).where(Article.origin == COMMUNITY)
    refs = set(session.scalars(promoted))
    query = (
        select(Answer)
        .join(Question, Answer.question_id == Question.id)
        .where(
            Answer.accepted.is_(True),
            Answer.moderation == Moderation.VISIBLE,
            Question.moderation == Moderation.VISIBLE,
        )
        .order_by(Answer.updated_at.desc(), Answer.id.desc())
    )
    found = [a for a in session.scalars(query).unique() if _ref(a) not in refs]
    return found[:limit]


def promoted_article(*, session: Session, answer: Answer) -> Article | None:
    """The article draft already made from ``answer``, if any."""
    query = select(Article).where(Article.origin == COMMUNITY, Article.origin_ref == _ref(answer))
    return session.scalars(query).first()


def promote_answer(
    *, session: Session, answer: Answer, editor: User, link: str = "", title: str | None = None
) -> Article:
    """An article draft from an accepted community answer, crediting its author and linking back.

    ``link`` is the answer's address on the site (the body ends with an attribution line using
    it); the question's title becomes the article's title (unless ``title``) and a phrasing.
    """
    check_role(editor, EDITORS, "promote community answers")
    question = answer.question
    if not answer.accepted:
        raise CaptureError("Only an accepted answer can be promoted; this one is not accepted.")
    if answer.moderation != Moderation.VISIBLE or question.moderation != Moderation.VISIBLE:
        raise CaptureError("This answer or its question is held or hidden; approve it first.")
    existing = promoted_article(session=session, answer=answer)
    if existing is not None:
        raise CaptureError(
            f"This answer was already promoted to the article “{existing.title}” ({existing.slug})."
        )
    author = answer.author.display_name if answer.author else "a community member"
    source = f"[an accepted community answer]({link})" if link else "an accepted community answer"
    body = f"{answer.body.strip()}\n\n---\n\n*Adapted from {source} by {author}.*\n"
    article = editorial.create_draft(
        session=session,
        editor=editor,
        title=title or question.title,
        body=body,
        category=question.category.slug if question.category else None,
        origin=COMMUNITY,
        origin_ref=_ref(answer),
        note=f"Promoted from the community answer {answer.id} by {author}.",
    )
    add_phrasing(session=session, article=article, text=question.title)
    session.flush()
    return article


def _ref(answer: Answer) -> str:
    """The ``origin_ref`` of an article promoted from ``answer``."""
    return f"answer:{answer.id}"
