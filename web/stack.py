"""Run the whole of Tier0 on one machine: the action server, the Rasa server and the web app.

``tier0 run`` (and the end-to-end tests) use :class:`Stack`: it starts the three processes, waits
until each answers its health check, and stops all of them together.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RASA_BIN = REPO / ".venv-rasa" / "bin" / "rasa"
MODEL = REPO / "models" / "current.tar.gz"


class StackError(RuntimeError):
    """A process of the stack could not start or did not become healthy."""


@dataclass
class Process:
    """One process of the stack and how to tell that it is ready."""

    name: str
    command: list[str]
    health_url: str
    env: dict[str, str] = field(default_factory=dict)
    popen: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    def log_tail(self, lines: int = 30) -> str:
        """The end of the process's log, for error messages."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        text = self.log_path.read_text("utf-8", errors="replace").splitlines()
        return "\n".join(text[-lines:])


@dataclass
class Ports:
    """Where each process listens (all on loopback)."""

    web: int = 8000
    rasa: int = 5005
    actions: int = 5055


def endpoints_file(actions_url: str, folder: Path) -> Path:
    """A copy of bot/endpoints.yml whose action endpoint points at ``actions_url``."""
    source = (REPO / "bot" / "endpoints.yml").read_text("utf-8")
    lines = []
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith("url:") and "/webhook" in stripped:
            indent = line[: len(line) - len(line.lstrip())]
            lines.append(f'{indent}url: "{actions_url}/webhook"')
        else:
            lines.append(line)
    path = folder / "endpoints.yml"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


