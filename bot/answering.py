"""Finding answers in the knowledge base and wording them; every answer's text comes from a hit.

The decision (answer, suggest, hand over) is the knowledge base's: its confidence is calibrated
and its thresholds configured (docs/search.md). This module only chooses which query to trust,
cleans the passage for chat, and lays out the messages and buttons of docs/chat.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace

from bot.conversation import Reply
from bot.knowledge import Knowledge
from kb.config import Settings
from kb.documents import PassageKind, Source
from kb.results import Decision, SearchHit, SearchResult
from kb.text import words

SEARCH_LIMIT = 10
FIND_LIMIT = 25
"""How deep to look for one article among a question's results."""
MAX_SUGGESTIONS = 3
MAX_QUESTION_CHARS = 300
BUTTON_TITLE_CHARS = 80
FOLLOWUP_OPENERS = ("what about", "how about", "and", "also", "what if")

FEEDBACK_QUESTION = "Did that answer your question?"
FEEDBACK_BUTTONS = (
    {"title": "Yes, thanks", "payload": "/affirm"},
    {"title": "No", "payload": "/deny"},
)
HUMAN_BUTTON = {"title": "Talk to a person", "payload": "/request_human"}
OFFER_BUTTONS = (HUMAN_BUTTON, {"title": "No thanks", "payload": "/deny"})
SUGGEST_TEXT = "These articles might help:"
NO_ANSWER_TEXT = "I'm sorry, I don't know the answer to that, and I don't want to guess."
OFFER_TEXT = "Would you like me to bring in a person from our team?"
REPHRASE_TEXT = "Could you put it another way? You can also ask for a person at any time."


@dataclass(frozen=True, slots=True)
class Found:
    """A search result and the query that produced it."""

    query: str
    result: SearchResult


def is_followup(text: str, *, max_words: int) -> bool:
    """A short message, or one that opens like a follow-up ("what about…", "and…")."""
    lowered = " ".join(words(text))
    opens = any(lowered == o or lowered.startswith(o + " ") for o in FOLLOWUP_OPENERS)
    return opens or 0 < len(words(text)) <= max_words


def without(result: SearchResult, refs: Collection[str], settings: Settings) -> SearchResult:
    """``result`` without the articles ``refs``; if the top one goes, never answer outright."""
    if not refs or not any(h.ref in refs for h in result.hits):
        return result
    hits = [h for h in result.hits if h.ref not in refs]
    top_removed = result.hits[0].ref in refs
    decision = result.decision
    if top_removed:
        confident = hits and result.confidence >= settings.suggest_threshold
        decision = Decision.SUGGEST if confident else Decision.HANDOVER
    return replace(result, hits=hits, decision=decision)


def find_answer(
    knowledge: Knowledge,
    message: str,
    previous: str,
    *,
    settings: Settings,
    exclude: Collection[str] = (),
) -> Found:
    """Search for ``message``; for a follow-up also with ``previous`` and keep the surer result."""
    found = Found(
        message, without(knowledge.search(message, limit=SEARCH_LIMIT), exclude, settings)
    )
    if previous and is_followup(message, max_words=settings.followup_max_words):
        query = f"{previous[-MAX_QUESTION_CHARS:]} {message}"
        combined = without(knowledge.search(query, limit=SEARCH_LIMIT), exclude, settings)
        if combined.confidence > found.result.confidence:
            return Found(query, combined)
    return found


def find_article(knowledge: Knowledge, ref: str, queries: Iterable[str]) -> SearchHit | None:
    """The hit for article ``ref`` (its best passage) when searching each query in turn."""
    for query in queries:
        if not query.strip():
            continue
        for hit in knowledge.search(query, limit=FIND_LIMIT).hits:
            if hit.ref == ref:
                return hit
    return None


def distinct(hits: Iterable[SearchHit], limit: int) -> list[SearchHit]:
    """The first ``limit`` hits with different refs."""
    seen: set[str] = set()
    kept = []
    for hit in hits:
        if hit.ref not in seen:
            seen.add(hit.ref)
            kept.append(hit)
    return kept[:limit]


def clean_passage(text: str) -> str:
    """A snippet made readable in chat: single spaces, no gaps before punctuation."""
    text = " ".join(text.split())
    text = re.sub(r"\s+([,.;:!?)])", r"\1", text)
    return re.sub(r"([(])\s+", r"\1", text)


def answer_text(hit: SearchHit) -> str:
    """The words of an answer: the hit's passage and where it comes from."""
    passage = clean_passage(hit.snippet)
    if hit.source == Source.COMMUNITY:
        if hit.passage_kind == PassageKind.ANSWER:
            return f"A community member answered this in “{hit.title}”: {passage}"
        return f"Our community has discussed this in “{hit.title}”."
    return f"From our help article “{hit.title}”: {passage}"


def card(hit: SearchHit) -> dict[str, str]:
    """An article card and a ``shown`` entry: ref, title, source."""
    return {"ref": hit.ref, "title": hit.title, "source": hit.source.value}


def choose_payload(ref: str) -> str:
    """The button payload that picks article ``ref``."""
    return "/choose_article" + json.dumps({"article_ref": ref}, ensure_ascii=False)


def button_title(title: str) -> str:
    """An article title short enough for a quick-reply button."""
    return title if len(title) <= BUTTON_TITLE_CHARS else title[: BUTTON_TITLE_CHARS - 1] + "…"


def say_answer(reply: Reply, hit: SearchHit, *, lead: str = "") -> Reply:
    """The passage, its article card, then "Did that answer your question?" with Yes/No."""
    text = answer_text(hit)
    reply.say(f"{lead} {text}" if lead else text)
    reply.attach({"articles": [card(hit)]})
    return reply.say(FEEDBACK_QUESTION, FEEDBACK_BUTTONS)


def say_suggestions(reply: Reply, hits: list[SearchHit]) -> Reply:
    """ "These articles might help:" with one button per article and one for a person."""
    buttons = [{"title": button_title(h.title), "payload": choose_payload(h.ref)} for h in hits]
    return reply.say(SUGGEST_TEXT, [*buttons, HUMAN_BUTTON])


def say_no_answer(reply: Reply, *, offer: bool) -> Reply:
    """Say plainly that the bot does not know; offer a person (or, if offered before, ask again)."""
    if offer:
        return reply.say(f"{NO_ANSWER_TEXT} {OFFER_TEXT}", OFFER_BUTTONS)
    return reply.say(f"{NO_ANSWER_TEXT} {REPHRASE_TEXT}")


def choice_from_text(text: str) -> str | None:
    """The ``article_ref`` of a ``/choose_article{...}`` payload, if the NLU dropped the entity."""
    match = re.fullmatch(r"/choose_article(\{.*\})", text.strip(), re.DOTALL)
    if not match:
        return None
    try:
        data = json.loads(match.group(1))
    except json.JSONDecodeError:
        return None
    ref = data.get("article_ref") if isinstance(data, dict) else None
    return str(ref) if ref else None
