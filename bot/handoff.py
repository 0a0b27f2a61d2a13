"""The handoff: one short line to the customer and the structured payload web turns into an escalation.

The payload's fields are specified in docs/chat.md ("Custom payloads from actions").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from bot.conversation import Conversation, Reply, Turn
from bot.escalation import Escalation, quote
from bot.tone import summarise

HANDOFF_LINE = (
    "I'm bringing in a person from our team. They'll see our conversation, "
    "so you won't need to repeat yourself."
)
MAX_TURNS = 50
"""The payload lists at most this many of the latest customer turns (web keeps the transcript)."""

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}(?![\w-])", re.IGNORECASE)
ORDER_NUMBER = re.compile(
    r"(?:\border\s*(?:number|no\.?|num|id|#)?\s*(?:is\s+|:\s*)?#?\s*|#)"
    r"([A-Z]{0,4}-?\d[A-Z0-9-]{3,19})\b",
    re.IGNORECASE,
)
FEEDBACK_WORDS = {"helpful": "helpful", "not_helpful": "not helpful", "none": "no feedback"}


def collect_details(turns: Sequence[Turn]) -> dict[str, str]:
    """Details the customer typed: the latest email address and order number mentioned."""
    details: dict[str, str] = {}
    for turn in turns:
        if not turn.typed:
            continue
        if emails := EMAIL.findall(turn.text):
            details["email"] = emails[-1]
        if orders := ORDER_NUMBER.findall(turn.text):
            details["order_number"] = orders[-1].upper()
    return details


def first_question(conversation: Conversation) -> str:
    """The first thing the customer asked since the bot last had the conversation."""
    for turn in conversation.recent:
        if turn.typed and turn.intent in {"ask_question", "nlu_fallback", "out_of_scope"}:
            return turn.text
    return conversation.state.question


def summarise_conversation(conversation: Conversation) -> str:
    """One or two sentences for the agent: what the customer wants and what the bot tried."""
    question = first_question(conversation)
    if not question:
        return "The customer asked for a person before asking a question."
    shown = conversation.state.shown
    if shown:
        tried = ", ".join(
            f"{quote(s['title'], 60)} ({FEEDBACK_WORDS.get(s['feedback'], 'no feedback')})"
            for s in shown[-3:]
        )
        done = f"The bot showed {tried}."
    elif conversation.state.failures:
        done = "The bot found no answer in the help centre."
    else:
        done = "The bot has not suggested anything yet."
    return f"The customer asked {quote(question, 160)}. {done}"


def ask_email(conversation: Conversation, details: dict[str, str]) -> bool:
    """Whether web should ask an anonymous customer, once and optionally, for an email address."""
    customer = conversation.customer
    return (
        not customer.get("verified") and not customer.get("email_known") and "email" not in details
    )


def handoff_payload(
    conversation: Conversation, escalation: Escalation, *, tone_window: int = 3
) -> dict[str, Any]:
    """The ``handoff`` payload for web (docs/chat.md)."""
    turns = conversation.turns[-MAX_TURNS:]
    details = collect_details(conversation.turns)
    scores = [t.tone for t in conversation.recent if t.tone is not None]
    return {
        "reason": escalation.reason,
        "reason_detail": escalation.detail,
        "summary": summarise_conversation(conversation),
        "turns": [t.as_dict() for t in turns],
        "articles": [
            {
                "ref": s["ref"],
                "title": s.get("title", ""),
                "source": s.get("source", "official"),
                "feedback": s.get("feedback", "none"),
            }
            for s in conversation.state.shown
        ],
        "tone": summarise(scores, window=tone_window).as_dict(),
        "details": details,
        "ask_email": ask_email(conversation, details),
    }


def hand_over(
    conversation: Conversation, escalation: Escalation, reply: Reply, *, tone_window: int = 3
) -> Reply:
    """Tell the customer a person is coming and attach the handoff payload."""
    reply.say(HANDOFF_LINE)
    reply.attach({"handoff": handoff_payload(conversation, escalation, tone_window=tone_window)})
    return reply.set(handed_over=True, awaiting_feedback=False)