class Stack:
    """The action server, Rasa server and web app as child processes."""

    def __init__(
        self,
        *,
        ports: Ports,
        env: dict[str, str] | None = None,
        model: Path = MODEL,
        rasa_bin: Path = RASA_BIN,
        log_dir: Path | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        """Describe the stack; nothing starts until :meth:`start`."""
        self.ports = ports
        self.host = host
        self.model = model
        self.rasa_bin = rasa_bin
        self._tmp = tempfile.TemporaryDirectory(prefix="tier0-stack-")
        self.log_dir = log_dir or Path(self._tmp.name)
        base_env = {**os.environ, **(env or {})}
        base_env.update(
            TIER0_RASA_URL=self.rasa_url,
            TIER0_ACTIONS_URL=self.actions_url,
            HF_HUB_OFFLINE="1",
            TRANSFORMERS_OFFLINE="1",
            RASA_TELEMETRY_ENABLED="false",
            TF_CPP_MIN_LOG_LEVEL="2",
            PYTHONUNBUFFERED="1",
        )
        self.env = base_env
        tier0 = str(Path(sys.executable).with_name("tier0"))
        endpoints = endpoints_file(self.actions_url, Path(self._tmp.name))
        self.processes = [
            Process(
                "actions",
                [
                    sys.executable,
                    "-m",
                    "rasa_sdk",
                    "--actions",
                    "bot.actions",
                    "-p",
                    str(ports.actions),
                ],
                f"{self.actions_url}/health",
            ),
            Process(
                "rasa",
                [
                    # `rasa run` with one speed fix to Rasa 3.6 (see bot/rasa_server.py).
                    str(rasa_bin.with_name("python")),
                    "-m",
                    "bot.rasa_server",
                    "run",
                    "-m",
                    str(model),
                    "--endpoints",
                    str(endpoints),
                    "--credentials",
                    str(REPO / "bot" / "credentials.yml"),
                    "-i",
                    host,
                    "-p",
                    str(ports.rasa),
                    "--log-file",
                    str(self.log_dir / "rasa-server.log"),
                ],
                f"{self.rasa_url}/",
            ),
            Process(
                "web",
                [tier0, "serve", "--host", host, "--port", str(ports.web)],
                f"{self.web_url}/healthz",
            ),
        ]

    @property
    def web_url(self) -> str:
        """The help centre's address."""
        return f"http://{self.host}:{self.ports.web}"

    @property
    def rasa_url(self) -> str:
        """The Rasa server's address."""
        return f"http://{self.host}:{self.ports.rasa}"

    @property
    def actions_url(self) -> str:
        """The action server's address."""
        return f"http://{self.host}:{self.ports.actions}"

    def check(self) -> None:
        """Fail early and clearly when something the stack needs is missing."""
        if not self.rasa_bin.exists():
            raise StackError(
                f"The Rasa environment is missing ({self.rasa_bin}): run 'make rasa-env'."
            )
        if not self.model.exists():
            raise StackError(f"No trained Rasa model at {self.model}: run 'make model'.")

    def start(self, *, only: set[str] | None = None) -> None:
        """Start the processes (all, or ``only`` those named) in order."""
        self.check()
        for process in self.processes:
            if only is not None and process.name not in only:
                continue
            self.start_process(process.name)

    def start_process(self, name: str) -> None:
        """Start (or restart) one process by name."""
        process = self.process(name)
        if process.popen is not None and process.popen.poll() is None:
            return
        process.log_path = self.log_dir / f"{name}.log"
        log = process.log_path.open("ab")
        process.popen = subprocess.Popen(
            process.command,
            cwd=REPO,
            env={**self.env, **process.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def stop_process(self, name: str, *, timeout: float = 15) -> None:
        """Stop one process (SIGTERM to its group, then SIGKILL)."""
        process = self.process(name)
        popen = process.popen
        if popen is None or popen.poll() is not None:
            return
        with suppress(ProcessLookupError):
            os.killpg(popen.pid, signal.SIGTERM)
        try:
            popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(popen.pid, signal.SIGKILL)
            popen.wait(timeout=5)

    def stop(self) -> None:
        """Stop every process, web first."""
        for process in reversed(self.processes):
            self.stop_process(process.name)

    def close(self) -> None:
        """Stop everything and remove temporary files."""
        self.stop()
        self._tmp.cleanup()

    def process(self, name: str) -> Process:
        """The process called ``name``."""
        for process in self.processes:
            if process.name == name:
                return process
        raise KeyError(name)

    def wait_healthy(self, *, timeout: float = 240, names: set[str] | None = None) -> None:
        """Wait until each started process answers its health check; raise with its log if not."""
        deadline = time.monotonic() + timeout
        for process in self.processes:
            if process.popen is None or (names is not None and process.name not in names):
                continue
            while not _answers(process.health_url):
                if process.popen.poll() is not None:
                    raise StackError(
                        f"{process.name} exited with code {process.popen.returncode}:\n"
                        + process.log_tail()
                    )
                if time.monotonic() > deadline:
                    raise StackError(
                        f"{process.name} did not become healthy in {timeout:.0f} s:\n"
                        + process.log_tail()
                    )
                time.sleep(0.3)
            if process.name == "actions":
                self.warm_up_actions()

    def warm_up_actions(self) -> None:
        """Run one answer through the action server so its model and index are loaded.

        The action server opens the knowledge base on first use (nothing happens at import time);
        without this the first customer would wait for it.
        """
        call = {
            "next_action": "action_answer",
            "sender_id": "tier0-warm-up",
            "tracker": {
                "sender_id": "tier0-warm-up",
                "slots": {},
                "latest_message": {
                    "text": "how do I return an item",
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
        request = urllib.request.Request(
            f"{self.actions_url}/webhook",
            data=json.dumps(call).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=180) as response:
                response.read()
        except OSError as error:
            raise StackError(
                f"The action server failed its warm-up: {error}\n"
                + self.process("actions").log_tail()
            ) from error

    def wait(self) -> int:
        """Block until any process exits; returns its exit code."""
        while True:
            for process in self.processes:
                if process.popen is not None and process.popen.poll() is not None:
                    return process.popen.returncode
            time.sleep(0.5)


@contextmanager
def running(stack: Stack, *, timeout: float = 240) -> Iterator[Stack]:
    """Start the stack, wait for health, and always stop it."""
    try:
        stack.start()
        stack.wait_healthy(timeout=timeout)
        yield stack
    finally:
        stack.close()


def _answers(url: str) -> bool:
    """Whether ``url`` answers 200 within a second."""
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False
