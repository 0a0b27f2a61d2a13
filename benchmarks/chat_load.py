"""Closed-loop chat load: customers talking to the bot through the chat API, and Rasa on its own.

Each of ``concurrency`` threads is one customer at a time: it starts a conversation, sends its next
message as soon as it has the reply to the last one, and starts a new conversation when a visit
ends or the conversation leaves the bot (a handoff: from then on a person would answer). A visit
(:func:`visit`) greets, asks a support question, reacts to the bot's buttons as a customer would
("Yes, thanks", sometimes "No" once, a suggested article, "No thanks" to the offer of a person),
says thanks, asks a second question, reacts again and says goodbye. Every thread holds one
keep-alive connection, like a browser tab. Latency is measured from sending a message to having
read the whole reply.

The Rasa-only loop posts ``hi`` (greet → ``utter_greet``, no custom action) straight to Rasa's
REST webhook, with a new sender every few messages, to show what Rasa itself costs.
"""

from __future__ import annotations

import http.client
import json
import random
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

from benchmarks.loadgen import percentile

GREETINGS = ("hi", "hello", "hey there", "good morning", "hi, I have a question")
THANKS = ("thanks", "thank you!", "great, thanks", "cheers")
GOODBYES = ("bye", "goodbye", "that's all, bye", "see you")
GROUPS = {
    "question": "question",
    "choose": "button",
    "yes": "button",
    "no": "button",
    "no_thanks": "button",
    "greet": "small talk",
    "thanks": "small talk",
    "goodbye": "small talk",
}
"""Turn kind → what it costs: a knowledge-base search, a button press, or a plain response."""
MAX_REACTIONS = 3
"""Button presses at most after one question (an answer, the next candidate, an offer)."""
RASA_TURNS_PER_SENDER = 6
"""Rasa-only messages per sender before a new one, about as long as a visit."""
WEBHOOK = "/webhooks/rest/webhook"
UNAVAILABLE_NOTE = "isn't available"
"""In web's system message when the bot did not answer (docs/chat.md, "Bot unavailable")."""

Visit = Generator["Turn", list[str], None]


@dataclass(frozen=True, slots=True)
class Turn:
    """One customer message: a kind (see ``GROUPS``) and its text or button payload."""

    kind: str
    text: str | None = None
    payload: str | None = None

    @property
    def body(self) -> dict[str, str]:
        """The chat API's request body."""
        return {"text": self.text} if self.text is not None else {"payload": self.payload or ""}

    @property
    def group(self) -> str:
        """``question``, ``button`` or ``small talk``."""
        return GROUPS[self.kind]


def react(buttons: Sequence[str], *, deny: bool) -> Turn | None:
    """A customer's press of one of the bot's buttons, or None when there is nothing to press.

    "Did that answer your question?" gets "Yes, thanks" (or "No" when ``deny``); suggested
    articles get the first one; the offer of a person gets "No thanks". The customer never asks
    for a person.
    """
    if "/affirm" in buttons:
        return Turn("no", payload="/deny") if deny else Turn("yes", payload="/affirm")
    chosen = [b for b in buttons if b.startswith("/choose_article")]
    if chosen:
        return Turn("choose", payload=chosen[0])
    if "/request_human" in buttons and "/deny" in buttons:
        return Turn("no_thanks", payload="/deny")
    return None


def visit(next_question: Callable[[], str], rng: random.Random, *, deny_share: float) -> Visit:
    """One customer's visit, as a generator: it yields each message and is sent the reply's buttons.

    Greet; ask; react to the buttons; thank; ask again; react; say goodbye. The customer says
    "No" to an answer at most once per visit (with probability ``deny_share`` each time).
    """
    yield Turn("greet", text=rng.choice(GREETINGS))
    denied = False
    for closing in (Turn("thanks", text=rng.choice(THANKS)), Turn("goodbye", rng.choice(GOODBYES))):
        buttons = yield Turn("question", text=next_question())
        for _ in range(MAX_REACTIONS):
            reaction = react(buttons, deny=not denied and rng.random() < deny_share)
            if reaction is None:
                break
            denied = denied or reaction.kind == "no"
            buttons = yield reaction
        yield closing


