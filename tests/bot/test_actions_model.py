"""action_answer with the real model on the demo help centre: answer, choices, or a person.

The questions are written for this test, not taken from the articles' phrasings.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.actions import ActionAnswer
from bot.knowledge import KnowledgeBaseAdapter
from tests.bot.chat import after, run, user
from tests.bot.kbs import demo_knowledge_base

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def action(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ActionAnswer]:
    """action_answer on the demo content, embedded with the real model."""
    kb = demo_knowledge_base(tmp_path_factory.mktemp("bot-model"))
    yield ActionAnswer(knowledge=KnowledgeBaseAdapter(kb), settings=kb.settings)
    kb.close()


def test_answers_a_question_it_knows(action: ActionAnswer) -> None:
    ran = run(action, [user("i forgot my password and can't log in")])
    assert ran.texts[0].startswith("From our help article “Reset your password”: ")
    assert ran.custom == [
        {
            "articles": [
                {"ref": "reset-your-password", "title": "Reset your password", "source": "official"}
            ]
        }
    ]
    assert ran.texts[-1] == "Did that answer your question?"


def test_offers_choices_when_unsure(action: ActionAnswer) -> None:
    ran = run(action, [user("my tent")])
    assert ran.texts == ["These articles might help:"]
    choices = [b["payload"] for b in ran.buttons]
    assert 2 <= len(choices) <= 4
    assert all(p.startswith("/choose_article") for p in choices[:-1])
    assert choices[-1] == "/request_human"


def test_offers_a_person_when_it_does_not_know(action: ActionAnswer) -> None:
    ran = run(action, [user("what's the capital of peru")])
    assert ran.texts[0].startswith("I'm sorry, I don't know the answer to that")
    assert ran.custom == []
    assert ran.buttons[0] == {"title": "Talk to a person", "payload": "/request_human"}


def test_follow_up_uses_the_conversation(action: ActionAnswer) -> None:
    events = [user("how much does standard shipping cost")]
    first = run(action, events)
    events += [*after(first, "action_answer"), user("and to Canada?")]
    ran = run(action, events)
    assert ran.custom[0]["articles"][0]["ref"] == "international-shipping"
