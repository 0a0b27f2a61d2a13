"""action_feedback: yes records a confirmed resolution, no tries the next article, then a person."""

from __future__ import annotations

from typing import Any

from bot.actions import ActionAnswer, ActionFeedback
from kb.config import Settings
from tests.bot.chat import StubKnowledge, after, run, stub, user

SETTINGS = Settings(_env_file=None)  # type: ignore[call-arg]


def answered(
    knowledge: StubKnowledge, question: str = "How do I return an item?"
) -> list[dict[str, Any]]:
    """Events up to the bot's answer to ``question``."""
    events = [user(question)]
    ran = run(ActionAnswer(knowledge=knowledge, settings=SETTINGS), events)
    return [*events, *after(ran, "action_answer")]


def feedback(knowledge: StubKnowledge, **settings: object) -> ActionFeedback:
    """action_feedback on ``knowledge``."""
    return ActionFeedback(knowledge=knowledge, settings=SETTINGS.model_copy(update=settings))


def test_yes_thanks_and_records_the_question_as_a_phrasing() -> None:
    knowledge = stub()
    ran = run(feedback(knowledge), [*answered(knowledge), user("/affirm")])
    assert ran.texts == ["Great, I'm glad that helped! Is there anything else I can help with?"]
    assert knowledge.confirmed == [("how-to-return-an-item", "How do I return an item?")]
    assert ran.slots["awaiting_feedback"] is False
    assert ran.slots["shown"][0]["feedback"] == "helpful"


def test_typed_yes_works_too() -> None:
    knowledge = stub()
    ran = run(feedback(knowledge), [*answered(knowledge), user("yes that's it", "affirm")])
    assert ran.slots["shown"][0]["feedback"] == "helpful"


def test_community_answers_are_not_recorded_as_phrasings() -> None:
    knowledge = stub()
    events = answered(knowledge)
    shown = [
        {"ref": "how-to-return-an-item", "title": "t", "source": "community", "feedback": "none"}
    ]
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"} | {"shown": shown}
    run(feedback(knowledge), [*events, user("/affirm")], **slots)
    assert knowledge.confirmed == []


def test_combined_follow_up_query_is_not_recorded() -> None:
    knowledge = stub()
    events = answered(knowledge, "How long does shipping take?")
    events += [user("What about international orders?")]
    ran = run(ActionAnswer(knowledge=knowledge, settings=SETTINGS), events)
    events += [*after(ran, "action_answer"), user("/affirm")]
    run(feedback(knowledge), events)
    assert knowledge.confirmed == []


def test_no_tries_the_next_candidate_once() -> None:
    knowledge = stub()
    ran = run(feedback(knowledge, max_failed_answers=3), [*answered(knowledge), user("/deny")])
    assert (
        ran.texts[0]
        == "Let's try another article. From our help article “Return labels”: Print the prepaid label."
    )
    assert ran.texts[1] == "Did that answer your question?"
    assert ran.slots["candidate_index"] == 1
    assert ran.slots["awaiting_feedback"] is True
    assert ran.slots["failures"] == 1
    assert [s["feedback"] for s in ran.slots["shown"]] == ["not_helpful", "none"]


def test_second_no_offers_a_person_when_failures_allow() -> None:
    knowledge = stub()
    events = [*answered(knowledge), user("/deny")]
    first = run(feedback(knowledge, max_failed_answers=3), events)
    events += [*after(first, "action_feedback"), user("/deny")]
    ran = run(feedback(knowledge, max_failed_answers=3), events)
    assert ran.texts == [
        "I'm sorry that didn't help. Would you like me to bring in a person from our team?"
    ]
    assert ran.slots["handoff_offered"] is True
    assert ran.slots["failures"] == 2


def test_two_rejected_answers_hand_over() -> None:
    knowledge = stub()
    events = [*answered(knowledge), user("/deny")]
    first = run(feedback(knowledge), events)
    events += [*after(first, "action_feedback"), user("no", "deny")]
    ran = run(feedback(knowledge), events)
    assert ran.handoff is not None
    assert ran.handoff["reason"] == "failed_answers"
    assert [a["feedback"] for a in ran.handoff["articles"]] == ["not_helpful", "not_helpful"]
    assert ran.slots["handed_over"] is True


def test_no_without_another_candidate_offers_a_person() -> None:
    knowledge = stub()
    knowledge.results["how do i return an item?"].hits[1:] = []
    ran = run(feedback(knowledge), [*answered(knowledge), user("/deny")])
    assert ran.texts[0].startswith("I'm sorry that didn't help. Would you like")
    assert {"title": "Talk to a person", "payload": "/request_human"} in ran.buttons


def test_yes_or_no_out_of_the_blue() -> None:
    for text in ("/affirm", "/deny"):
        ran = run(feedback(stub()), [user("hi", "greet"), user(text)])
        assert ran.texts == [
            "How can I help? Ask me a question about your order, returns, your account or our gear."
        ]
        assert ran.handoff is None


def offered(knowledge: StubKnowledge) -> list[dict[str, Any]]:
    """Events up to the bot's offer of a person after finding nothing."""
    events = [user("Can I bring my llama?")]
    ran = run(ActionAnswer(knowledge=knowledge, settings=SETTINGS), events)
    return [*events, *after(ran, "action_answer")]


def test_yes_to_an_offer_hands_over() -> None:
    knowledge = stub()
    ran = run(feedback(knowledge), [*offered(knowledge), user("yes please", "affirm")])
    assert ran.handoff is not None
    assert ran.handoff["reason"] == "no_answer"


def test_no_to_an_offer_asks_what_else() -> None:
    knowledge = stub()
    ran = run(feedback(knowledge), [*offered(knowledge), user("/deny")])
    assert ran.texts == ["OK. Is there anything else I can help with?"]
    assert ran.handoff is None


def test_yes_long_after_an_offer_is_not_a_request() -> None:
    knowledge = stub()
    events = [*offered(knowledge), user("/deny"), user("hello", "greet"), user("/affirm")]
    ran = run(feedback(knowledge), events)
    assert ran.handoff is None
