"""Bot turn latency through the chat API at 1, 10 and 20 concurrent conversations, next to Rasa alone.

One run does everything, then removes what it made:

1. Loads the demo help centre into a temporary data folder (``tier0 db upgrade`` + ``tier0 demo``)
   and starts the whole stack on free loopback ports (:class:`web.stack.Stack`: action server, Rasa
   server with ``models/current.tar.gz``, web app under waitress), with the chat rate limits lifted
   (one address plays every customer).
2. Warms up with a few visits, then breaks down where a typical question's time goes, one call at
   a time on an idle stack: the whole chat turn, Rasa's REST webhook (NLU, policies, the action
   call), the action server's webhook (``action_answer``), the knowledge-base search alone (in this
   process, same data and settings), and Rasa answering ``hi`` with ``utter_greet``. Each layer gets
   different questions, so no layer is helped by another's query cache.
3. At each concurrency level, closed-loop customers through the chat API (``benchmarks/chat_load.py``:
   greet, ask, press buttons, thank, ask again, goodbye; a new conversation after each visit or
   handoff), then the Rasa-only round trip (``hi`` straight to Rasa's webhook) at the same level.

4. Last, customers who pause about three seconds before each message, as people reading a reply
   and typing do, at each of ``--paced``: how many conversations at
   a human pace the stack serves within the target (default 20, 60, 100 and 140).

Each level also records the CPU time per turn of each process (``/proc``, workers included).

    python -m benchmarks.bot_latency [--quick] [--levels 1,10,20] [--paced 20,60] [--duration 30]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks.bot_latency_report import LAYERS, report
from benchmarks.chat_load import (
    WEBHOOK,
    JsonClient,
    Questions,
    Tally,
    chat_customer,
    rasa_customer,
    run_level,
)
from benchmarks.help_queries import QUESTIONS, build_pool, demo_titles
from benchmarks.loadgen import percentile
from benchmarks.proc_cpu import CpuWindow
from web.stack import MODEL, Ports, Stack, running

REPO = Path(__file__).resolve().parent.parent
TIER0 = Path(sys.executable).with_name("tier0")
TARGET_P95_MS = 250.0
DENY_SHARE = 0.2
"""How often a customer answers "No" to "Did that answer your question?" (once per visit at most)."""
THINK_S = 3.0
"""The paced runs' pause before each message: a customer reading the reply and typing a short one."""
PACED_LEVELS = (20, 60, 100, 140)
"""Conversations tried at that pace by default: how many the stack serves within the target."""
LIFTED_LIMITS = {
    "TIER0_CHAT_RATE_LIMIT": "100000 per minute",
    "TIER0_CHAT_IP_RATE_LIMIT": "100000 per minute",
}


