"""action_answer: answer, suggest or admit not knowing, with a stub knowledge base."""

from __future__ import annotations

from bot.actions import ActionAnswer
from bot.answering import clean_passage, is_followup
from kb.config import Settings
from kb.documents import PassageKind, Source
from kb.results import Decision
from tests.bot.chat import (
    ABROAD,
    LABELS,
    RETURNS,
    StubKnowledge,
    after,
    hit,
    result,
    run,
    slot,
    stub,
    user,
)

SETTINGS = Settings(_env_file=None)  # type: ignore[call-arg]


def answer(knowledge: StubKnowledge | None = None, **settings: object) -> ActionAnswer:
    """action_answer on a stub knowledge base."""
    return ActionAnswer(
        knowledge=knowledge or stub(), settings=SETTINGS.model_copy(update=settings)
    )


def test_confident_answer_gives_passage_card_and_feedback_question() -> None:
    ran = run(answer(), [user("How do I return an item?")])
    assert ran.texts == [
        "From our help article “How to return an item”: Start a return in My Account.",
        "Did that answer your question?",
    ]
    assert ran.custom == [
        {
            "articles": [
                {
                    "ref": "how-to-return-an-item",
                    "title": "How to return an item",
                    "source": "official",
                }
            ]
        }
    ]
    assert ran.buttons == [
        {"title": "Yes, thanks", "payload": "/affirm"},
        {"title": "No", "payload": "/deny"},
    ]
    assert ran.slots["question"] == "How do I return an item?"
    assert ran.slots["candidates"] == [
        "how-to-return-an-item",
        "return-labels",
        "when-will-i-get-my-refund",
    ]
    assert ran.slots["candidate_index"] == 0
    assert ran.slots["awaiting_feedback"] is True
    assert ran.slots["shown"] == [
        {
            "ref": "how-to-return-an-item",
            "title": "How to return an item",
            "source": "official",
            "feedback": "none",
        }
    ]
    assert ran.handoff is None


def test_unsure_offers_up_to_three_articles_and_a_person() -> None:
    ran = run(answer(), [user("refund")])
    assert ran.texts == ["These articles might help:"]
    assert ran.buttons == [
        {
            "title": "When will I get my refund?",
            "payload": '/choose_article{"article_ref": "when-will-i-get-my-refund"}',
        },
        {
            "title": "How to return an item",
            "payload": '/choose_article{"article_ref": "how-to-return-an-item"}',
        },
        {"title": "Return labels", "payload": '/choose_article{"article_ref": "return-labels"}'},
        {"title": "Talk to a person", "payload": "/request_human"},
    ]
    assert ran.slots["candidates"] == [
        "when-will-i-get-my-refund",
        "how-to-return-an-item",
        "return-labels",
    ]
    assert "awaiting_feedback" in ran.slots and not ran.slots["awaiting_feedback"]
    assert [s["feedback"] for s in ran.slots["shown"]] == ["none"] * 3


def test_unknown_question_says_so_offers_a_person_and_counts_a_failure() -> None:
    knowledge = stub()
    ran = run(answer(knowledge), [user("Can I bring my llama to the store?")])
    assert ran.texts == [
        "I'm sorry, I don't know the answer to that, and I don't want to guess. "
        "Would you like me to bring in a person from our team?"
    ]
    assert ran.buttons == [
        {"title": "Talk to a person", "payload": "/request_human"},
        {"title": "No thanks", "payload": "/deny"},
    ]
    assert ran.slots["failures"] == 1
    assert ran.slots["handoff_offered"] is True
    assert ran.custom == []


def test_a_person_is_offered_only_once() -> None:
    events = [user("Can I bring my llama?")]
    first = run(answer(), events)
    events += [*after(first, "action_answer"), user("Do you sell llama saddles?")]
    second = run(answer(max_failed_answers=5), events)
    assert "handoff_offered" not in second.slots
    assert second.buttons == []
    assert "Could you put it another way?" in second.texts[0]


def test_second_failed_answer_hands_over() -> None:
    events = [user("Can I bring my llama?")]
    first = run(answer(), events)
    events += [*after(first, "action_answer"), user("Do you sell llama saddles?")]
    second = run(answer(), events)
    assert second.handoff is not None
    assert second.handoff["reason"] == "failed_answers"
    assert second.slots["handed_over"] is True
    assert second.slots["failures"] == 2


def test_short_follow_up_is_searched_with_the_previous_question() -> None:
    knowledge = stub()
    events = [user("How long does shipping take?")]
    first = run(answer(knowledge), events)
    events += [*after(first, "action_answer"), user("What about international orders?")]
    ran = run(answer(knowledge), events)
    assert knowledge.searches[-2:] == [
        "What about international orders?",
        "How long does shipping take? What about international orders?",
    ]
    assert ran.texts[0].startswith("From our help article “International shipping”")
    assert ran.slots["question"] == "How long does shipping take? What about international orders?"


