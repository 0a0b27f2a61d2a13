"""The real thing: the ``tier0`` command and server with the real embedding model on the demo."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.model

TIER0 = str(Path(sys.executable).with_name("tier0"))


def _run(
    args: list[str], env: dict[str, str], timeout: int = 600
) -> subprocess.CompletedProcess[str]:
    """Run ``tier0 ARGS`` and capture its output."""
    return subprocess.run(
        [TIER0, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment whose data dir holds the loaded demo help centre."""
    data = tmp_path_factory.mktemp("e2e")
    env = {**os.environ, "TIER0_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1"}
    env.pop("TIER0_DATABASE_URL", None)
    loaded = _run(["demo"], env)
    assert loaded.returncode == 0, loaded.stderr
    assert "0 failed" in loaded.stdout
    return env


def test_search_command_finds_the_returns_article(env: dict[str, str]) -> None:
    """``tier0 kb search`` ranks the returns article first for a returns question."""
    found = _run(
        ["kb", "search", "--json", "I want to send back hiking shoes that are too small"], env
    )
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)["hits"]
    assert hits[0]["category"] == "returns-and-refunds"


def test_search_command_filters_by_source(env: dict[str, str]) -> None:
    """``--source community`` returns only community threads."""
    found = _run(["kb", "search", "--json", "--source", "community", "boots that fit"], env)
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)["hits"]
    assert hits and {h["source"] for h in hits} == {"community"}


def test_import_with_bad_rows_exits_non_zero(env: dict[str, str], tmp_path: Path) -> None:
    """A bad row makes the import exit 1 and say where; the good row still loads."""
    path = tmp_path / "extra.jsonl"
    path.write_text(
        json.dumps({"title": "Store hours", "body": "We are online only, open all hours."})
        + "\n{oops\n",
        "utf-8",
    )
    result = _run(["kb", "import", str(path)], env)
    assert result.returncode == 1
    assert f"{path}:2:" in result.stderr
    found = _run(["kb", "search", "--json", "store opening hours"], env)
    assert json.loads(found.stdout)["hits"][0]["ref"] == "store-hours"


def test_eval_command(tmp_path: Path, env: dict[str, str]) -> None:
    """``tier0 kb eval`` prints the metrics and writes predictions."""
    faqs = tmp_path / "faqs.jsonl"
    faqs.write_text(
        json.dumps({"faq_id": "ship", "question": "How long is delivery?", "answer": "3-7 days."})
        + "\n"
        + json.dumps(
            {"faq_id": "pw", "question": "How do I reset my password?", "answer": "Use the link."}
        )
        + "\n",
        "utf-8",
    )
    queries = tmp_path / "queries.jsonl"
    queries.write_text(
        json.dumps({"text": "when will my parcel arrive", "relevant_faq_ids": ["ship"]})
        + "\n"
        + json.dumps({"text": "forgot my login password", "relevant_faq_ids": ["pw"]})
        + "\n",
        "utf-8",
    )
    out = tmp_path / "predictions.jsonl"
    result = _run(
        ["kb", "eval", "--faqs", str(faqs), "--queries", str(queries), "--predictions", str(out)],
        env,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["recall@1"] == 1.0
    rows = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert len(rows) == 2 and {"faq_id", "confidence"} <= set(rows[0])


def _free_port() -> int:
    """A TCP port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(env: dict[str, str]) -> Iterator[str]:
    """``tier0 serve`` running on a free port."""
    port = _free_port()
    log = Path(env["TIER0_DATA_DIR"]) / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [TIER0, "serve", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=2)
                break
            except OSError:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_server_answers_the_acceptance_query(server: str) -> None:
    """``GET /api/v1/search?q=how+do+I+return+boots`` puts a returns article first."""
    with urllib.request.urlopen(f"{server}/api/v1/search?q=how+do+I+return+boots") as response:
        body = json.load(response)
    assert body["hits"][0]["category"] == "returns-and-refunds"
    assert body["decision"] == "answer"


def test_server_accepts_many_open_connections(server: str) -> None:
    """150 kept-alive connections (open chat widgets) and one more request is still answered.

    waitress accepts only 100 connections by default and leaves the rest unaccepted until one
    closes; ``tier0 serve --connections`` (1000) lifts that.
    """
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(server)
    held = []
    try:
        for _ in range(150):
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            response.read()
            assert response.status in (200, 503)
            held.append(connection)  # kept alive, as a widget's connection is
        with urllib.request.urlopen(f"{server}/healthz", timeout=10) as response:
            assert response.status in (200, 503)
    finally:
        for connection in held:
            connection.close()
