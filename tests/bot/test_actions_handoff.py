"""action_handoff, action_frustration and action_out_of_scope."""

from __future__ import annotations

from bot.actions import ActionAnswer, ActionFrustration, ActionHandoff, ActionOutOfScope
from bot.handoff import HANDOFF_LINE
from kb.config import Settings
from tests.bot.chat import after, run, stub, user

SETTINGS = Settings(_env_file=None)  # type: ignore[call-arg]
ANONYMOUS = {"customer": {"verified": False, "email_known": False}}
KNOWN = {"customer": {"verified": True, "plan": "plus", "name": "Ada", "email_known": True}}


def test_explicit_request_hands_over_at_once_with_the_payload() -> None:
    events = [user("Where is my order #A12345?", metadata=ANONYMOUS), user("/request_human")]
    ran = run(ActionHandoff(knowledge=stub(), settings=SETTINGS), events)
    assert ran.texts == [HANDOFF_LINE]
    assert len(ran.messages) == 2
    assert ran.messages[0]["custom"] == {}
    payload = ran.handoff
    assert payload is not None
    assert payload["reason"] == "customer_request"
    assert payload["details"] == {"order_number": "A12345"}
    assert payload["ask_email"] is True
    assert [t["intent"] for t in payload["turns"]] == ["ask_question", "request_human"]
    assert ran.slots["handed_over"] is True


def test_verified_customer_is_not_asked_for_an_email() -> None:
    ran = run(
        ActionHandoff(knowledge=stub(), settings=SETTINGS), [user("/request_human", metadata=KNOWN)]
    )
    assert ran.handoff is not None
    assert ran.handoff["ask_email"] is False
    assert ran.handoff["summary"] == "The customer asked for a person before asking a question."


def test_request_after_an_offer_keeps_the_offer_reason() -> None:
    knowledge = stub()
    events = [user("Can I bring my llama?")]
    first = run(ActionAnswer(knowledge=knowledge, settings=SETTINGS), events)
    events += [*after(first, "action_answer"), user("/request_human")]
    ran = run(ActionHandoff(knowledge=knowledge, settings=SETTINGS), events)
    assert ran.handoff is not None
    assert ran.handoff["reason"] == "no_answer"
    assert ran.handoff["summary"] == (
        "The customer asked “Can I bring my llama?”. The bot found no answer in the help centre."
    )


def frustration() -> ActionFrustration:
    """action_frustration with default settings."""
    return ActionFrustration(knowledge=stub(), settings=SETTINGS)


def test_frustration_apologises_and_offers_a_person_once() -> None:
    events = [user("this is so annoying", "express_frustration")]
    first = run(frustration(), events)
    assert first.texts == [
        "I'm sorry this has been frustrating. Would you like me to bring in a person from our team?"
    ]
    assert first.slots["handoff_offered"] is True
    assert first.handoff is None
    events += [*after(first, "action_frustration"), user("/deny")]
    events += [user("still annoying", "express_frustration")]
    second = run(frustration(), events)
    assert second.buttons == []
    assert second.handoff is None
    assert "bring in a person" not in second.texts[0]


def test_strongly_negative_frustration_hands_over_at_once() -> None:
    events = [
        user(
            "I am absolutely furious, this is the worst, most awful service", "express_frustration"
        )
    ]
    ran = run(frustration(), events)
    assert ran.handoff is not None
    assert ran.handoff["reason"] == "negative_tone"
    assert ran.handoff["tone"]["latest"] < -0.6


def test_abusive_frustration_hands_over_at_once() -> None:
    ran = run(frustration(), [user("your bot is crap", "express_frustration")])
    assert ran.handoff is not None
    assert ran.handoff["reason"] == "negative_tone"


def test_tone_escalation_can_be_switched_off() -> None:
    act = ActionFrustration(
        knowledge=stub(), settings=SETTINGS.model_copy(update={"escalate_on_tone": False})
    )
    ran = run(act, [user("your stupid bot is crap, I hate this", "express_frustration")])
    assert ran.handoff is None


def test_out_of_scope_says_what_the_bot_can_do() -> None:
    ran = run(
        ActionOutOfScope(knowledge=stub(), settings=SETTINGS),
        [user("what's the weather on Mars?", "out_of_scope")],
    )
    assert ran.texts[0].startswith("I can only help with questions about Juniper Outfitters")
    assert ran.handoff is None


def test_out_of_scope_runs_the_guard() -> None:
    ran = run(
        ActionOutOfScope(knowledge=stub(), settings=SETTINGS),
        [user("I'm going to call my lawyer about this", "out_of_scope")],
    )
    assert ran.handoff is not None
    assert ran.handoff["reason"] == "business_rule"
    assert ran.handoff["reason_detail"] == "rule 'legal' matched 'lawyer'"
