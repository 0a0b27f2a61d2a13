"""The bot's handoff as the desk shows it: why, what it tried, what it understood, the tone."""

from __future__ import annotations

from dataclasses import dataclass, field

from kb.models import Escalation
from web.desk import presenting
from web.desk.presenting import ToneTrend

FEEDBACK = {"helpful": "Helpful", "not_helpful": "Not helpful", "none": "No answer"}


@dataclass(frozen=True, slots=True)
class Turn:
    """A customer turn as the bot understood it."""

    text: str
    intent: str
    confidence: str
    tone: str


@dataclass(frozen=True, slots=True)
class TriedArticle:
    """An article the bot showed and what the customer said about it."""

    title: str
    ref: str
    source: str
    feedback: str


@dataclass(frozen=True, slots=True)
class Handoff:
    """Why the bot handed over and what it had tried (docs/chat.md, the handoff payload)."""

    reason: str
    detail: str
    summary: str
    turns: list[Turn]
    articles: list[TriedArticle]
    tone: ToneTrend | None
    details: dict[str, str] = field(default_factory=dict)


def handoff_view(escalation: Escalation) -> Handoff:
    """The stored handoff payload, read defensively (older or web-made payloads lack fields)."""
    payload = escalation.context.get("handoff") if isinstance(escalation.context, dict) else None
    payload = payload if isinstance(payload, dict) else {}
    turns_raw = [t for t in payload.get("turns") or [] if isinstance(t, dict)]
    turns = [
        Turn(
            text=str(t.get("text") or ""),
            intent=str(t.get("intent") or "—"),
            confidence=presenting.percent(presenting.number(t.get("confidence"))),
            tone="—"
            if presenting.number(t.get("tone")) is None
            else presenting.signed(float(t["tone"])),
        )
        for t in turns_raw
    ]
    tones = [float(t["tone"]) for t in turns_raw if presenting.number(t.get("tone")) is not None]
    trend = (
        payload.get("tone", {}).get("trend", "") if isinstance(payload.get("tone"), dict) else ""
    )
    articles = [
        TriedArticle(
            title=str(a.get("title") or a.get("ref") or ""),
            ref=str(a.get("ref") or ""),
            source=str(a.get("source") or "official"),
            feedback=FEEDBACK.get(str(a.get("feedback") or "none"), str(a.get("feedback"))),
        )
        for a in payload.get("articles") or []
        if isinstance(a, dict)
    ]
    details = payload.get("details")
    return Handoff(
        reason=presenting.reason_label(escalation.reason),
        detail=escalation.reason_detail,
        summary=escalation.summary,
        turns=turns,
        articles=articles,
        tone=presenting.tone_trend(tones, str(trend or "")),
        details={str(k): str(v) for k, v in details.items()} if isinstance(details, dict) else {},
    )
