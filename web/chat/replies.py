"""The bot's replies as Tier0 stores them: text with buttons and article cards, and a handoff.

Pure functions over the Rasa REST channel's reply list (see docs/chat.md): ``custom.articles``
belong to the text message before them; ``custom.handoff`` hands the conversation to a person.
Anything malformed is dropped rather than shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kb.escalations import REASONS
from web.help.service import valid_ref

MAX_BUTTON_TITLE = 200
MAX_BUTTON_PAYLOAD = 500
MAX_ARTICLE_TITLE = 200
MAX_BOT_TEXT = 20_000
MAX_BUTTONS = 10
MAX_ARTICLES = 10


@dataclass(slots=True)
class BotMessage:
    """One message of the bot's, ready to store."""

    text: str = ""
    buttons: list[dict[str, str]] = field(default_factory=list)
    articles: list[dict[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class BotReply:
    """Everything the bot said to one customer message."""

    messages: list[BotMessage] = field(default_factory=list)
    handoff: dict[str, Any] | None = None

    @property
    def empty(self) -> bool:
        """The bot said nothing and handed nothing over."""
        return not self.messages and self.handoff is None


def parse_replies(replies: list[dict[str, Any]]) -> BotReply:
    """Group Rasa's reply list into messages (articles joined to the text before them)."""
    reply = BotReply()
    for item in replies:
        text = item.get("text")
        buttons = _buttons(item.get("buttons"))
        if (isinstance(text, str) and text.strip()) or buttons:
            clean = text[:MAX_BOT_TEXT] if isinstance(text, str) else ""
            reply.messages.append(BotMessage(text=clean, buttons=buttons))
        custom = item.get("custom")
        if not isinstance(custom, dict):
            continue
        cards = _articles(custom.get("articles"))
        if cards:
            if not reply.messages:
                reply.messages.append(BotMessage())
            reply.messages[-1].articles.extend(
                cards[: MAX_ARTICLES - len(reply.messages[-1].articles)]
            )
        if isinstance(custom.get("handoff"), dict):
            reply.handoff = clean_handoff(custom["handoff"])
    return reply


def clean_handoff(payload: dict[str, Any]) -> dict[str, Any]:
    """The handoff payload with a known reason (an unknown one is kept in ``reason_detail``)."""
    handoff = dict(payload)
    reason = handoff.get("reason")
    if reason not in REASONS:
        handoff["reason"] = "no_answer"
        detail = str(handoff.get("reason_detail") or "")
        handoff["reason_detail"] = f"unknown reason {reason!r} from the bot. {detail}".strip()
    for key in ("reason_detail", "summary"):
        if not isinstance(handoff.get(key), str):
            handoff[key] = ""
    handoff["ask_email"] = handoff.get("ask_email") is True
    return handoff


def _buttons(raw: Any) -> list[dict[str, str]]:
    """Buttons that have a title and a payload, as {"title", "payload"}."""
    if not isinstance(raw, list):
        return []
    buttons = []
    for button in raw[:MAX_BUTTONS]:
        if not isinstance(button, dict):
            continue
        title, payload = button.get("title"), button.get("payload")
        if isinstance(title, str) and title.strip() and isinstance(payload, str) and payload:
            buttons.append(
                {"title": title[:MAX_BUTTON_TITLE], "payload": payload[:MAX_BUTTON_PAYLOAD]}
            )
    return buttons


def _articles(raw: Any) -> list[dict[str, str]]:
    """Article cards with a valid ref, as {"ref", "title", "source"} (web builds the URLs)."""
    if not isinstance(raw, list):
        return []
    cards = []
    for card in raw[:MAX_ARTICLES]:
        if not isinstance(card, dict):
            continue
        ref, title = card.get("ref"), card.get("title")
        source = card.get("source") or "official"
        if not isinstance(ref, str) or not isinstance(title, str) or not isinstance(source, str):
            continue
        if valid_ref(source, ref):
            cards.append({"ref": ref, "title": title[:MAX_ARTICLE_TITLE], "source": source})
    return cards
