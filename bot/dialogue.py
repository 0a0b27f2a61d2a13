"""What the assistant does for each custom action, as functions of the conversation and collaborators.

Each flow starts the same way (:func:`begin`): welcome the customer back if an agent just handed
the conversation back, then run the escalation guard. The flows return a :class:`Reply`; the
``Action`` classes in ``bot.actions`` only read the tracker and dispatch it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot import answering as a
from bot.conversation import Conversation, Reply, show, with_feedback
from bot.escalation import Escalation, guard, strongly_negative, too_many_failures
from bot.handoff import hand_over
from bot.knowledge import Knowledge
from bot.rules import EscalationRules
from kb.config import Settings
from kb.documents import Source
from kb.results import Decision, SearchHit

WELCOME_BACK = (
    "Welcome back — I'm the assistant again. Ask me anything, or ask for a person at any time."
)
THANKS_TEXT = "Great, I'm glad that helped! Is there anything else I can help with?"
NEXT_LEAD = "Let's try another article."
SORRY_TEXT = "I'm sorry that didn't help."
HOW_CAN_I_HELP = (
    "How can I help? Ask me a question about your order, returns, your account or our gear."
)
ANYTHING_ELSE = "OK. Is there anything else I can help with?"
FRUSTRATION_TEXT = "I'm sorry this has been frustrating."
TELL_ME_MORE = "Tell me a little more about the problem and I'll try again."
OUT_OF_SCOPE_TEXT = (
    "I can only help with questions about Juniper Outfitters: orders and delivery, returns and "
    "refunds, payments, your account, products and sizing, warranty and repairs, and Trail Club."
)


@dataclass(frozen=True)
class Assistant:
    """The collaborators every flow needs."""

    knowledge: Knowledge
    settings: Settings
    rules: EscalationRules


def begin(
    conversation: Conversation, assistant: Assistant
) -> tuple[Conversation, Reply, Escalation | None]:
    """Welcome back after a handback (resetting failures and offers), then run the guard."""
    reply = Reply()
    if conversation.handed_back:
        reply.say(WELCOME_BACK)
        resets = {
            "failures": 0,
            "handoff_offered": False,
            "handed_over": False,
            "awaiting_feedback": False,
        }
        reply.set(**resets)
        conversation = conversation.with_state(**resets)
    return conversation, reply, guard(conversation, assistant.settings, assistant.rules)


def escalate(
    conversation: Conversation, reply: Reply, escalation: Escalation, assistant: Assistant
) -> Reply:
    """Hand the conversation over."""
    return hand_over(
        conversation, escalation, reply, tone_window=assistant.settings.frustration_turns
    )


def _fail(
    conversation: Conversation, reply: Reply, assistant: Assistant
) -> tuple[Conversation, Escalation | None]:
    """Count a failed answer; the escalation if that was one too many."""
    failures = conversation.state.failures + 1
    reply.set(failures=failures)
    conversation = conversation.with_state(failures=failures)
    return conversation, too_many_failures(failures, assistant.settings)


def _offer_person(conversation: Conversation, reply: Reply, text: str) -> Reply:
    """Offer a person, once per conversation; later, only say ``text``."""
    if conversation.state.handoff_offered:
        return reply.say(f"{text} {a.REPHRASE_TEXT}")
    reply.say(f"{text} {a.OFFER_TEXT}", a.OFFER_BUTTONS)
    return reply.set(handoff_offered=True)


def _show_answer(
    conversation: Conversation,
    assistant: Assistant,
    reply: Reply,
    hit: SearchHit,
    candidates: list[str],
    index: int,
    lead: str = "",
) -> Reply:
    """Answer from ``hit`` and wait for the customer's feedback on it."""
    a.say_answer(reply, hit, lead=lead)
    if hit.source == Source.OFFICIAL:
        _record(conversation, hit.ref, "bot_served", assistant)
    shown = show(conversation.state.shown, [a.card(hit)])
    return reply.set(
        candidates=candidates, candidate_index=index, awaiting_feedback=True, shown=shown
    )


def answer(conversation: Conversation, assistant: Assistant) -> Reply:
    """``action_answer``: answer, suggest articles or admit not knowing (ask_question, choose_article)."""
    conversation, reply, escalation = begin(conversation, assistant)
    if escalation:
        return escalate(conversation, reply, escalation, assistant)
    if conversation.latest.intent == "choose_article":
        return _choose(conversation, reply, assistant)
    state, settings = conversation.state, assistant.settings
    message = conversation.latest.text
    excluded = _excluded(conversation)
    found = a.find_answer(
        assistant.knowledge, message, state.question, settings=settings, exclude=excluded
    )
    result = found.result
    reply.set(question=found.query, awaiting_feedback=False)
    if result.decision == Decision.ANSWER and result.hits:
        candidates = [h.ref for h in a.distinct(result.hits, a.MAX_SUGGESTIONS)]
        return _show_answer(conversation, assistant, reply, result.hits[0], candidates, 0)
    if result.decision == Decision.SUGGEST and result.hits:
        hits = a.distinct(result.hits, a.MAX_SUGGESTIONS)
        a.say_suggestions(reply, hits)
        shown = show(state.shown, [a.card(h) for h in hits])
        return reply.set(candidates=[h.ref for h in hits], candidate_index=0, shown=shown)
    conversation, escalation = _fail(conversation, reply, assistant)
    reply.set(candidates=[], candidate_index=0)
    if escalation:
        return escalate(conversation, reply, escalation, assistant)
    return _offer_person(conversation, reply, a.NO_ANSWER_TEXT)


