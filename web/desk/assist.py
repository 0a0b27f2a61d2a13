"""Agent assist: articles for the customer's latest message, canned responses filled in for this
customer, and an article draft prefilled from the conversation."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from kb import canned
from kb.config import Settings
from kb.knowledge_base import KnowledgeBase
from kb.models import Conversation, Message, Sender
from kb.search import MAX_QUERY_CHARS, QueryError
from web.desk.presenting import short_title
from web.desk.service import plan_names

SUGGESTIONS = 3
MAX_DRAFT_QUESTION = 4000


@dataclass(frozen=True, slots=True)
class Suggestion:
    """An article or community thread that may answer the customer, ready to insert."""

    title: str
    url: str
    snippet: str
    source: str

    @property
    def link_text(self) -> str:
        """What "Insert link" puts in the reply."""
        return f"{self.title}: {self.url}"

    @property
    def snippet_text(self) -> str:
        """What "Insert snippet" puts in the reply."""
        return f"{self.snippet.strip()}\n\nMore in “{self.title}”: {self.url}"


def latest_question(messages: Sequence[Message]) -> Message | None:
    """The customer's newest typed message (button presses are not questions)."""
    for message in reversed(messages):
        if message.sender == Sender.CUSTOMER and message.payload is None and message.text.strip():
            return message
    return None


def suggestions(
    knowledge_base: KnowledgeBase,
    text: str,
    *,
    url_for_hit: Callable[[str, str], str],
    limit: int = SUGGESTIONS,
) -> list[Suggestion]:
    """Published content for ``text``, best first (none for an empty or unsearchable text)."""
    query = " ".join(text.split())[:MAX_QUERY_CHARS]
    if not query:
        return []
    try:
        result = knowledge_base.search(query, limit=limit)
    except QueryError:
        return []
    return [
        Suggestion(
            title=hit.title,
            url=url_for_hit(hit.source.value, hit.ref),
            snippet=hit.snippet,
            source=hit.source.value,
        )
        for hit in result.hits
    ]


def canned_text(
    *,
    session: Session,
    canned_id: int,
    conversation: Conversation,
    agent_name: str,
    settings: Settings,
) -> tuple[str, str]:
    """A canned response's title and text for this customer and agent; raises CannedNotFound."""
    found = canned.get_canned(session=session, canned_id=canned_id)
    values = canned.values_for(
        customer=conversation.customer, agent_name=agent_name, plan_names=plan_names(settings)
    )
    if not values["customer.name"] and conversation.customer is None:
        values["customer.email"] = conversation.email or ""
    return found.title, canned.render(found.body, values)


@dataclass(frozen=True, slots=True)
class DraftPrefill:
    """What "Save as article draft" starts with."""

    title: str
    question: str
    answer: str


def draft_prefill(messages: Sequence[Message]) -> DraftPrefill:
    """The customer's question (their typed messages before the first agent reply) and the
    agent's last reply."""
    asked: list[str] = []
    for message in messages:
        if message.sender == Sender.AGENT:
            break
        if message.sender == Sender.CUSTOMER and message.payload is None and message.text.strip():
            asked.append(message.text.strip())
    question = "\n\n".join(asked)[:MAX_DRAFT_QUESTION]
    answer = next((m.text for m in reversed(messages) if m.sender == Sender.AGENT), "")
    return DraftPrefill(short_title(asked[0]) if asked else "", question, answer)
