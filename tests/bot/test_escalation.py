"""The escalation guard: every trigger, its setting, and no escalation on ordinary questions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import frontmatter
import pytest

from bot.escalation import guard, same_question, strongly_negative
from bot.rules import RulesError, load_rules, parse_rules
from kb.config import Settings
from tests.bot.chat import conversation, slot, user

SETTINGS = Settings(_env_file=None)  # type: ignore[call-arg]
RULES = load_rules()
DEMO = Path(__file__).resolve().parents[2] / "demo"


def check(*events: dict[str, Any], **settings: Any) -> tuple[str, str] | None:
    """The guard's (reason, detail) for a conversation of ``events``."""
    found = guard(conversation(*events), SETTINGS.model_copy(update=settings), RULES)
    return (found.reason, found.detail) if found else None


def reason(*events: dict[str, Any], **settings: Any) -> str | None:
    """Just the reason."""
    found = check(*events, **settings)
    return found[0] if found else None


# -- explicit request ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        user("/request_human"),
        user("can I speak to a human", "request_human"),
        user("I'd like to talk to a person about my order", "ask_question"),
        user("Real person please!", "nlu_fallback", confidence=0.2),
        user("agent", "nlu_fallback"),
        user("AGENT now", "ask_question"),
        user("representative please", "out_of_scope"),
    ],
)
def test_explicit_request(message: dict[str, Any]) -> None:
    assert reason(user("hi", "greet"), message) == "customer_request"


def test_bare_words_count_only_in_short_messages() -> None:
    message = user("Does the travel agent discount cover group orders of tents?")
    assert reason(message) is None


def test_explicit_request_detail_quotes_the_customer() -> None:
    assert check(user("talk to a person pls", "request_human")) == (
        "customer_request",
        "the customer asked for a person: “talk to a person pls”",
    )


# -- business rules -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rule", "phrase"),
    [
        ("Someone made a FRAUDULENT purchase on my account", "fraud", "fraudulent"),
        ("my credit card was stolen and used on your site", "fraud", "card was stolen"),
        ("I've filed two chargebacks already", "fraud", "chargebacks"),
        ("I will be contacting my attorney", "legal", "attorney"),
        ("We are considering legal action", "legal", "legal action"),
        ("my stove caught fire on first use", "safety", "caught fire"),
        ("my son was injured by the tent pole", "safety", "injured"),
        ("is this lantern part of a product recall?", "safety", "product recall"),
        (
            "Was there a data breach? I got spam to my Juniper-only address",
            "data_breach",
            "data breach",
        ),
    ],
)
def test_business_rules(text: str, rule: str, phrase: str) -> None:
    assert check(user(text)) == ("business_rule", f"rule {rule!r} matched {phrase!r}")


@pytest.mark.parametrize(
    "text",
    [
        "Is the Ember fireproof?",  # whole words only: "fire" rules never match "fireproof"
        "I think my parcel was stolen",  # the help centre answers this
        "Is this text message a scam?",
        "I don't recall my password",
        "My friend Sue bought me a gift card",
        "I don't recognize a charge on my statement",
    ],
)
def test_business_rules_match_whole_phrases_only(text: str) -> None:
    assert reason(user(text)) is None


def test_button_payloads_never_match_rules() -> None:
    assert reason(user('/choose_article{"article_ref": "lawyer-fraud"}')) is None


def test_rules_come_from_the_configured_file(tmp_path: Path) -> None:
    path = tmp_path / "rules.yml"
    path.write_text("rules:\n  vip:\n    phrases: [enterprise contract]\n", encoding="utf-8")
    rules = load_rules(path)
    settings = SETTINGS.model_copy(update={"escalation_rules": path})
    found = guard(conversation(user("About our Enterprise Contract")), settings, rules)
    assert found is not None
    assert found.detail == "rule 'vip' matched 'enterprise contract'"
    assert guard(conversation(user("my card was stolen")), settings, rules) is None


def test_rules_setting_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIER0_ESCALATION_RULES", "/etc/tier0/rules.yml")
    assert Settings(_env_file=None).escalation_rules == Path("/etc/tier0/rules.yml")  # type: ignore[call-arg]


def test_bad_rules_files_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="not valid YAML"):
        parse_rules("rules: [", source="x.yml")
    with pytest.raises(RulesError, match="malformed"):
        parse_rules("rules:\n  fraud:\n    phrases: []\n", source="x.yml")
    with pytest.raises(RulesError, match="cannot read escalation rules"):
        load_rules(tmp_path / "missing.yml")


# -- tone ---------------------------------------------------------------------------------------


def test_abusive_negative_message_hands_over() -> None:
    found = check(user("where is my order"), user("this stupid bot is crap"))
    assert found is not None
    assert found[0] == "negative_tone"
    assert found[1].startswith("abusive message (tone -")


def test_swearing_in_a_good_mood_does_not() -> None:
    assert reason(user("holy shit that was fast, thanks a lot!")) is None


