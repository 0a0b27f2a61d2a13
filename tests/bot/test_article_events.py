"""The bot records article events for the health report: served, confirmed, rejected."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.actions import ActionAnswer, ActionFeedback
from bot.knowledge import KnowledgeBaseAdapter
from kb.articles import get_article
from kb.config import Settings
from kb.documents import Source
from kb.knowledge_base import KnowledgeBase
from kb.models import ArticleEvent
from kb.results import Decision
from tests.bot.chat import (
    StubKnowledge,
    after,
    hit,
    result,
    run,
    stub,
    user,
)
from tests.bot.kbs import demo_knowledge_base
from tests.kb.fakes import HashingEmbedder

SETTINGS = Settings(_env_file=None)  # type: ignore[call-arg]
RETURNS = "how-to-return-an-item"


def answered(
    knowledge: StubKnowledge, question: str = "How do I return an item?"
) -> list[dict[str, Any]]:
    """Events up to the bot's answer to ``question``."""
    events = [user(question)]
    ran = run(ActionAnswer(knowledge=knowledge, settings=SETTINGS), events)
    return [*events, *after(ran, "action_answer")]


def test_an_answer_records_served_with_the_conversation() -> None:
    knowledge = stub()
    answered(knowledge)
    assert knowledge.events == [("bot_served", RETURNS, "test")]


def test_suggestions_alone_serve_nothing() -> None:
    knowledge = stub()
    run(ActionAnswer(knowledge=knowledge, settings=SETTINGS), [user("refund")])
    assert knowledge.events == []


def test_yes_records_confirmed() -> None:
    knowledge = stub()
    events = answered(knowledge)
    run(ActionFeedback(knowledge=knowledge, settings=SETTINGS), [*events, user("/affirm")])
    assert knowledge.events[-1] == ("bot_confirmed", RETURNS, "test")


def test_no_records_rejected_then_serves_the_next_article() -> None:
    knowledge = stub()
    events = answered(knowledge)
    run(ActionFeedback(knowledge=knowledge, settings=SETTINGS), [*events, user("/deny")])
    assert knowledge.events == [
        ("bot_served", RETURNS, "test"),
        ("bot_rejected", RETURNS, "test"),
        ("bot_served", "return-labels", "test"),
    ]


def test_community_answers_record_nothing() -> None:
    thread = hit("42", "Boots leak", "Use wax.", source=Source.COMMUNITY)
    knowledge = StubKnowledge({"boots leak": result("boots leak", Decision.ANSWER, 0.9, thread)})
    events = answered(knowledge, "boots leak")
    run(ActionFeedback(knowledge=knowledge, settings=SETTINGS), [*events, user("/deny")])
    assert knowledge.events == []


@pytest.fixture(scope="module")
def demo_kb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeBase]:
    """The demo help centre with the hashing embedder (tests here commit)."""
    kb = demo_knowledge_base(tmp_path_factory.mktemp("events"), HashingEmbedder())
    yield kb
    kb.close()


def test_the_adapter_stores_events_and_skips_unknown_articles(demo_kb: KnowledgeBase) -> None:
    knowledge = KnowledgeBaseAdapter(demo_kb)
    knowledge.record_event(ref=RETURNS, kind="bot_served", conversation_ref="abc")
    knowledge.record_event(ref=RETURNS, kind="bot_rejected", conversation_ref="abc")
    knowledge.record_event(ref="no-such-article", kind="bot_served", conversation_ref="abc")
    knowledge.record_event(ref=RETURNS, kind="bot_exploded", conversation_ref="abc")
    with demo_kb.sessions() as session:
        article = get_article(session=session, slug=RETURNS)
        stored = session.execute(
            select(ArticleEvent.kind, ArticleEvent.conversation_ref).where(
                ArticleEvent.article_id == article.id
            )
        ).all()
    assert sorted(stored) == [("bot_rejected", "abc"), ("bot_served", "abc")]


def test_a_real_answer_and_no_are_stored(demo_kb: KnowledgeBase) -> None:
    knowledge = KnowledgeBaseAdapter(demo_kb)
    settings = demo_kb.settings
    events = [user("How do I return an item?")]
    ran = run(ActionAnswer(knowledge=knowledge, settings=settings), events)
    events += [*after(ran, "action_answer"), user("/deny")]
    run(ActionFeedback(knowledge=knowledge, settings=settings), events)
    with demo_kb.sessions() as session:
        kinds = session.scalars(
            select(ArticleEvent.kind).where(ArticleEvent.conversation_ref == "test")
        ).all()
    assert kinds.count("bot_rejected") == 1
    assert kinds.count("bot_served") >= 1
