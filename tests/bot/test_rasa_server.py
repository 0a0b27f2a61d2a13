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


EVENT_LOOKUP = """
import json
from rasa.shared.core.events import Event, SlotSet
from rasa.shared.utils.common import all_subclasses
from bot import rasa_server

def outcome(resolve, name, default=None):
    try:
        found = resolve(name, default)
    except ValueError as error:
        return ["error", str(error)]
    return ["ok", None if found is None else found.__name__]

names = sorted({cls.type_name for cls in all_subclasses(Event)}) + ["topic", "no_such_event"]
original = Event.resolve_by_type
before = [outcome(original, n) for n in names] + [outcome(original, "no_such_event", SlotSet)]
rasa_server.install_event_lookup()
rasa_server.install_event_lookup()
patched = Event.resolve_by_type
after = [outcome(patched, n) for n in names] + [outcome(patched, "no_such_event", SlotSet)]

class LateEvent(SlotSet):
    type_name = "tier0_late_event"

late = outcome(Event.resolve_by_type, "tier0_late_event")
event = Event.from_parameters({"event": "slot", "name": "question", "value": "boots"})
print(json.dumps({
    "names": len(names), "before": before, "after": after, "replaced": patched is not original,
    "late": late, "event": [type(event).__name__, event.key, event.value],
}))
"""


def test_event_lookup_finds_the_same_classes_as_rasa() -> None:
    """Every event name resolves to Rasa's own class; unknown names fail or default as before."""
    require_rasa_venv()
    done = run([str(RASA_PYTHON), "-c", EVENT_LOOKUP], timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["replaced"] and found["names"] > 20
    assert found["after"] == found["before"]
    assert found["after"][-3:] == [
        ["ok", None],
        ["error", "Unknown event name 'no_such_event'."],
        ["ok", "SlotSet"],
    ]
    assert found["late"] == ["ok", "LateEvent"]
    assert found["event"] == ["SlotSet", "question", "boots"]
