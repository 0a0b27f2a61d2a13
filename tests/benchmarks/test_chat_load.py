"""The chat load generator: the customer's script, the arithmetic, and a run against a fake chat API."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from benchmarks.chat_load import (
    Questions,
    Sample,
    Tally,
    Turn,
    chat_customer,
    rasa_customer,
    react,
    run_level,
    summarise,
    visit,
)

ANSWER = ["/affirm", "/deny"]
OFFER = ["/request_human", "/deny"]


@pytest.mark.parametrize(
    ("buttons", "deny", "expected"),
    [
        (ANSWER, False, Turn("yes", payload="/affirm")),
        (ANSWER, True, Turn("no", payload="/deny")),
        (['/choose_article{"article_ref": "a"}', "/choose_article{}"], False, None),
        (OFFER, True, Turn("no_thanks", payload="/deny")),
        (["/request_human"], False, None),
        ([], False, None),
    ],
)
def test_react(buttons: list[str], deny: bool, expected: Turn | None) -> None:
    """Yes (or no) to an answer, the first suggestion, "No thanks" to a person; never a person."""
    if buttons and buttons[0].startswith("/choose_article"):
        expected = Turn("choose", payload=buttons[0])
    assert react(buttons, deny=deny) == expected


def test_turn_body_and_group() -> None:
    """Typed text and button payloads become the chat API's two kinds of body."""
    assert Turn("greet", text="hi").body == {"text": "hi"}
    assert Turn("yes", payload="/affirm").body == {"payload": "/affirm"}
    assert [Turn(k).group for k in ("question", "choose", "thanks")] == [
        "question",
        "button",
        "small talk",
    ]


def _play(replies: list[list[str]], deny_share: float) -> list[str]:
    """The kinds of turn a visit sends when the bot answers with these buttons in turn."""
    asked = iter(f"question {i}" for i in range(10))
    steps = visit(lambda: next(asked), random.Random(3), deny_share=deny_share)
    kinds = [next(steps).kind]
    for buttons in replies:
        try:
            kinds.append(steps.send(buttons).kind)
        except StopIteration:
            break
    return kinds


def test_visit_follows_the_customer_script() -> None:
    """Greet, ask, react, thank, ask, react, goodbye; the visit then ends."""
    replies = [[], ANSWER, [], [], ["/choose_article{}"], ANSWER, [], [], []]
    assert _play(replies, deny_share=0.0) == [
        "greet",
        "question",
        "yes",
        "thanks",
        "question",
        "choose",
        "yes",
        "goodbye",
    ]


def test_visit_says_no_at_most_once() -> None:
    """Even a customer who always would say no does so once; the next candidate gets a yes."""
    replies = [[], ANSWER, ANSWER, [], [], ANSWER, [], []]
    kinds = _play(replies, deny_share=1.0)
    assert kinds[:5] == ["greet", "question", "no", "yes", "thanks"]
    assert kinds.count("no") == 1


def test_visit_stops_reacting_after_three_presses() -> None:
    """A bot that keeps asking gets at most three presses per question."""
    kinds = _play([[], ANSWER, ANSWER, ANSWER, ANSWER], deny_share=0.0)
    assert kinds == ["greet", "question", "yes", "yes", "yes", "thanks"]


def test_questions_wrap_round_and_count() -> None:
    """Questions are handed out in order, from the start again when they run out."""
    questions = Questions(["a", "b"])
    assert [questions() for _ in range(3)] == ["a", "b", "a"]
    assert questions.handed_out == 3
    with pytest.raises(ValueError, match="no questions"):
        Questions([])


