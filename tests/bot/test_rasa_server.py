"""bot/rasa_server.py in the Rasa environment: the cached validator accepts and rejects exactly what
Rasa's own check does, with Rasa's own error, and the launcher runs the ``rasa`` command line."""

from __future__ import annotations

import json

import pytest

from tests.bot.test_rasa_env import RASA_PYTHON, require_rasa_venv, run

pytestmark = pytest.mark.rasa

COMPARE = """
import json, time
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from bot import rasa_server

responses = json.loads(%r)
action = RemoteAction("action_answer", None)

def outcome(validate):
    found = []
    for response in responses:
        try:
            found.append(["ok", validate(action, response)])
        except ValidationError as error:
            found.append(["error", error.message])
    return found

def per_call_ms(validate):
    started = time.perf_counter()
    for _ in range(10):
        validate(action, responses[0])
    return (time.perf_counter() - started) * 100

original = RemoteAction._validate_action_result
before, before_ms = outcome(original), per_call_ms(original)
rasa_server.install()
rasa_server.install()
patched = RemoteAction._validate_action_result
after, after_ms = outcome(patched), per_call_ms(patched)
print(json.dumps({
    "before": before, "after": after, "replaced": patched is not original,
    "cached": rasa_server.response_validator() is rasa_server.response_validator(),
    "before_ms": before_ms, "after_ms": after_ms,
}))
"""

RESPONSES = [
    {
        "events": [
            {"event": "slot", "name": "question", "value": "where is my order"},
            {"event": "slot", "name": "awaiting_feedback", "value": True},
        ],
        "responses": [
            {"text": "Your order ships in two days.", "buttons": [], "custom": {}},
            {"custom": {"articles": [{"ref": "track-your-order", "title": "Track your order"}]}},
        ],
    },
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": 5}], "responses": []},
    {"events": [{"event": "no_such_event"}], "responses": []},
    {"events": [], "responses": ["not an object"]},
]


def test_cached_validation_matches_rasa() -> None:
    """Same verdicts and messages as Rasa's ``jsonschema.validate`` check, several times faster."""
    require_rasa_venv()
    done = run([str(RASA_PYTHON), "-c", COMPARE % json.dumps(RESPONSES)], timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["replaced"] and found["cached"]
    assert found["after"] == found["before"]
    assert [kind for kind, _ in found["after"]] == ["ok", "ok", "error", "error", "error"]
    assert all("Failed to validate Action server response" in m for _, m in found["after"][2:])
    assert found["after_ms"] * 3 < found["before_ms"], found


def test_launcher_runs_the_rasa_command_line() -> None:
    """``python -m bot.rasa_server`` is the ``rasa`` command (here: its version)."""
    require_rasa_venv()
    done = run([str(RASA_PYTHON), "-m", "bot.rasa_server", "--version"], timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Rasa Version" in done.stdout
    assert "3.6.21" in done.stdout
