"""Browser fixtures: the real ``tier0 serve`` on the demo help centre, driven by Debian's chromium.

Playwright only drives the browser: it never downloads one. Screenshots are written to
``test-artifacts/screenshots`` (ignored by git) so a person can look at what the tests saw.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright, sync_playwright

from kb.knowledge_base import KnowledgeBase
from tests.web.kbs import open_kb

REPO = Path(__file__).resolve().parents[2]
TIER0 = str(Path(sys.executable).with_name("tier0"))
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    """Poll /healthz until the server answers, failing fast if it exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"tier0 serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not become healthy in {timeout} s")


@pytest.fixture(scope="session")
def server_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment of a data dir holding the migrated demo help centre (real model)."""
    data = tmp_path_factory.mktemp("browser-data")
    env = {**os.environ, "TIER0_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1"}
    env.pop("TIER0_DATABASE_URL", None)
    for args in (["db", "upgrade"], ["demo"]):
        done = subprocess.run([TIER0, *args], env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
    return env


@pytest.fixture
def served_kb(server_env: dict[str, str]) -> Iterator[KnowledgeBase]:
    """The served database, for writing staff and test data straight in (no search index needed)."""
    kb = open_kb(Path(server_env["TIER0_DATA_DIR"]), persist=False)
    yield kb
    kb.close()


@contextmanager
def serving(env: dict[str, str], log_path: Path) -> Iterator[str]:
    """``tier0 serve`` on a free port with ``env`` while the block runs; its URL."""
    port = _free_port()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [TIER0, "serve", "--port", str(port)], env=env, stdout=log, stderr=log
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(url, process)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(scope="session")
def base_url(server_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a running ``tier0 serve``."""
    with serving(server_env, tmp_path_factory.mktemp("browser-log") / "serve.log") as url:
        yield url


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """The Playwright driver."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def context(playwright: Playwright, tmp_path: Path) -> Iterator[BrowserContext]:
    """A fresh chromium with an empty user-data dir (no cookies, no history)."""
    profile = tmp_path / "profile"
    profile.mkdir()
    ctx = playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 1280, "height": 900},
    )
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    """A page that fails the test on any JavaScript error or Content-Security-Policy violation."""
    page = context.pages[0] if context.pages else context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console {message.type}: {message.text}")
            if message.type == "error" and "429" not in message.text and "400" not in message.text
            else None
        ),
    )
    page.problems = problems  # type: ignore[attr-defined]
    yield page
    assert not problems, problems


def screenshot(page: Page, name: str, *, full_page: bool = False) -> Path:
    """Save a screenshot as a test artifact and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
