"""The escalation guard: when a conversation must go to a person, decided from its turns alone.

Every custom action runs :func:`guard` first. The triggers, in order: an explicit request, a
business rule, abusive or worsening tone, the same question asked again and again, and too many
failed answers. Each is configurable in :class:`kb.config.Settings` and ``bot/escalation.yml``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import fmean

from bot.conversation import NOT_QUESTIONS, Conversation, Turn
from bot.rules import EscalationRules
from bot.tone import trend
from kb.config import Settings
from kb.snippets import QUESTION_WORDS
from kb.text import stem, stopwords, words

QUOTE_CHARS = 80
FILLER = QUESTION_WORDS | frozenset(
    [
        "it",
        "its",
        "they",
        "them",
        "this",
        "that",
        "these",
        "those",
        "please",
        "pls",
        "hi",
        "hello",
        "again",
        "still",
    ]
)
"""Words that do not change what a question asks (beside the usual stop words)."""


@dataclass(frozen=True, slots=True)
class Escalation:
    """Why the conversation goes to a person: a reason from docs/chat.md and its detail."""

    reason: str
    detail: str


def quote(text: str, limit: int = QUOTE_CHARS) -> str:
    """``text`` in curly quotes, shortened to ``limit`` characters."""
    text = " ".join(text.split())
    return f"“{text if len(text) <= limit else text[: limit - 1] + '…'}”"


def explicit_request(turn: Turn, rules: EscalationRules) -> Escalation | None:
    """The customer asked for a person, by intent, button or in so many words."""
    if turn.intent == "request_human":
        said = quote(turn.text) if turn.typed else "“Talk to a person”"
        return Escalation("customer_request", f"the customer asked for a person: {said}")
    if turn.typed and rules.asks_for_human(turn.text):
        return Escalation(
            "customer_request", f"the customer asked for a person: {quote(turn.text)}"
        )
    return None


def business_rule(turn: Turn, rules: EscalationRules) -> Escalation | None:
    """A topic that always goes to a person (fraud, legal, safety…) came up."""
    if not turn.typed:
        return None
    match = rules.business_rule(turn.text)
    return Escalation("business_rule", match.detail) if match else None


def negative_tone(
    turns: Sequence[Turn], settings: Settings, rules: EscalationRules
) -> Escalation | None:
    """The latest message is abusive, or the tone stays low and keeps getting worse."""
    tone = turns[-1].tone if turns else None
    if not settings.escalate_on_tone or tone is None:
        return None
    if tone <= settings.abusive_tone_threshold and rules.is_abusive(turns[-1].text):
        return Escalation("negative_tone", f"abusive message (tone {tone:+.2f})")
    scores = [t.tone for t in turns if t.tone is not None]
    window = scores[-settings.frustration_turns :]
    if len(window) < settings.frustration_turns:
        return None
    average = fmean(window)
    if (
        average <= settings.tone_trend_threshold
        and trend(window, window=len(window)) == "worsening"
    ):
        return Escalation(
            "negative_tone",
            f"tone averaged {average:+.2f} over the last {len(window)} messages and is worsening",
        )
    return None


def strongly_negative(turn: Turn, settings: Settings, rules: EscalationRules) -> Escalation | None:
    """An expressed frustration that is strongly negative or abusive (hand over at once)."""
    if not settings.escalate_on_tone or turn.tone is None:
        return None
    if turn.tone <= settings.negative_tone_threshold:
        return Escalation("negative_tone", f"strongly negative message (tone {turn.tone:+.2f})")
    if turn.tone < 0 and rules.is_abusive(turn.text):
        return Escalation("negative_tone", f"abusive message (tone {turn.tone:+.2f})")
    return None


def same_question(first: str, second: str, *, similarity: float) -> bool:
    """Whether two messages ask the same: equal words, or enough shared keyword stems."""
    if words(first) == words(second):
        return bool(words(first))
    a, b = _keywords(first), _keywords(second)
    return bool(a and b) and len(a & b) / len(a | b) >= similarity


def _keywords(text: str) -> set[str]:
    """The stems of the words that say what a message asks."""
    stop = stopwords()
    return {stem(w) for w in words(text) if w not in stop and w not in FILLER}


def _is_question(turn: Turn) -> bool:
    """A typed message that may be a support question."""
    return turn.typed and turn.intent not in NOT_QUESTIONS and bool(words(turn.text))


def repeated_question(turns: Sequence[Turn], settings: Settings) -> Escalation | None:
    """The latest question was asked ``repeat_limit`` times (itself included)."""
    if settings.repeat_limit <= 0 or not turns or not _is_question(turns[-1]):
        return None
    latest = turns[-1].text
    times = sum(
        1
        for t in turns
        if _is_question(t) and same_question(t.text, latest, similarity=settings.repeat_similarity)
    )
    if times >= settings.repeat_limit:
        return Escalation("repeated_question", f"asked {quote(latest)} {times} times")
    return None


def too_many_failures(failures: int, settings: Settings) -> Escalation | None:
    """The bot failed to answer ``max_failed_answers`` times in this conversation."""
    if settings.max_failed_answers and failures >= settings.max_failed_answers:
        return Escalation("failed_answers", f"{failures} failed answers")
    return None


def guard(
    conversation: Conversation, settings: Settings, rules: EscalationRules
) -> Escalation | None:
    """The first escalation trigger that fires for the latest message, or None."""
    turns = conversation.recent
    if not turns:
        return None
    latest = turns[-1]
    return (
        explicit_request(latest, rules)
        or business_rule(latest, rules)
        or negative_tone(turns, settings, rules)
        or repeated_question(turns, settings)
        or too_many_failures(conversation.state.failures, settings)
    )