def test_summarise_per_group_and_errors() -> None:
    """Failures are errors outside the percentiles; each group gets its own figures."""
    samples = [Sample("question", 0.0, float(ms), True) for ms in range(1, 11)]
    samples += [Sample("button", 0.0, 2.0, True), Sample("button", 0.0, 9000.0, False)]
    tally = Tally(conversations=4, handoffs=1, unavailable=1)
    summary = summarise("chat API", 2, 5.0, samples, tally)
    assert (summary.turns, summary.errors) == (12, 1)
    assert summary.turns_per_s == pytest.approx(11 / 5)
    assert summary.by_group["question"] == {
        "turns": 10,
        "p50_ms": 5.5,
        "p95_ms": pytest.approx(9.55),
    }
    assert summary.by_group["button"]["turns"] == 1
    assert (summary.conversations, summary.handoffs, summary.unavailable) == (4, 1, 1)


def test_summarise_with_nothing_measured() -> None:
    """No successful turn gives no percentiles rather than an error."""
    summary = summarise("Rasa only", 1, 1.0, [Sample("small talk", 0.0, 1.0, False)], Tally())
    assert (summary.p50_ms, summary.p99_ms, summary.by_group) == (None, None, {})


class _FakeChat(BaseHTTPRequestHandler):
    """The chat API and Rasa's webhook, answering at once: a question gets the feedback buttons;
    "hand me over" hands the conversation to a person."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    started = 0

    def do_POST(self) -> None:
        """Answer one call."""
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path == "/api/v1/conversations":
            type(self).started += 1
            self._send(201, {"id": f"c{self.started}", "token": "t"})
        elif self.path == "/webhooks/rest/webhook":
            self._send(200, [{"recipient_id": body["sender"], "text": "Hello!"}])
        else:
            assert self.headers["Authorization"] == "Bearer t"
            text = body.get("text", "")
            state = "queued" if text == "hand me over" else "bot"
            buttons = [{"title": "Yes", "payload": p} for p in ANSWER] if "question" in text else []
            message = {"sender": "bot", "text": "ok", "buttons": buttons}
            self._send(200, {"messages": [message], "state": state})

    def _send(self, status: int, body: object) -> None:
        """Send a JSON answer on the kept-alive connection."""
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet."""


@pytest.fixture
def fake() -> Iterator[str]:
    """The fake server's base URL."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _FakeChat)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    _FakeChat.started = 0
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_chat_loop_against_a_fake_api(fake: str) -> None:
    """Visits run back to back; a handoff ends a conversation and is counted."""
    questions = Questions(["a question", "hand me over"])
    summary = run_level(
        "chat API",
        lambda i, until, tally: chat_customer(fake, questions, i, until, tally, deny_share=0.0),
        concurrency=2,
        duration=0.3,
        warmup=0.05,
    )
    assert summary.errors == 0
    assert summary.turns > 10
    assert summary.handoffs > 0
    assert summary.conversations >= summary.handoffs
    assert set(summary.by_group) == {"question", "button", "small talk"}


def test_rasa_loop_against_a_fake_webhook(fake: str) -> None:
    """The Rasa-only loop counts text replies as successes."""
    summary = run_level(
        "Rasa only",
        lambda i, until, tally: rasa_customer(fake, str(i), until, tally),
        concurrency=1,
        duration=0.2,
        warmup=0.0,
    )
    assert summary.errors == 0
    assert summary.turns > 5
    assert summary.by_group["small talk"]["turns"] == summary.turns


def test_run_level_rejects_bad_settings() -> None:
    """Concurrency, duration and warm-up are checked."""
    with pytest.raises(ValueError, match="concurrency"):
        run_level("x", lambda i, until, tally: None, concurrency=0, duration=1, warmup=0)


def test_chat_loop_with_pauses_sends_less(fake: str) -> None:
    """A customer who thinks 0.05–0.15 s before each message sends at most one per 0.05 s."""
    questions = Questions(["a question"])
    summary = run_level(
        "chat API, pauses",
        lambda i, until, tally: chat_customer(
            fake, questions, i, until, tally, deny_share=0.0, think=0.1
        ),
        concurrency=1,
        duration=0.3,
        warmup=0.0,
    )
    assert 0 < summary.turns <= 6
    assert summary.errors == 0
