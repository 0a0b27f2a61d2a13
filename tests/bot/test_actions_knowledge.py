"""The actions on a real knowledge base of the demo content (fast hashing embedder)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.actions import ActionAnswer, ActionFeedback
from bot.knowledge import KnowledgeBaseAdapter, shared_settings
from kb.articles import get_article
from kb.knowledge_base import KnowledgeBase
from kb.models import Phrasing, PhrasingSource
from tests.bot.chat import after, run, user
from tests.bot.kbs import demo_knowledge_base
from tests.kb.fakes import HashingEmbedder


@pytest.fixture(scope="module")
def demo_kb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeBase]:
    """The demo help centre with the hashing embedder, one per module (tests here commit)."""
    kb = demo_knowledge_base(tmp_path_factory.mktemp("bot"), HashingEmbedder())
    yield kb
    kb.close()


@pytest.fixture
def knowledge(demo_kb: KnowledgeBase) -> KnowledgeBaseAdapter:
    """The adapter the actions use."""
    return KnowledgeBaseAdapter(demo_kb)


def test_answers_from_the_article(knowledge: KnowledgeBaseAdapter) -> None:
    act = ActionAnswer(knowledge=knowledge, settings=knowledge.kb.settings)
    ran = run(act, [user("How do I return an item?")])
    assert ran.texts[0].startswith("From our help article “How to return an item”: ")
    assert ran.custom[0]["articles"][0]["ref"] == "how-to-return-an-item"
    assert ran.texts[1] == "Did that answer your question?"


def test_confirmed_answer_becomes_a_phrasing(knowledge: KnowledgeBaseAdapter) -> None:
    settings = knowledge.kb.settings
    question = "how can I send back the boots I bought last week"
    events = [user(question)]
    suggested = run(ActionAnswer(knowledge=knowledge, settings=settings), events)
    assert suggested.texts == ["These articles might help:"]
    events += [
        *after(suggested, "action_answer"),
        user('/choose_article{"article_ref": "how-to-return-an-item"}'),
    ]
    chosen = run(ActionAnswer(knowledge=knowledge, settings=settings), events)
    assert chosen.texts[0].startswith("From our help article “How to return an item”")
    events += [*after(chosen, "action_answer"), user("/affirm")]
    run(ActionFeedback(knowledge=knowledge, settings=settings), events)
    with knowledge.kb.sessions() as session:
        article = get_article(session=session, slug="how-to-return-an-item")
        learned = session.scalars(
            select(Phrasing).where(Phrasing.article_id == article.id, Phrasing.text == question)
        ).all()
    assert [p.source for p in learned] == [PhrasingSource.CONFIRMED_RESOLUTION]
    assert knowledge.search(question).hits[0].ref == "how-to-return-an-item"


def test_a_phrasing_is_recorded_once(knowledge: KnowledgeBaseAdapter) -> None:
    question = "what is the return window for gloves"
    assert knowledge.confirm_resolution(ref="return-policy", question=question) is True
    assert knowledge.confirm_resolution(ref="return-policy", question=question.upper()) is False


def test_unknown_articles_and_bad_phrasings_are_skipped(knowledge: KnowledgeBaseAdapter) -> None:
    assert knowledge.confirm_resolution(ref="no-such-article", question="hello there") is False
    assert knowledge.confirm_resolution(ref="return-policy", question="x" * 600) is False


def test_shared_settings_embed_on_one_thread_unless_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Concurrent actions embed on one thread each by default; the environment can say more."""
    monkeypatch.delenv("TIER0_EMBEDDING_THREADS", raising=False)
    shared_settings.cache_clear()
    try:
        assert shared_settings().embedding_threads == 1
        monkeypatch.setenv("TIER0_EMBEDDING_THREADS", "3")
        shared_settings.cache_clear()
        assert shared_settings().embedding_threads == 3
    finally:
        shared_settings.cache_clear()