def test_tone_that_stays_low_and_worsens_hands_over() -> None:
    events = [
        user("my jacket still hasn't arrived"),
        user("that didn't help, this is really annoying"),
        user("I'm sad and angry, nothing works and nobody helps"),
        user("this is terrible, horrible, the worst experience I have ever had"),
    ]
    found = check(*events)
    assert found is not None
    assert found[0] == "negative_tone"
    assert "over the last 3 messages and is worsening" in found[1]


def test_low_but_improving_tone_does_not_hand_over() -> None:
    events = [
        user("this is terrible, horrible, the worst experience I have ever had"),
        user("I'm sad and angry, nothing works and nobody helps"),
        user("ok that is a bit better, I guess"),
    ]
    assert reason(*events) is None


def test_tone_needs_a_full_window() -> None:
    events = [user("nothing works"), user("this is terrible, horrible, the worst ever")]
    assert reason(*events) is None


def test_tone_trigger_can_be_switched_off() -> None:
    events = [user("hello"), user("your stupid fucking bot is crap")]
    assert reason(*events) == "negative_tone"
    assert reason(*events, escalate_on_tone=False) is None


def test_tone_thresholds_are_configurable() -> None:
    events = [user("this is a stupid website")]
    assert reason(*events) == "negative_tone"
    assert reason(*events, abusive_tone_threshold=-0.9) is None


def test_strongly_negative() -> None:
    angry = conversation(user("I'm absolutely furious, worst company ever")).latest
    annoyed = conversation(user("this is a bit annoying")).latest
    assert strongly_negative(angry, SETTINGS, RULES) is not None
    assert strongly_negative(annoyed, SETTINGS, RULES) is None


# -- repeated questions -------------------------------------------------------------------------


def test_same_question_three_times_hands_over() -> None:
    events = [
        user("Where is my order?"),
        user("where is my order"),
        user("WHERE IS MY ORDER??", "nlu_fallback"),
    ]
    assert check(*events) == ("repeated_question", "asked “WHERE IS MY ORDER??” 3 times")


def test_near_repeats_count() -> None:
    events = [
        user("how do I return hiking boots"),
        user("hiking boots how do I return them"),
        user("return hiking boots"),
    ]
    assert reason(*events) == "repeated_question"


def test_two_asks_or_different_questions_do_not() -> None:
    assert reason(user("Where is my order?"), user("where is my order")) is None
    events = [
        user("Where is my order?"),
        user("How do I return boots?"),
        user("Where is my refund?"),
    ]
    assert reason(*events) is None


def test_short_answers_are_not_repeated_questions() -> None:
    assert reason(user("no", "deny"), user("no", "deny"), user("no", "deny")) is None


def test_repeat_limit_is_configurable() -> None:
    events = [user("Where is my order?"), user("where is my order")]
    assert reason(*events, repeat_limit=2) == "repeated_question"
    assert reason(*events, *events, repeat_limit=0) is None


def test_turns_before_a_hand_back_are_forgotten() -> None:
    events = [
        user("Where is my order?"),
        user("where is my order"),
        user("where is my order?", metadata={"handed_back": True}),
    ]
    assert reason(*events) is None


def test_same_question() -> None:
    assert same_question("Where's my refund?", "where's my refund", similarity=0.8)
    assert not same_question("no", "yes", similarity=0.8)
    assert not same_question("", "", similarity=0.8)


# -- failed answers -----------------------------------------------------------------------------


def test_failed_answers() -> None:
    events = [user("Can I bring my llama?"), slot("failures", 2), user("And my goat?")]
    assert reason(*events) == "failed_answers"
    assert reason(*events, max_failed_answers=3) is None
    assert reason(*events, max_failed_answers=0) is None


# -- nothing escalates on ordinary questions ----------------------------------------------------


def demo_questions() -> list[str]:
    """Every title and phrasing in the demo help centre and community."""
    questions = []
    for path in sorted((DEMO / "articles").glob("*/*.md")):
        post = frontmatter.load(path)
        questions.append(str(post["title"]))
        phrasings = post.get("phrasings") or []
        assert isinstance(phrasings, list)
        questions.extend(str(p) for p in phrasings)
    for line in (DEMO / "community.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record.get("type") == "question":
            questions.append(record["title"])
    return questions


def test_no_demo_question_escalates() -> None:
    questions = demo_questions()
    assert len(questions) > 100
    escalated = [q for q in questions if check(user(q))]
    assert escalated == []


POLITE = [
    "Hi there!",
    "How long does standard delivery take?",
    "Thanks! And what about shipping to Canada?",
    "Could you tell me how to return a sleeping bag, please?",
    "My boots are too small, can I swap them for a bigger size?",
    "I'm a bit disappointed the jacket doesn't fit. Can I exchange it?",
    "The zipper on my tent broke, is that covered by the warranty?",
    "OK, thank you so much for your help",
]


def test_a_polite_conversation_never_escalates() -> None:
    events: list[dict[str, Any]] = []
    for text in POLITE:
        events.append(user(text))
        assert check(*events) is None, text