@dataclass(frozen=True, slots=True)
class Sample:
    """One measured message: its group, when it was sent (perf_counter s), latency, success."""

    group: str
    started: float
    latency_ms: float
    ok: bool


@dataclass
class Tally:
    """What one thread saw."""

    samples: list[Sample] = field(default_factory=list)
    conversations: int = 0
    handoffs: int = 0
    unavailable: int = 0
    failed_starts: int = 0


@dataclass(frozen=True, slots=True)
class LevelSummary:
    """One target at one concurrency; latencies in ms over successful turns (None if none)."""

    target: str
    concurrency: int
    seconds: float
    turns: int
    errors: int
    turns_per_s: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    by_group: dict[str, dict[str, Any]]
    conversations: int = 0
    handoffs: int = 0
    unavailable: int = 0
    failed_starts: int = 0


def _pct(values: Sequence[float], q: float) -> float | None:
    """The percentile, or None for no values."""
    return percentile(values, q) if values else None


def summarise(
    target: str, concurrency: int, seconds: float, samples: Sequence[Sample], tally: Tally
) -> LevelSummary:
    """Percentiles and rate of the successful turns, overall and per group; failures are errors."""
    good = [s for s in samples if s.ok]
    groups: dict[str, dict[str, Any]] = {}
    for name in sorted({s.group for s in good}):
        latencies = [s.latency_ms for s in good if s.group == name]
        groups[name] = {
            "turns": len(latencies),
            "p50_ms": _pct(latencies, 50),
            "p95_ms": _pct(latencies, 95),
        }
    latencies = [s.latency_ms for s in good]
    return LevelSummary(
        target=target,
        concurrency=concurrency,
        seconds=seconds,
        turns=len(samples),
        errors=len(samples) - len(good),
        turns_per_s=len(good) / seconds if seconds > 0 else 0.0,
        p50_ms=_pct(latencies, 50),
        p95_ms=_pct(latencies, 95),
        p99_ms=_pct(latencies, 99),
        by_group=groups,
        conversations=tally.conversations,
        handoffs=tally.handoffs,
        unavailable=tally.unavailable,
        failed_starts=tally.failed_starts,
    )


class _Connection(http.client.HTTPConnection):
    """An HTTP connection that sends small packets at once (no Nagle delay), as browsers do."""

    def connect(self) -> None:
        """Connect and turn on TCP_NODELAY."""
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class JsonClient:
    """One keep-alive HTTP connection that posts and gets JSON (reopened when it breaks)."""

    def __init__(self, base_url: str, *, timeout: float = 60.0) -> None:
        """Connect lazily to ``base_url`` (http only)."""
        parts = urllib.parse.urlsplit(base_url)
        self._connection = _Connection(
            parts.hostname or "127.0.0.1", parts.port or 80, timeout=timeout
        )

    def call(
        self, method: str, path: str, body: Any = None, *, token: str | None = None
    ) -> tuple[int, Any, dict[str, str]]:
        """Send a request; its status (0 if none came), decoded JSON body (or None) and headers."""
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        try:
            self._connection.request(method, path, body=data, headers=headers)
            response = self._connection.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException):
            self._connection.close()
            return 0, None, {}
        if response.will_close:
            self._connection.close()
        try:
            decoded = json.loads(raw) if raw else None
        except ValueError:
            decoded = None
        return response.status, decoded, {k.lower(): v for k, v in response.getheaders()}

    def close(self) -> None:
        """Close the connection."""
        self._connection.close()


class Questions:
    """Hands out support questions in order to every thread, wrapping round when they run out."""

    def __init__(self, questions: Sequence[str]) -> None:
        """Use ``questions`` in this order."""
        if not questions:
            raise ValueError("no questions")
        self._questions, self._next, self._lock = list(questions), 0, threading.Lock()

    def __call__(self) -> str:
        """The next question."""
        with self._lock:
            question = self._questions[self._next % len(self._questions)]
            self._next += 1
            return question

    @property
    def handed_out(self) -> int:
        """How many questions were asked so far."""
        return self._next


