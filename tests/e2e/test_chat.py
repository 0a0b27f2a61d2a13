"""The chatbot end to end: real Rasa server, real action server, real web app, real model.

Each conversation goes through the chat API exactly as the widget drives it.
"""

from __future__ import annotations

import pytest

from tests.stack import Chat, bot_messages, escalation_of, payloads
from web.stack import Stack

pytestmark = [pytest.mark.rasa, pytest.mark.model]


def test_a_question_is_answered_from_the_knowledge_base(
    stack: Stack, stack_env: dict[str, str]
) -> None:
    """A clear question gets the best passage, an article card and 'did that answer it?'."""
    chat = Chat(stack.web_url)
    replies = chat.send("How do I return hiking boots I wore once indoors?")
    bot = bot_messages(replies)
    assert bot, replies
    cards = [a for m in bot for a in m["articles"]]
    assert cards and "return" in cards[0]["title"].lower(), bot
    assert all(a["url"].startswith("http://") for a in cards)
    assert "/affirm" in payloads(bot) and "/deny" in payloads(bot)
    assert chat.state == "bot"
    thanks = bot_messages(chat.send(payload="/affirm"))
    assert thanks and chat.state == "bot"
    # The customer's messages and every reply are stored, in order.
    history = chat.history()
    assert [m["sender"] for m in history][:2] == ["customer", "bot"]
    assert escalation_of(stack_env, chat.id) is None


def test_greeting_and_small_talk_do_not_escalate(stack: Stack) -> None:
    """Hello and chit-chat get friendly replies and no handoff."""
    chat = Chat(stack.web_url)
    assert bot_messages(chat.send("hi there"))
    assert bot_messages(chat.send("what's the weather like on mars?"))
    assert chat.state == "bot"


def test_an_unsure_question_offers_choices(stack: Stack) -> None:
    """A vague question gets up to three articles to choose from, and choosing one answers."""
    chat = Chat(stack.web_url)
    bot = bot_messages(chat.send("do you have a student discount"))
    choices = [p for p in payloads(bot) if p.startswith("/choose_article")]
    assert 1 <= len(choices) <= 3, bot
    answer = bot_messages(chat.send(payload=choices[0]))
    assert any(m["articles"] for m in answer), answer


def test_two_failed_answers_hand_over(stack: Stack, stack_env: dict[str, str]) -> None:
    """No, and no again: the bot tries the next article once, then hands over with context."""
    chat = Chat(stack.web_url)
    chat.send("How long does shipping take to my house?")
    chat.send(payload="/deny")
    assert chat.state == "bot"
    chat.send(payload="/deny")
    assert chat.state == "queued"
    escalation = escalation_of(stack_env, chat.id)
    assert escalation is not None and escalation.reason == "failed_answers"
    handoff = escalation.context["handoff"]
    assert [a["feedback"] for a in handoff["articles"]][:2] == ["not_helpful", "not_helpful"]
    assert handoff["turns"][0]["text"] == "How long does shipping take to my house?"
    # From now on the bot is silent: the message is stored, nothing answers it.
    later = chat.send("hello? anyone?")
    assert not bot_messages(later)
    assert chat.history()[-1]["text"] in {"hello? anyone?"} or any(
        m["text"] == "hello? anyone?" for m in chat.history()
    )


def test_asking_for_a_person_hands_over_at_once(stack: Stack, stack_env: dict[str, str]) -> None:
    """An explicit request escalates immediately, with no form in between."""
    chat = Chat(stack.web_url)
    replies = chat.send("I want to talk to a real person please")
    assert chat.state == "queued", replies
    escalation = escalation_of(stack_env, chat.id)
    assert escalation is not None and escalation.reason == "customer_request"
    system = [m for m in replies if m["sender"] == "system"]
    assert system, replies  # honest availability and expected response time


def test_an_angry_customer_is_handed_over(stack: Stack, stack_env: dict[str, str]) -> None:
    """Strongly negative, abusive tone goes to a person."""
    chat = Chat(stack.web_url)
    chat.send("This is fucking ridiculous, my order is lost AGAIN and your useless site is broken")
    assert chat.state == "queued"
    escalation = escalation_of(stack_env, chat.id)
    assert escalation is not None and escalation.reason == "negative_tone"
    assert escalation.context["handoff"]["tone"]["latest"] < 0


def test_a_business_rule_topic_goes_to_a_person(stack: Stack, stack_env: dict[str, str]) -> None:
    """Suspected fraud always goes to a human, however politely asked."""
    chat = Chat(stack.web_url)
    chat.send("Someone used my credit card fraudulently on your site, what should I do?")
    assert chat.state == "queued"
    escalation = escalation_of(stack_env, chat.id)
    assert escalation is not None and escalation.reason == "business_rule"


def test_rasa_stopped_mid_conversation_escalates_and_loses_nothing(
    stack: Stack, stack_env: dict[str, str]
) -> None:
    """The bot goes away: the customer is told, the message is kept, a person gets it."""
    chat = Chat(stack.web_url)
    assert bot_messages(chat.send("How do I track my order?"))
    stack.stop_process("rasa")
    try:
        replies = chat.send("and what if the tracking hasn't updated for a week?")
        assert chat.state == "queued"
        assert any(m["sender"] == "system" for m in replies)
        texts = [m["text"] for m in chat.history()]
        assert "and what if the tracking hasn't updated for a week?" in texts
        escalation = escalation_of(stack_env, chat.id)
        assert escalation is not None and escalation.reason == "bot_unavailable"
    finally:
        stack.start_process("rasa")
        stack.wait_healthy(names={"rasa"})
