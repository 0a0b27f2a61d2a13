"""Knowledge capture: the agent drafts inbox (merge, publish, dismiss) and promoted answers."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from kb import capture, desk, editorial, queue
from kb.community import accept_answer, add_answer, get_or_create_user, save_question
from kb.models import Answer, Article, ArticleStatus, Moderation, Role, User
from tests.kb.desk_helpers import make_user, queued
from tests.kb.helpers import make_editor


def agent_draft(session: Session, agent: User, title: str = "Returning sale items") -> Article:
    """A draft an agent saved from a resolved conversation."""
    escalation = queued(session)
    queue.claim(session=session, escalation_id=escalation.id, agent_id=agent.id)
    return desk.save_as_draft(
        session=session,
        escalation=escalation,
        agent=agent,
        title=title,
        question="Can I return things I bought in the sale?",
        answer="Yes, sale items can be returned within 14 days.",
    )


def live_article(session: Session, editor: User) -> Article:
    """A published article about returns."""
    article = editorial.create_draft(
        session=session, editor=editor, title="Returns policy", body="Return within 30 days."
    )
    editorial.publish(session=session, article=article, editor=editor)
    return article


def accepted(session: Session) -> Answer:
    """An accepted answer by Sam to Quinn's question."""
    quinn = get_or_create_user(session=session, display_name="Quinn", email="q@example.com")
    sam = get_or_create_user(session=session, display_name="Sam", email="s@example.com")
    question, _ = save_question(
        session=session, title="Can I change my delivery address?", author=quinn
    )
    answer = add_answer(
        session=session, question=question, body="Yes: Orders → Change address.", author=sam
    )
    accept_answer(session=session, answer=answer)
    return answer


def test_inbox_lists_agent_drafts_only(session: Session) -> None:
    """Drafts from conversations wait in the inbox; editors' own drafts do not."""
    agent, editor = make_user(session, "Ann"), make_editor(session)
    draft = agent_draft(session, agent)
    editorial.create_draft(session=session, editor=editor, title="Mine", body="text")

    assert capture.inbox(session=session) == [draft]
    assert capture.get_draft(session=session, article_id=draft.id) is draft
    with pytest.raises(capture.DraftNotFound, match="no agent draft with id 0"):
        capture.get_draft(session=session, article_id=0)


def test_merge_as_revision_leaves_a_pending_revision_and_archives_the_draft(
    session: Session,
) -> None:
    """The live article keeps its text until publish; the pending revision has both bodies."""
    agent, editor = make_user(session, "Ann"), make_editor(session)
    target, draft = live_article(session, editor), agent_draft(session, agent)

    capture.merge(session=session, draft=draft, target=target, editor=editor, mode="revision")

    assert target.body == "Return within 30 days." and target.draft_revision is not None
    pending = editorial.working_copy(session=session, article=target)
    assert pending.body.startswith("Return within 30 days.")
    assert "Yes, sale items can be returned within 14 days." in pending.body
    assert "Can I return things I bought in the sale?" in [p.text for p in target.phrasings]
    assert draft.status == ArticleStatus.ARCHIVED and capture.inbox(session=session) == []
    [newest, *_] = editorial.revisions(session=session, article=target)
    assert "Merged the agent draft “Returning sale items”" in newest.note


def test_merge_as_phrasing_changes_only_the_phrasings(session: Session) -> None:
    """Merging as a phrasing teaches search how the customer asked; no new revision."""
    agent, editor = make_user(session, "Ann"), make_editor(session)
    target, draft = live_article(session, editor), agent_draft(session, agent)
    before = target.revision_number

    capture.merge(session=session, draft=draft, target=target, editor=editor, mode="phrasing")

    assert target.revision_number == before and target.draft_revision is None
    assert [p.text for p in target.phrasings] == ["Can I return things I bought in the sale?"]
    assert draft.status == ArticleStatus.ARCHIVED


