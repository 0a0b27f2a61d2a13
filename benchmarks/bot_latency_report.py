"""Markdown tables for the bot latency benchmark's results (``benchmarks/bot_latency.py``)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from benchmarks.http_report import ms

GROUPS = ("question", "button", "small talk")
LAYERS = {
    "chat": "question: chat API turn (web + Rasa + action server + search)",
    "rasa": "question: Rasa REST webhook (NLU + policies + action call + search)",
    "actions": "question: action server webhook, `action_answer` (search included)",
    "search": "question: knowledge-base search alone (in process, same data and settings)",
    "chat_hi": "`hi`: chat API turn (web + Rasa, `utter_greet`)",
    "rasa_hi": "`hi`: Rasa REST webhook (`utter_greet`)",
}
"""The breakdown's layers, outermost first."""
SHARES = (
    ("web (chat API, SQLite, HTTP to Rasa)", "chat", "rasa"),
    ("Rasa (NLU, policies, HTTP to the action server)", "rasa", "actions"),
    ("action server around the search", "actions", "search"),
    ("knowledge-base search", "search", None),
)
"""Where a question's median time goes: the difference of two layers' medians."""


def levels_table(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """One line per target and concurrency: rate, latency percentiles, errors, handoffs."""
    lines = [
        "| target | concurrent | turns/s | p50 ms | p95 ms | p99 ms | errors "
        "| conversations | handed over |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in sorted(rows, key=lambda r: (_order(r["target"]), r["concurrency"])):
        chat = row["target"].startswith("chat API")
        handed = _handoffs(row) if chat else "–"
        lines.append(
            f"| {row['target']} | {row['concurrency']} | {row['turns_per_s']:.1f} "
            f"| {ms(row['p50_ms'])} | {ms(row['p95_ms'])} | {ms(row['p99_ms'])} "
            f"| {row['errors']} | {row['conversations'] if chat else '–'} | {handed} |"
        )
    return lines


def _order(target: str) -> int:
    """Closed-loop chat first, then chat with pauses, then Rasa alone."""
    return 0 if target == "chat API" else 1 if target.startswith("chat API") else 2


def _handoffs(row: Mapping[str, Any]) -> str:
    """Handoffs, with how many of them were the bot not answering."""
    text = str(row["handoffs"])
    if row.get("unavailable"):
        text += f" ({row['unavailable']} bot unavailable)"
    return text


def groups_table(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Chat turns by what they cost: p50 / p95 ms (turns) per concurrency."""
    lines = [
        "| concurrent | " + " | ".join(GROUPS) + " |",
        "|---|" + "---|" * len(GROUPS),
    ]
    for row in sorted(rows, key=lambda r: (_order(r["target"]), r["concurrency"])):
        if not row["target"].startswith("chat API"):
            continue
        paused = row["target"] != "chat API"
        cells = []
        for group in GROUPS:
            found = row["by_group"].get(group)
            cells.append(
                f"{ms(found['p50_ms'])} / {ms(found['p95_ms'])} ({found['turns']})"
                if found
                else "–"
            )
        label = f"{row['concurrency']}{', with pauses' if paused else ''}"
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def breakdown_table(layers: Mapping[str, Mapping[str, float]]) -> list[str]:
    """Each layer's median and p95, then the median split into the processes' shares."""
    lines = ["| one call at a time | calls | p50 ms | p95 ms |", "|---|---|---|---|"]
    for name, label in LAYERS.items():
        if name in layers:
            found = layers[name]
            lines.append(
                f"| {label} | {found['n']:.0f} | {ms(found['p50_ms'])} | {ms(found['p95_ms'])} |"
            )
    if all(name in layers for name in ("chat", "rasa", "actions", "search")):
        total = layers["chat"]["p50_ms"]
        lines += ["", "| a question's median, by process | ms | share |", "|---|---|---|"]
        for label, outer, inner in SHARES:
            value = layers[outer]["p50_ms"] - (layers[inner]["p50_ms"] if inner else 0.0)
            lines.append(f"| {label} | {value:.1f} | {100 * value / total:.0f}% |")
    return lines


def verdict(rows: Sequence[Mapping[str, Any]], target_ms: float) -> str:
    """Whether the chat API's p95 at the highest concurrency measured meets the target."""
    chat = [r for r in rows if r["target"] == "chat API" and r["p95_ms"] is not None]
    if not chat:
        return "No chat turn succeeded: the target cannot be judged."
    top = max(chat, key=lambda r: r["concurrency"])
    met = top["p95_ms"] <= target_ms and top["errors"] == 0
    word = "**met**" if met else "**not met**"
    errors = f", {top['errors']} errors" if top["errors"] else ""
    return (
        f"Target p95 ≤ {target_ms:.0f} ms at {top['concurrency']} concurrent conversations: "
        f"{word} (p95 {top['p95_ms']:.0f} ms{errors})."
    )


def paced_verdict(rows: Sequence[Mapping[str, Any]], target_ms: float) -> str:
    """The most conversations at a human pace measured within the target, if any were run."""
    paced = [r for r in rows if r["target"].startswith("chat API,") and r["p95_ms"] is not None]
    if not paced:
        return ""
    within = [r for r in paced if r["p95_ms"] <= target_ms and r["errors"] == 0]
    tried = ", ".join(f"{r['concurrency']}: p95 {r['p95_ms']:.0f} ms" for r in paced)
    if not within:
        return f"With pauses between messages no level met the target ({tried})."
    best = max(within, key=lambda r: r["concurrency"])
    return (
        f"With pauses between messages, as people chat: target met up to {best['concurrency']} "
        f"concurrent conversations of those tried ({tried})."
    )


def cpu_table(rows: Sequence[Mapping[str, Any]], cores: int) -> list[str]:
    """CPU milliseconds per turn of each process, and the turn rate that CPU allows."""
    names = sorted({n for r in rows for n in r.get("cpu_ms_per_turn", {})})
    if not names:
        return []
    lines = [
        "| target | concurrent | " + " | ".join(names) + f" | all | turns/s {cores} cores allow |",
        "|---|---|" + "---|" * (len(names) + 2),
    ]
    for row in sorted(rows, key=lambda r: (_order(r["target"]), r["concurrency"])):
        used = row.get("cpu_ms_per_turn") or {}
        if not used:
            continue
        total = sum(used.values())
        cells = " | ".join(f"{used.get(n, 0.0):.1f}" for n in names)
        lines.append(
            f"| {row['target']} | {row['concurrency']} | {cells} | {total:.1f} "
            f"| {1000 * cores / total:.0f} |"
        )
    return lines


def closed_loop_note(rows: Sequence[Mapping[str, Any]]) -> str:
    """What the closed loop implies at the highest level: the mean turn is conversations / rate
    (Little's law), for the chat API and for Rasa alone answering ``hi``."""
    top = max((r["concurrency"] for r in rows), default=0)
    found = {r["target"]: r for r in rows if r["concurrency"] == top and r["turns_per_s"] > 0}
    if "chat API" not in found or "Rasa only" not in found:
        return ""
    chat, rasa = found["chat API"], found["Rasa only"]
    return (
        f"In a closed loop the mean turn takes conversations ÷ turns per second: at {top} "
        f"conversations the chat API served {chat['turns_per_s']:.1f} turns/s, a mean of "
        f"{1000 * top / chat['turns_per_s']:.0f} ms; Rasa alone, answering `hi` with nothing "
        f"else running, served {rasa['turns_per_s']:.1f} turns/s, a mean of "
        f"{1000 * top / rasa['turns_per_s']:.0f} ms."
    )


def report(results: Mapping[str, Any]) -> str:
    """The whole Markdown report."""
    machine = results.get("machine", {})
    rows = results.get("levels_measured", [])
    asked = results.get("questions", {})
    lines = [
        "## Bot turn latency — chat API and Rasa alone",
        "",
        f"Closed loop, {results['duration_s']:.0f} s per level through the chat API "
        f"({results['rasa_duration_s']:.0f} s Rasa only) after {results['warmup_s']:.0f} s of "
        f"warm-up; {asked.get('asked', '?')} questions asked of {asked.get('distinct', '?')} "
        f"distinct; customers say no to {100 * results['deny_share']:.0f}% of answers (once a "
        f"visit at most). Last, customers pausing {results['think_s']:g} s (±50%) before each "
        f"message. "
        f"Rasa model `{results.get('model', '?')}`. "
        f"Machine: {machine.get('nproc', '?')} cores, {machine.get('cpu', '?')}; "
        f"load average before {results['load_average_before'][0]:.2f}.",
        "",
        *levels_table(rows),
        "",
        verdict(rows, results["target_p95_ms"]),
        paced_verdict(rows, results["target_p95_ms"]),
        closed_loop_note(rows),
        "",
        "### Chat turns by kind — p50 / p95 ms (turns)",
        "",
        *groups_table(rows),
    ]
    cpu = cpu_table(rows, int(machine.get("nproc") or os.cpu_count() or 1))
    if cpu:
        lines += ["", "### CPU milliseconds per turn, by process", "", *cpu]
    if results.get("breakdown"):
        lines += [
            "",
            "### Where a question's time goes",
            "",
            *breakdown_table(results["breakdown"]),
        ]
    lines += ["", f"Total {results.get('seconds', 0):.0f} s."]
    return "\n".join(lines)