def test_follow_up_keeps_its_own_result_when_that_is_surer() -> None:
    knowledge = stub()
    knowledge.results["what about international orders?"] = result(
        "q", Decision.ANSWER, 0.95, ABROAD
    )
    events = [user("How long does shipping take?")]
    first = run(answer(knowledge), events)
    events += [*after(first, "action_answer"), user("What about international orders?")]
    ran = run(answer(knowledge), events)
    assert ran.slots["question"] == "What about international orders?"


def test_is_followup() -> None:
    assert is_followup("and for Canada?", max_words=0)
    assert is_followup("What if it's broken", max_words=0)
    assert is_followup("international?", max_words=6)
    assert not is_followup("Andes trip: which sleeping bag should I take with me?", max_words=6)
    assert not is_followup("my order never arrived and the tracking page says nothing", max_words=6)


def test_choose_article_answers_from_that_article() -> None:
    knowledge = stub()
    events = [user("refund")]
    first = run(answer(knowledge), events)
    events += [
        *after(first, "action_answer"),
        user('/choose_article{"article_ref": "how-to-return-an-item"}'),
    ]
    ran = run(answer(knowledge), events)
    assert knowledge.searches[-1] == "refund"
    assert (
        ran.texts[0]
        == "From our help article “How to return an item”: Start a return in My Account."
    )
    assert ran.slots["candidates"] == [
        "how-to-return-an-item",
        "when-will-i-get-my-refund",
        "return-labels",
    ]
    assert ran.slots["awaiting_feedback"] is True


def test_choose_article_without_entity_reads_the_payload() -> None:
    knowledge = stub()
    events = [user("refund")]
    first = run(answer(knowledge), events)
    choice = user('/choose_article{"article_ref": "return-labels"}', "choose_article")
    choice["parse_data"]["entities"] = []
    ran = run(answer(knowledge), [*events, *after(first, "action_answer"), choice])
    assert ran.texts[0].startswith("From our help article “Return labels”")


def test_choose_unknown_article_is_a_failure() -> None:
    ran = run(answer(), [user('/choose_article{"article_ref": "nope"}')])
    assert ran.slots["failures"] == 1
    assert ran.texts[0].startswith("Sorry, I couldn't open that article.")


def test_community_answer_is_attributed() -> None:
    thread = hit(
        "7",
        "Ridgeline 20 or 30?",
        "Get the 20 .",
        source=Source.COMMUNITY,
        kind=PassageKind.ANSWER,
    )
    knowledge = StubKnowledge({"ridgeline 20 or 30?": result("q", Decision.ANSWER, 0.9, thread)})
    ran = run(answer(knowledge), [user("Ridgeline 20 or 30?")])
    assert ran.texts[0] == "A community member answered this in “Ridgeline 20 or 30?”: Get the 20."
    assert ran.custom[0]["articles"][0]["source"] == "community"


def test_article_the_customer_found_unhelpful_is_not_answered_again() -> None:
    context = {"origin": "article_feedback", "article_ref": "how-to-return-an-item"}
    ran = run(answer(), [user("How do I return an item?", metadata={"context": context})])
    assert ran.texts == ["These articles might help:"]
    assert "how-to-return-an-item" not in str(ran.buttons)


def test_business_rule_hands_over_before_searching() -> None:
    knowledge = stub()
    ran = run(answer(knowledge), [user("I want to file a chargeback for my order")])
    assert knowledge.searches == []
    assert ran.texts[0].startswith("I'm bringing in a person")
    assert ran.handoff is not None
    assert ran.handoff["reason"] == "business_rule"
    assert ran.handoff["reason_detail"] == "rule 'fraud' matched 'chargeback'"


def test_asking_for_an_agent_in_words_hands_over() -> None:
    ran = run(answer(), [user("agent please", "nlu_fallback", confidence=0.3)])
    assert ran.handoff is not None
    assert ran.handoff["reason"] == "customer_request"


def test_handed_back_welcomes_resets_and_answers() -> None:
    events = [
        user("Can I bring my llama?"),
        slot("failures", 1),
        slot("handoff_offered", True),
        slot("handed_over", True),
        user("How do I return an item?", metadata={"handed_back": True}),
    ]
    ran = run(answer(), events)
    assert ran.texts[0].startswith("Welcome back — I'm the assistant again")
    assert ran.texts[1].startswith("From our help article “How to return an item”")
    assert ran.slots["failures"] == 0
    assert ran.slots["handoff_offered"] is False
    assert ran.slots["handed_over"] is False


def test_clean_passage() -> None:
    assert clean_passage("within 30 days of delivery , or 60\n\n days ( members ) .") == (
        "within 30 days of delivery, or 60 days (members)."
    )


def test_weak_hits_are_never_shown_as_an_answer() -> None:
    knowledge = StubKnowledge(
        {"how do i clean my stove?": result("q", Decision.HANDOVER, 0.2, RETURNS, LABELS)}
    )
    ran = run(answer(knowledge), [user("How do I clean my stove?")])
    assert ran.custom == []
    assert not any(
        h.title in text or h.snippet in text for h in (RETURNS, LABELS) for text in ran.texts
    )
    assert ran.slots["failures"] == 1