def _excluded(conversation: Conversation) -> set[str]:
    """Articles not to offer: the one the customer just found unhelpful in the help centre."""
    context = conversation.context
    if context.get("origin") == "article_feedback" and context.get("article_ref"):
        return {str(context["article_ref"])}
    return set()


def _choose(conversation: Conversation, reply: Reply, assistant: Assistant) -> Reply:
    """The customer picked a suggested article: answer from it."""
    state = conversation.state
    ref = conversation.entity("article_ref") or a.choice_from_text(conversation.latest.text)
    shown = state.article(ref) if ref else None
    queries = [state.question, shown["title"] if shown else ""]
    hit = a.find_article(assistant.knowledge, ref, queries) if ref else None
    if hit is None:
        conversation, escalation = _fail(conversation, reply, assistant)
        if escalation:
            return escalate(conversation, reply, escalation, assistant)
        return _offer_person(conversation, reply, "Sorry, I couldn't open that article.")
    others = [c for c in state.candidates if c != hit.ref]
    return _show_answer(conversation, assistant, reply, hit, [hit.ref, *others], 0)


def feedback(conversation: Conversation, assistant: Assistant) -> Reply:
    """``action_feedback``: the customer's yes or no (affirm, deny)."""
    conversation, reply, escalation = begin(conversation, assistant)
    if escalation:
        return escalate(conversation, reply, escalation, assistant)
    yes = conversation.latest.intent == "affirm"
    state = conversation.state
    ref = state.current
    if not (state.awaiting_feedback and ref):
        if conversation.offer and yes:
            return escalate(conversation, reply, _accepted(conversation.offer), assistant)
        return reply.say(ANYTHING_ELSE if conversation.offer else HOW_CAN_I_HELP)
    reply.set(awaiting_feedback=False)
    if _official(conversation, ref):
        _record(conversation, ref, "bot_confirmed" if yes else "bot_rejected", assistant)
    if yes:
        _remember(conversation, ref, assistant)
        reply.say(THANKS_TEXT)
        return reply.set(shown=with_feedback(state.shown, ref, "helpful"))
    conversation = conversation.with_state(
        shown=tuple(with_feedback(state.shown, ref, "not_helpful"))
    )
    reply.set(shown=list(conversation.state.shown))
    conversation, escalation = _fail(conversation, reply, assistant)
    if escalation:
        return escalate(conversation, reply, escalation, assistant)
    if state.candidate_index == 0 and len(state.candidates) > 1:
        following = state.candidates[1]
        entry = state.article(following)
        hit = a.find_article(
            assistant.knowledge, following, [state.question, entry["title"] if entry else ""]
        )
        if hit is not None:
            return _show_answer(
                conversation, assistant, reply, hit, list(state.candidates), 1, lead=NEXT_LEAD
            )
    return _offer_person(conversation, reply, SORRY_TEXT)


def _official(conversation: Conversation, ref: str) -> bool:
    """Whether ``ref`` is an official article the bot showed in this conversation."""
    entry = conversation.state.article(ref)
    return entry is not None and entry.get("source") == Source.OFFICIAL.value


def _record(conversation: Conversation, ref: str, kind: str, assistant: Assistant) -> None:
    """Note an article event (served, confirmed, rejected) for the article health report."""
    assistant.knowledge.record_event(ref=ref, kind=kind, conversation_ref=conversation.sender)


def _accepted(offer: str) -> Escalation:
    """The customer took up the bot's offer of a person, made because of ``offer``."""
    return Escalation(
        offer, f"the customer accepted the offer of a person ({offer.replace('_', ' ')})"
    )


def _remember(conversation: Conversation, ref: str, assistant: Assistant) -> None:
    """Teach search the customer's question as a phrasing of the official article that answered it."""
    entry = conversation.state.article(ref)
    question = conversation.state.question
    asked = {t.text for t in conversation.turns if t.typed}
    if entry and entry.get("source") == Source.OFFICIAL.value and question in asked:
        assistant.knowledge.confirm_resolution(ref=ref, question=question)


def handoff(conversation: Conversation, assistant: Assistant) -> Reply:
    """``action_handoff``: the customer asked for a person; hand over at once."""
    conversation, reply, escalation = begin(conversation, assistant)
    if conversation.offer:
        escalation = _accepted(conversation.offer)
    elif escalation is None or escalation.reason != "customer_request":
        escalation = Escalation("customer_request", "the customer asked for a person")
    return escalate(conversation, reply, escalation, assistant)


def frustration(conversation: Conversation, assistant: Assistant) -> Reply:
    """``action_frustration``: apologise and offer a person; hand over if the tone is very bad."""
    conversation, reply, escalation = begin(conversation, assistant)
    escalation = escalation or strongly_negative(
        conversation.latest, assistant.settings, assistant.rules
    )
    if escalation:
        return escalate(conversation, reply, escalation, assistant)
    if conversation.state.handoff_offered:
        return reply.say(f"{FRUSTRATION_TEXT} {TELL_ME_MORE}")
    reply.say(f"{FRUSTRATION_TEXT} {a.OFFER_TEXT}", a.OFFER_BUTTONS)
    return reply.set(handoff_offered=True, awaiting_feedback=False)


def out_of_scope(conversation: Conversation, assistant: Assistant) -> Reply:
    """``action_out_of_scope``: say what the assistant can help with."""
    conversation, reply, escalation = begin(conversation, assistant)
    if escalation:
        return escalate(conversation, reply, escalation, assistant)
    return reply.say(f"{OUT_OF_SCOPE_TEXT} What would you like to know?")