def _timed(
    client: JsonClient, path: str, body: Any, token: str | None = None
) -> tuple[int, Any, float, float]:
    """Call and time one POST: status, body, start (perf_counter s), latency (ms)."""
    started = time.perf_counter()
    status, reply, _ = client.call("POST", path, body, token=token)
    return status, reply, started, (time.perf_counter() - started) * 1000


def chat_customer(
    web_url: str,
    questions: Questions,
    seed: int,
    until: float,
    tally: Tally,
    *,
    deny_share: float,
    think: float = 0.0,
) -> None:
    """One thread of the chat loop: visit after visit through the chat API until ``until``.

    With ``think`` > 0 the customer pauses 0.5–1.5 × ``think`` seconds before each message (not
    measured), as someone reading and typing would; 0 sends each message at once (closed loop).
    """
    client, rng = JsonClient(web_url), random.Random(seed)

    def pause() -> bool:
        """Think before the next message; whether there is still time to send it."""
        if think > 0:
            time.sleep(max(0.0, min(think * rng.uniform(0.5, 1.5), until - time.perf_counter())))
        return time.perf_counter() < until

    try:
        while time.perf_counter() < until:
            status, created, _, _ = _timed(client, "/api/v1/conversations", {})
            if status != 201:
                tally.failed_starts += 1
                time.sleep(0.1)
                continue
            tally.conversations += 1
            path = f"/api/v1/conversations/{created['id']}/messages"
            steps = visit(questions, rng, deny_share=deny_share)
            turn = next(steps)
            while pause():
                status, reply, started, ms = _timed(client, path, turn.body, created["token"])
                ok = status == 200 and isinstance(reply, dict)
                tally.samples.append(Sample(turn.group, started, ms, ok))
                if not ok:
                    break
                if reply["state"] != "bot":
                    tally.handoffs += 1
                    texts = (m["text"] for m in reply["messages"] if m["sender"] == "system")
                    tally.unavailable += any(UNAVAILABLE_NOTE in t for t in texts)
                    break
                buttons = [b["payload"] for m in reply["messages"] for b in m["buttons"]]
                try:
                    turn = steps.send(buttons)
                except StopIteration:
                    break
    finally:
        client.close()


def rasa_customer(rasa_url: str, tag: str, until: float, tally: Tally) -> None:
    """One thread of the Rasa-only loop: ``hi`` to the REST webhook, a new sender now and then."""
    client, sent = JsonClient(rasa_url), 0
    try:
        while time.perf_counter() < until:
            if sent % RASA_TURNS_PER_SENDER == 0:
                tally.conversations += 1
            sender = f"rasa-only-{tag}-{tally.conversations}"
            status, reply, started, ms = _timed(
                client, WEBHOOK, {"sender": sender, "message": "hi"}
            )
            ok = status == 200 and isinstance(reply, list) and any("text" in m for m in reply)
            tally.samples.append(Sample("small talk", started, ms, ok))
            sent += 1
    finally:
        client.close()


def run_level(
    target: str,
    worker: Callable[[int, float, Tally], None],
    *,
    concurrency: int,
    duration: float,
    warmup: float,
) -> LevelSummary:
    """Run ``concurrency`` workers for warm-up plus duration; only turns sent after warm-up count.

    ``worker(index, until, tally)`` runs one thread's loop until the perf_counter deadline.
    """
    if concurrency < 1 or duration <= 0 or warmup < 0:
        raise ValueError("concurrency must be ≥ 1, duration > 0 and warmup ≥ 0")
    start = time.perf_counter()
    measured_from, until = start + warmup, start + warmup + duration
    tallies = [Tally() for _ in range(concurrency)]
    threads = [
        threading.Thread(target=worker, args=(i, until, tally)) for i, tally in enumerate(tallies)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    samples = [s for t in tallies for s in t.samples if s.started >= measured_from]
    # Turns still in flight at the deadline finish late; count the time they took.
    finished = max((s.started + s.latency_ms / 1000 for s in samples), default=until)
    total = Tally(
        conversations=sum(t.conversations for t in tallies),
        handoffs=sum(t.handoffs for t in tallies),
        unavailable=sum(t.unavailable for t in tallies),
        failed_starts=sum(t.failed_starts for t in tallies),
    )
    return summarise(target, concurrency, max(finished, until) - measured_from, samples, total)
