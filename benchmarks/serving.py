"""Run a WSGI app under gunicorn on a free loopback port for a benchmark, and always stop it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


@dataclass(frozen=True, slots=True)
class Server:
    """A running gunicorn: where it listens and how it was started."""

    host: str
    port: int
    pid: int
    worker_class: str
    workers: int
    threads: int

    @property
    def url(self) -> str:
        """The base URL."""
        return f"http://{self.host}:{self.port}"

    @property
    def label(self) -> str:
        """How the server was run, for tables: ``sync ×2`` or ``gthread 2×4`` (workers × threads)."""
        if self.worker_class == "gthread":
            return f"{self.worker_class} {self.workers}×{self.threads}"
        return f"{self.worker_class} ×{self.workers}"


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _stop(process: subprocess.Popen[bytes], grace: float = 15.0) -> None:
    """Ask gunicorn to shut down (SIGTERM: graceful), and kill it if it has not after ``grace`` s."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=grace)


def _wait_ready(
    process: subprocess.Popen[bytes], ready_dir: Path, workers: int, url: str, timeout: float
) -> None:
    """Block until every worker has warmed up and ``/healthz`` answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {process.returncode}")
        if len(list(ready_dir.iterdir())) >= workers:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
                    if response.status == 200:
                        return
            except (OSError, urllib.error.HTTPError):
                pass
        time.sleep(0.2)
    raise TimeoutError(f"gunicorn was not ready within {timeout:.0f} s")


@contextmanager
def gunicorn(
    app: str,
    *,
    env: Mapping[str, str],
    warm_paths: Sequence[str] = ("/healthz",),
    workers: int = 2,
    worker_class: str = "sync",
    threads: int = 4,
    ready_timeout: float = 300.0,
) -> Iterator[Server]:
    """Serve ``app`` (a gunicorn app spec such as ``'web:create_app()'``) until the block ends.

    Each worker requests ``warm_paths`` in-process before it accepts connections (see
    ``benchmarks/_gunicorn.py``). The server is stopped on leaving the block, also on errors and
    Ctrl-C; its log is printed if it fails to start.
    """
    if worker_class != "gthread":
        threads = 1  # gunicorn would switch a sync worker with threads to gthread
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="tier0-gunicorn-") as scratch:
        ready_dir = Path(scratch, "ready")
        ready_dir.mkdir()
        log_path = Path(scratch, "gunicorn.log")
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            worker_class,
            "--threads",
            str(threads),
            "--config",
            "python:benchmarks._gunicorn",
            "--log-level",
            "warning",
            "--timeout",
            "120",
            app,
        ]
        full_env = {
            **os.environ,
            **env,
            "BENCH_READY_DIR": str(ready_dir),
            "BENCH_WARM_PATHS": "|".join(warm_paths),
        }
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command, cwd=REPO, env=full_env, stdout=log, stderr=subprocess.STDOUT
            )
            try:
                server = Server(HOST, port, process.pid, worker_class, workers, threads)
                try:
                    _wait_ready(process, ready_dir, workers, server.url, ready_timeout)
                except (RuntimeError, TimeoutError):
                    log.flush()
                    tail = log_path.read_text(errors="replace")[-3000:]
                    print(f"gunicorn failed to start ({app}):\n{tail}", file=sys.stderr)
                    raise
                yield server
            finally:
                _stop(process)