def test_merge_refusals(session: Session) -> None:
    """Agents cannot merge; nor into itself, an archived article or with an unknown mode."""
    agent, editor = make_user(session, "Ann"), make_editor(session)
    draft, other = agent_draft(session, agent), agent_draft(session, agent, "Other")
    with pytest.raises(editorial.NotAllowed, match="Only admins and editors can merge"):
        capture.merge(session=session, draft=draft, target=other, editor=agent, mode="revision")
    with pytest.raises(capture.CaptureError, match="cannot be merged into itself"):
        capture.merge(session=session, draft=draft, target=draft, editor=editor, mode="phrasing")
    editorial.archive(session=session, article=other, editor=editor)
    with pytest.raises(capture.CaptureError, match="is archived"):
        capture.merge(session=session, draft=draft, target=other, editor=editor, mode="phrasing")
    assert draft.status == ArticleStatus.DRAFT


def test_publish_an_agent_draft(session: Session) -> None:
    """Publishing takes the draft live and out of the inbox; agents may not publish."""
    agent, editor = make_user(session, "Ann"), make_editor(session)
    draft = agent_draft(session, agent)
    with pytest.raises(editorial.NotAllowed):
        capture.publish_draft(session=session, draft=draft, editor=agent)

    capture.publish_draft(session=session, draft=draft, editor=editor)

    assert draft.status == ArticleStatus.PUBLISHED and capture.inbox(session=session) == []


def test_dismiss_archives_or_deletes_and_says_which(session: Session) -> None:
    """Dismissing archives by default; with delete the draft is gone."""
    agent, editor = make_user(session, "Ann"), make_editor(session)
    kept, gone = agent_draft(session, agent), agent_draft(session, agent, "Spam")
    gone_id = gone.id

    assert capture.dismiss(session=session, draft=kept, editor=editor).outcome == "archived"
    assert capture.dismiss(session=session, draft=gone, editor=editor, delete=True) == (
        capture.Dismissed("deleted", "Spam")
    )

    assert kept.status == ArticleStatus.ARCHIVED
    assert session.get(Article, gone_id) is None
    assert capture.inbox(session=session) == []


def test_promote_an_accepted_answer_keeps_attribution_and_a_link_back(session: Session) -> None:
    """The draft has the answer, credits Sam, links back, and remembers which answer it was."""
    answer, editor = accepted(session), make_editor(session)
    assert capture.promotable_answers(session=session) == [answer]

    article = capture.promote_answer(
        session=session, answer=answer, editor=editor, link="/community/questions/1#answer-2"
    )

    assert (article.status, article.title) == (
        ArticleStatus.DRAFT,
        "Can I change my delivery address?",
    )
    assert article.body.startswith("Yes: Orders → Change address.")
    assert "[an accepted community answer](/community/questions/1#answer-2) by Sam" in article.body
    assert (article.origin, article.origin_ref) == ("community", f"answer:{answer.id}")
    assert [p.text for p in article.phrasings] == ["Can I change my delivery address?"]
    assert capture.promotable_answers(session=session) == []
    assert capture.promoted_article(session=session, answer=answer) is article
    with pytest.raises(capture.CaptureError, match="already promoted"):
        capture.promote_answer(session=session, answer=answer, editor=editor)


def test_only_accepted_visible_answers_are_promoted_by_editors(session: Session) -> None:
    """Not accepted, hidden, or by an agent: refused with the reason."""
    answer, editor = accepted(session), make_editor(session)
    agent = make_user(session, "Ann", Role.AGENT)
    with pytest.raises(editorial.NotAllowed):
        capture.promote_answer(session=session, answer=answer, editor=agent)
    answer.moderation = Moderation.HIDDEN
    with pytest.raises(capture.CaptureError, match="held or hidden"):
        capture.promote_answer(session=session, answer=answer, editor=editor)
    answer.moderation, answer.accepted = Moderation.VISIBLE, False
    with pytest.raises(capture.CaptureError, match="not accepted"):
        capture.promote_answer(session=session, answer=answer, editor=editor)