def load_demo(data_dir: Path) -> dict[str, str]:
    """Migrate a new database in ``data_dir`` and load the demo; the stack's environment."""
    env = {**os.environ, "TIER0_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1", **LIFTED_LIMITS}
    env.pop("TIER0_DATABASE_URL", None)
    for command in (["db", "upgrade"], ["demo"]):
        done = subprocess.run(
            [str(TIER0), *command], cwd=REPO, env=env, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"tier0 {' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return env


def customer_questions(size: int, *, seed: int = 41) -> list[str]:
    """Distinct support questions about the demo's topics: hand-written ones, article titles, and
    misspellings of both; none that a business rule or a request for a person would hand over."""
    from bot.rules import load_rules

    rules = load_rules()
    pool = build_pool(demo_titles(), QUESTIONS, size=size, seed=seed, typo_share=1.0, typo_rate=0.1)
    return [
        q
        for q in pool.queries
        if rules.business_rule(q) is None
        and not rules.asks_for_human(q)
        and not rules.is_abusive(q)
    ]


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def action_call(text: str, sender: str) -> dict[str, Any]:
    """The action server's webhook body for ``action_answer`` on a first question (as Rasa sends)."""
    return {
        "next_action": "action_answer",
        "sender_id": sender,
        "tracker": {
            "sender_id": sender,
            "slots": {},
            "latest_message": {
                "text": text,
                "intent": {"name": "ask_question", "confidence": 1.0},
                "entities": [],
            },
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": None,
        },
        "domain": {},
    }


def _stats(values: Sequence[float]) -> dict[str, float]:
    """Count, median and 95th percentile of some latencies (ms)."""
    return {"n": len(values), "p50_ms": percentile(values, 50), "p95_ms": percentile(values, 95)}


def _post(client: JsonClient, path: str, body: Any, token: str | None = None) -> float:
    """Milliseconds one POST took; an error if it did not succeed."""
    started = time.perf_counter()
    status, reply, _ = client.call("POST", path, body, token=token)
    elapsed = (time.perf_counter() - started) * 1000
    if status not in (200, 201):
        raise RuntimeError(f"POST {path} answered {status}: {reply}")
    return elapsed


def _chat_turn(web: JsonClient, text: str) -> float:
    """Milliseconds of the first turn of a new conversation through the chat API."""
    status, created, _ = web.call("POST", "/api/v1/conversations", {})
    if status != 201:
        raise RuntimeError(f"starting a conversation answered {status}: {created}")
    path = f"/api/v1/conversations/{created['id']}/messages"
    return _post(web, path, {"text": text}, created["token"])


def breakdown(
    stack: Stack, env: dict[str, str], questions: Sequence[str], *, per_layer: int
) -> dict[str, dict[str, float]]:
    """One call at a time, each layer with its own questions: where a question's time goes."""
    from kb.config import Settings
    from kb.knowledge_base import KnowledgeBase

    if len(questions) < 4 * per_layer:
        raise ValueError(f"the breakdown needs {4 * per_layer} questions, got {len(questions)}")
    chat, rasa, actions, search = (questions[i * per_layer : (i + 1) * per_layer] for i in range(4))
    web = JsonClient(stack.web_url)
    bot = JsonClient(stack.rasa_url)
    action_server = JsonClient(stack.actions_url)
    settings = Settings(data_dir=Path(env["TIER0_DATA_DIR"]))
    if not settings.embedding_threads:  # one thread per search, as the action server does
        settings = settings.model_copy(update={"embedding_threads": 1})
    kb = KnowledgeBase.open(settings, persist=False)
    layers: dict[str, list[float]] = {name: [] for name in LAYERS}
    try:
        kb.search("warm up the search", limit=10)
        for i in range(per_layer):
            layers["chat_hi"].append(_chat_turn(web, "hi"))
            greet = {"sender": f"breakdown-hi-{i}", "message": "hi"}
            layers["rasa_hi"].append(_post(bot, WEBHOOK, greet))
            layers["chat"].append(_chat_turn(web, chat[i]))
            message = {"sender": f"breakdown-{i}", "message": rasa[i]}
            layers["rasa"].append(_post(bot, WEBHOOK, message))
            call = action_call(actions[i], f"breakdown-{i}")
            layers["actions"].append(_post(action_server, "/webhook", call))
            started = time.perf_counter()  # last: nothing else runs while this process searches
            kb.search(search[i], limit=10)
            layers["search"].append((time.perf_counter() - started) * 1000)
    finally:
        kb.close()
        for client in (web, bot, action_server):
            client.close()
    return {name: _stats(values) for name, values in layers.items()}


def warm_up(stack: Stack, questions: Questions, *, seconds: float) -> None:
    """Visits by two customers at once for a few seconds, so every code path has run."""
    started = time.perf_counter()
    run_level(
        "warm-up",
        lambda i, until, tally: chat_customer(
            stack.web_url, questions, 1000 + i, until, tally, deny_share=0.5
        ),
        concurrency=2,
        duration=seconds,
        warmup=0,
    )
    print(f"  warmed up in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)


def measure(
    stack: Stack,
    questions: Questions,
    *,
    levels: Sequence[int],
    duration: float,
    rasa_duration: float,
    warmup: float,
    think: float,
    paced_levels: Sequence[int] = (),
) -> list[dict[str, Any]]:
    """At each level the chat loop, then the Rasa-only loop; last, customers pausing ``think``
    seconds or so before each message at each of ``paced_levels`` (if ``think`` > 0). Each row
    also holds the CPU milliseconds per turn of each of the stack's processes."""
    runs: list[tuple[str, int, float, Callable[[int, float, Tally], None]]] = []
    for concurrency in levels:

        def chat(i: int, until: float, tally: Tally, c: int = concurrency) -> None:
            seed = c * 100 + i
            chat_customer(stack.web_url, questions, seed, until, tally, deny_share=DENY_SHARE)

        def rasa(i: int, until: float, tally: Tally, c: int = concurrency) -> None:
            rasa_customer(stack.rasa_url, f"{c}-{i}", until, tally)

        runs += [
            ("chat API", concurrency, duration, chat),
            ("Rasa only", concurrency, rasa_duration, rasa),
        ]
    if think > 0:

        def paced(i: int, until: float, tally: Tally) -> None:
            seed = 9000 + i
            chat_customer(
                stack.web_url, questions, seed, until, tally, deny_share=DENY_SHARE, think=think
            )

        runs += [(f"chat API, {think:g} s pauses", c, duration, paced) for c in paced_levels]
    pids = {p.name: p.popen.pid for p in stack.processes if p.popen is not None}
    rows = []
    for target, concurrency, seconds, worker in runs:
        window = CpuWindow(pids)
        timers = window.schedule(warmup, warmup + seconds)
        summary = run_level(
            target, worker, concurrency=concurrency, duration=seconds, warmup=warmup
        )
        for timer in timers:
            timer.join()
        turns = summary.turns_per_s * seconds
        row = asdict(summary)
        row["cpu_ms_per_turn"] = {
            name: 1000 * used / turns for name, used in window.seconds().items() if turns
        }
        rows.append(row)
        print(
            f"  {target} c={concurrency}: {summary.turns_per_s:.1f} turns/s, "
            f"p95 {summary.p95_ms or float('nan'):.0f} ms, {summary.errors} errors",
            file=sys.stderr,
            flush=True,
        )
    return rows


def run(
    *,
    quick: bool,
    levels: Sequence[int] = (1, 10, 20),
    duration: float | None = None,
    model: Path = MODEL,
    paced_levels: Sequence[int] | None = None,
) -> dict[str, Any]:
    """Run the whole benchmark; its results (also written to ``benchmarks/results/``)."""
    from benchmarks.retrieval import machine, write_json

    started = time.perf_counter()
    duration = duration or (10.0 if quick else 30.0)
    per_layer = 10 if quick else 25
    results: dict[str, Any] = {
        "quick": quick,
        "duration_s": duration,
        "rasa_duration_s": duration / 2 if quick else duration,
        "warmup_s": 2.0,
        "levels": list(levels),
        "deny_share": DENY_SHARE,
        "think_s": THINK_S,
        "paced_levels": list(paced_levels if paced_levels is not None else PACED_LEVELS),
        "target_p95_ms": TARGET_P95_MS,
        "load_average_before": os.getloadavg(),
        "model": model.resolve().name,
    }
    pool = customer_questions(500 if quick else 1200)
    reserved, rest = pool[: 4 * per_layer], pool[4 * per_layer :]
    with tempfile.TemporaryDirectory(prefix="tier0-bot-bench-") as scratch:
        print("Loading the demo help centre …", file=sys.stderr, flush=True)
        env = load_demo(Path(scratch) / "data")
        ports = Ports(web=free_port(), rasa=free_port(), actions=free_port())
        print("Starting the stack …", file=sys.stderr, flush=True)
        stack = Stack(ports=ports, env=env, model=model, log_dir=Path(scratch))
        with running(stack):
            questions = Questions(rest)
            warm_up(stack, questions, seconds=6)
            print("Breakdown …", file=sys.stderr, flush=True)
            results["breakdown"] = breakdown(stack, env, reserved, per_layer=per_layer)
            results["levels_measured"] = measure(
                stack,
                questions,
                levels=levels,
                duration=duration,
                rasa_duration=results["rasa_duration_s"],
                warmup=results["warmup_s"],
                think=results["think_s"],
                paced_levels=results["paced_levels"],
            )
            results["questions"] = {"distinct": len(rest), "asked": questions.handed_out}
    results["load_average_after"] = os.getloadavg()
    results["machine"] = machine()
    results["seconds"] = time.perf_counter() - started
    write_json("bot_latency-quick" if quick else "bot_latency", results)
    return results


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: ``python -m benchmarks.bot_latency [--quick]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 s per level (Rasa only 5 s)")
    parser.add_argument("--levels", default="1,10,20", help="concurrent conversations to try")
    parser.add_argument("--duration", type=float, help="measured seconds per level")
    parser.add_argument(
        "--paced",
        help="conversations to try with customers pausing between messages "
        f"(default: {','.join(map(str, PACED_LEVELS))})",
    )
    parser.add_argument(
        "--model", type=Path, default=MODEL, help="the Rasa model (default models/current.tar.gz)"
    )
    args = parser.parse_args(argv)
    levels = [int(level) for level in args.levels.split(",")]
    paced = [int(level) for level in args.paced.split(",")] if args.paced else None
    # A SIGTERM unwinds like Ctrl-C, so the stack's processes are stopped.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        print(
            report(
                run(
                    quick=args.quick,
                    levels=levels,
                    duration=args.duration,
                    model=args.model,
                    paced_levels=paced,
                )
            )
        )
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: object) -> None:
    """Turn a termination signal into KeyboardInterrupt."""
    raise KeyboardInterrupt(f"signal {signum}")


if __name__ == "__main__":
    main()
