"""``python -m rasa_sdk --actions bot.actions`` starts, lists every action and runs one over HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.bot.chat import user

REPO = Path(__file__).resolve().parents[2]
ACTIONS = {
    "action_answer",
    "action_feedback",
    "action_handoff",
    "action_frustration",
    "action_out_of_scope",
}


def _free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> Any:
    """GET a JSON document."""
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def action_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The action server on a free port (its knowledge base, never opened here, in a temp dir)."""
    port = _free_port()
    folder = tmp_path_factory.mktemp("actions")
    log = folder / "action-server.log"
    env = {
        **os.environ,
        "SANIC_HOST": "127.0.0.1",
        "TIER0_DATA_DIR": str(folder),
    }
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "rasa_sdk", "--actions", "bot.actions", "-p", str(port)],
            cwd=REPO,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                assert process.stderr is not None
                raise RuntimeError(
                    f"action server exited: {process.stderr.read().decode()[-2000:]}"
                )
            try:
                _get(f"{url}/health")
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_health(action_server: str) -> None:
    assert _get(f"{action_server}/health") == {"status": "ok"}


def test_lists_every_action(action_server: str) -> None:
    names = {a["name"] for a in _get(f"{action_server}/actions")}
    assert names == ACTIONS


def test_runs_the_handoff_over_http(action_server: str) -> None:
    message = user("/request_human", metadata={"customer": {"verified": True}})
    call = {
        "next_action": "action_handoff",
        "sender_id": "c1",
        "tracker": {
            "sender_id": "c1",
            "slots": {},
            "latest_message": message["parse_data"],
            "events": [message],
        },
        "domain": {},
        "version": "3.6.21",
    }
    request = urllib.request.Request(
        f"{action_server}/webhook",
        data=json.dumps(call).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body = json.loads(response.read())
    handoff = body["responses"][1]["custom"]["handoff"]
    assert handoff["reason"] == "customer_request"
    assert {"event": "slot", "timestamp": None, "name": "handed_over", "value": True} in body[
        "events"
    ]
