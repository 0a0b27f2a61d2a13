"""The bot latency benchmark's questions and Markdown tables."""

from __future__ import annotations

from typing import Any

from benchmarks.bot_latency import action_call, customer_questions
from benchmarks.bot_latency_report import (
    breakdown_table,
    closed_loop_note,
    cpu_table,
    groups_table,
    levels_table,
    paced_verdict,
    verdict,
)
from bot.rules import load_rules


def _row(
    target: str, concurrency: int, p95: float | None = 120.0, errors: int = 0
) -> dict[str, Any]:
    """A level's row as ``measure`` records it."""
    return {
        "target": target,
        "concurrency": concurrency,
        "turns_per_s": 12.34,
        "p50_ms": 50.0,
        "p95_ms": p95,
        "p99_ms": None if p95 is None else p95 * 2,
        "errors": errors,
        "conversations": 7,
        "handoffs": 2,
        "unavailable": 1 if target == "chat API" else 0,
        "by_group": {"question": {"turns": 5, "p50_ms": 80.0, "p95_ms": 150.0}},
    }


def test_customer_questions_stay_with_the_bot() -> None:
    """Distinct questions, none that a business rule or a request for a person would hand over."""
    questions = customer_questions(300)
    rules = load_rules()
    assert len(questions) == len(set(questions)) > 250
    assert not [q for q in questions if rules.business_rule(q) or rules.asks_for_human(q)]


def test_action_call_is_a_first_question() -> None:
    """The direct action server call asks ``action_answer`` about the text."""
    call = action_call("where is my order", "s1")
    assert call["next_action"] == "action_answer"
    assert call["tracker"]["latest_message"]["text"] == "where is my order"
    assert call["tracker"]["sender_id"] == "s1"


def test_levels_table_puts_chat_first_then_concurrency() -> None:
    """Chat API rows come first, by concurrency; Rasa rows have no conversations or handoffs."""
    lines = levels_table([_row("Rasa only", 1), _row("chat API", 20), _row("chat API", 1)])
    assert (
        lines[2] == "| chat API | 1 | 12.3 | 50.0 | 120.0 | 240.0 | 0 | 7 | 2 (1 bot unavailable) |"
    )
    assert lines[3].startswith("| chat API | 20 |")
    assert lines[4] == "| Rasa only | 1 | 12.3 | 50.0 | 120.0 | 240.0 | 0 | – | – |"


def test_levels_table_puts_paced_chat_between_chat_and_rasa() -> None:
    """The run with pauses comes after the closed-loop chat rows and counts its handoffs."""
    rows = [_row("Rasa only", 1), _row("chat API, 3 s pauses", 20), _row("chat API", 20)]
    lines = levels_table(rows)
    assert [line.split(" | ")[0] for line in lines[2:]] == [
        "| chat API",
        "| chat API, 3 s pauses",
        "| Rasa only",
    ]
    assert lines[3].endswith("| 7 | 2 |")


def test_groups_table_shows_missing_groups_as_dashes() -> None:
    """Only chat rows, each group as p50 / p95 (turns); the paced run is labelled."""
    rows = [_row("chat API, 3 s pauses", 20), _row("chat API", 10), _row("Rasa only", 10)]
    assert groups_table(rows)[2:] == [
        "| 10 | 80.0 / 150.0 (5) | – | – |",
        "| 20, with pauses | 80.0 / 150.0 (5) | – | – |",
    ]


def test_closed_loop_note_applies_littles_law() -> None:
    """Mean turn = conversations / rate at the highest level, for the chat API and Rasa alone."""
    rows = [_row("chat API", 20), _row("Rasa only", 20), _row("chat API", 1)]
    rows[0]["turns_per_s"], rows[1]["turns_per_s"] = 40.0, 80.0
    note = closed_loop_note(rows)
    assert "served 40.0 turns/s, a mean of 500 ms" in note
    assert "served 80.0 turns/s, a mean of 250 ms" in note
    assert closed_loop_note([_row("chat API", 20)]) == ""


def test_breakdown_table_splits_the_median_by_process() -> None:
    """Differences of the layers' medians, each with its share of the whole turn."""
    layers = {
        name: {"n": 10, "p50_ms": p50, "p95_ms": p50 * 1.5}
        for name, p50 in {"chat": 200.0, "rasa": 150.0, "actions": 60.0, "search": 40.0}.items()
    }
    lines = breakdown_table(layers)
    assert "| knowledge-base search | 40.0 | 20% |" in lines
    assert "| web (chat API, SQLite, HTTP to Rasa) | 50.0 | 25% |" in lines
    assert "| Rasa (NLU, policies, HTTP to the action server) | 90.0 | 45% |" in lines


def test_verdict() -> None:
    """Judged at the highest concurrency; errors fail it; no figures say so."""
    assert "**met** (p95 120 ms)" in verdict([_row("chat API", 1, 900), _row("chat API", 20)], 250)
    assert "**not met** (p95 300 ms)" in verdict([_row("chat API", 20, 300)], 250)
    assert "**not met** (p95 120 ms, 3 errors)" in verdict([_row("chat API", 20, errors=3)], 250)
    assert "cannot be judged" in verdict([_row("Rasa only", 20)], 250)


def test_paced_verdict_names_the_most_conversations_within_target() -> None:
    """The highest paced level within the target (no errors) is named; none, or no paced rows."""
    paced = "chat API, 3 s pauses"
    rows = [_row(paced, 20, 60), _row(paced, 60, 200), _row(paced, 100, 400), _row("chat API", 20)]
    text = paced_verdict(rows, 250)
    assert "target met up to 60 concurrent conversations" in text
    assert "(20: p95 60 ms, 60: p95 200 ms, 100: p95 400 ms)" in text
    assert "no level met" in paced_verdict([_row(paced, 20, 300), _row(paced, 40, errors=1)], 250)
    assert paced_verdict([_row("chat API", 20)], 250) == ""


def test_cpu_table_adds_processes_and_the_rate_they_allow() -> None:
    """Per-process CPU ms per turn, their sum, and cores × 1000 ÷ sum turns a second."""
    row = _row("chat API", 20) | {"cpu_ms_per_turn": {"web": 10.0, "rasa": 12.5, "actions": 2.5}}
    lines = cpu_table([_row("Rasa only", 20), row], cores=2)
    assert (
        lines[0] == "| target | concurrent | actions | rasa | web | all | turns/s 2 cores allow |"
    )
    assert lines[2:] == ["| chat API | 20 | 2.5 | 12.5 | 10.0 | 25.0 | 80 |"]
    assert cpu_table([_row("chat API", 20)], cores=2) == []
