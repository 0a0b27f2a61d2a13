"""The load generator's arithmetic and its run against a tiny local HTTP server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from benchmarks.loadgen import (
    Sample,
    percentile,
    request_paths,
    run_load,
    server_duration,
    summarise,
)


@pytest.mark.parametrize("q", [0, 1, 37.5, 50, 95, 99, 100])
def test_percentile_matches_numpy(q: float) -> None:
    """Linear interpolation between ranks, as numpy's default."""
    values = [5.0, 1.0, 9.0, 3.0, 3.0, 12.5, 7.25]
    assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)))


def test_percentile_of_one_value_and_bad_input() -> None:
    """One value is every percentile; no values or q outside 0–100 is an error."""
    assert percentile([4.0], 95) == 4.0
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile([1.0], 101)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("app;dur=12.5", 12.5),
        ('db;dur=3, app;desc="search";dur=7', 7.0),
        ("APP; dur=1", 1.0),
        ("cache;dur=2", None),
        ("", None),
        (None, None),
    ],
)
def test_server_duration(header: str | None, expected: float | None) -> None:
    """The ``app`` metric's duration is read from a Server-Timing header."""
    assert server_duration(header) == expected


def test_summarise_counts_errors_and_throughput() -> None:
    """Non-200 answers are errors and left out of the percentiles; rate is successes per second."""
    samples = [Sample(0.0, float(ms), 200, ms / 2) for ms in range(1, 11)]
    samples += [Sample(0.0, 500.0, 500), Sample(0.0, 1.0, 0)]
    summary = summarise(samples, concurrency=2, seconds=5.0)
    assert summary.requests == 12
    assert summary.errors == 2
    assert summary.rps == pytest.approx(2.0)
    assert summary.p50_ms == pytest.approx(5.5)
    assert summary.server_p50_ms == pytest.approx(2.75)
    assert summary.p99_ms is not None and summary.p99_ms < 11


def test_summarise_with_nothing_measured() -> None:
    """No successful request gives no percentiles rather than an error."""
    summary = summarise([Sample(0.0, 1.0, 503)], concurrency=1, seconds=1.0)
    assert (summary.p50_ms, summary.server_p95_ms, summary.errors) == (None, None, 1)


def test_request_paths_encode_queries() -> None:
    """Queries are URL-encoded into the template's slot."""
    assert request_paths("/s?q={q}&x=1", ["can't log in?", "a&b"]) == [
        "/s?q=can%27t+log+in%3F&x=1",
        "/s?q=a%26b&x=1",
    ]
    with pytest.raises(ValueError, match="slot"):
        request_paths("/search", ["x"])


class _Handler(BaseHTTPRequestHandler):
    """Answers keep-alive GETs; ``/fail`` answers 500."""

    protocol_version = "HTTP/1.1"
    seen: list[str] = []  # noqa: RUF012

    def do_GET(self) -> None:
        """Reply with a small body and a Server-Timing header."""
        self.seen.append(self.path)
        body = b'{"ok": true}'
        self.send_response(500 if self.path.startswith("/fail") else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Server-Timing", "app;dur=0.5")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet."""


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    """A local HTTP server on a free port."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    _Handler.seen = []
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_run_load_against_a_server(server: ThreadingHTTPServer) -> None:
    """Several connections send distinct queries in order and collect the server's timing."""
    port = server.server_address[1]
    paths = request_paths("/ok?q={q}", [f"query {i}" for i in range(10_000)])
    summary = run_load("127.0.0.1", port, paths, concurrency=3, duration=0.3, warmup=0.05, offset=5)
    assert summary.requests > 10
    assert summary.errors == 0
    assert summary.sent >= summary.requests
    assert summary.server_p95_ms == pytest.approx(0.5)
    assert summary.queries_reused == 0
    assert _Handler.seen[0] in paths[5:8]
    assert len(set(_Handler.seen)) == len(_Handler.seen)


def test_run_load_counts_server_errors(server: ThreadingHTTPServer) -> None:
    """500 answers are counted as errors, and a short list of queries is reused."""
    port = server.server_address[1]
    summary = run_load("127.0.0.1", port, ["/fail"], concurrency=1, duration=0.1)
    assert summary.requests > 0
    assert summary.errors == summary.requests
    assert summary.p95_ms is None
    assert summary.queries_reused == summary.sent - 1


def test_run_load_rejects_bad_settings() -> None:
    """Concurrency below 1 is refused before anything is sent."""
    with pytest.raises(ValueError, match="concurrency"):
        run_load("127.0.0.1", 1, ["/"], concurrency=0, duration=1)
