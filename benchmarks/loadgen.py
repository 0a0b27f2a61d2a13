"""A loopback HTTP load generator: N keep-alive connections send GET requests for a fixed time.

Run as its own process so its work stays out of the process that orchestrates the benchmark::

    python -m benchmarks.loadgen --port 8123 --template '/api/v1/search?q={q}' \\
        --queries queries.txt --concurrency 4 --duration 20 --warmup 2

It prints one JSON object (see :class:`LoadSummary`). Each of the ``concurrency`` threads holds one
``http.client`` connection, reused while the server keeps it open (HTTP/1.1 keep-alive) and
reopened when the server closes it, and takes the next query from a shared list, so no query is
sent twice until the list runs out. Latency is measured from sending the request to having read the
whole body. A ``Server-Timing: app;dur=<ms>`` response header, when present, is collected as well.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import re
import sys
import threading
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

_APP_DURATION = re.compile(r"(?:^|,)\s*app\s*;(?:[^,]*;)?\s*dur=([0-9.]+)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Sample:
    """One request: when it started (perf_counter s), how long it took (ms), its status."""

    started: float
    latency_ms: float
    status: int
    server_ms: float | None = None


@dataclass(frozen=True, slots=True)
class LoadSummary:
    """What a load run measured; latencies in milliseconds, ``None`` when there was nothing.

    ``requests`` counts the measured requests, ``sent`` also those of the warm-up; queries are
    ``reused`` when the run needed more than the list held.
    """

    concurrency: int
    seconds: float
    requests: int
    errors: int
    rps: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    server_p50_ms: float | None
    server_p95_ms: float | None
    sent: int
    queries_reused: int


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100), interpolated linearly between ranks as numpy's default does."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"q must be between 0 and 100, got {q}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def server_duration(header: str | None) -> float | None:
    """The ``app`` metric's ``dur`` (ms) from a ``Server-Timing`` header, if it has one."""
    if not header:
        return None
    found = _APP_DURATION.search(header)
    return float(found.group(1)) if found else None


def summarise(
    samples: Sequence[Sample],
    *,
    concurrency: int,
    seconds: float,
    sent: int | None = None,
    queries_reused: int = 0,
) -> LoadSummary:
    """Percentiles of the successful requests; anything but a 200 (or no answer) is an error."""
    good = [s.latency_ms for s in samples if s.status == 200]
    server = [s.server_ms for s in samples if s.status == 200 and s.server_ms is not None]

    def pct(values: Sequence[float], q: float) -> float | None:
        return percentile(values, q) if values else None

    return LoadSummary(
        concurrency=concurrency,
        seconds=seconds,
        requests=len(samples),
        errors=len(samples) - len(good),
        rps=len(good) / seconds if seconds > 0 else 0.0,
        p50_ms=pct(good, 50),
        p95_ms=pct(good, 95),
        p99_ms=pct(good, 99),
        server_p50_ms=pct(server, 50),
        server_p95_ms=pct(server, 95),
        sent=len(samples) if sent is None else sent,
        queries_reused=queries_reused,
    )


def request_paths(template: str, queries: Sequence[str]) -> list[str]:
    """The request paths: each query URL-encoded into the ``{q}`` slot of the template."""
    if "{q}" not in template:
        raise ValueError(f"the path template needs a {{q}} slot, got {template!r}")
    return [template.replace("{q}", urllib.parse.quote_plus(q)) for q in queries]


class _Paths:
    """Hands out the request paths in order to every thread, wrapping round when they run out."""

    def __init__(self, paths: Sequence[str], offset: int) -> None:
        """Start ``offset`` paths into the list."""
        if not paths:
            raise ValueError("no request paths")
        self._paths, self._next, self._lock = paths, offset, threading.Lock()
        self.handed_out = 0

    def take(self) -> str:
        """The next path."""
        with self._lock:
            path = self._paths[self._next % len(self._paths)]
            self._next += 1
            self.handed_out += 1
            return path


def _client(
    host: str, port: int, paths: _Paths, until: float, out: list[Sample], timeout: float
) -> None:
    """One connection sending requests back to back until the deadline."""
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        while (started := time.perf_counter()) < until:
            path = paths.take()
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                out.append(Sample(started, (time.perf_counter() - started) * 1000, 0))
                connection.close()
                continue
            elapsed = (time.perf_counter() - started) * 1000
            timing = server_duration(response.getheader("Server-Timing"))
            out.append(Sample(started, elapsed, response.status, timing))
            if response.will_close:
                connection.close()  # the next request opens a new connection
    finally:
        connection.close()


def run_load(
    host: str,
    port: int,
    paths: Sequence[str],
    *,
    concurrency: int,
    duration: float,
    warmup: float = 0.0,
    offset: int = 0,
    timeout: float = 30.0,
) -> LoadSummary:
    """Drive the server with ``concurrency`` connections; requests started during warm-up don't count."""
    if concurrency < 1 or duration <= 0 or warmup < 0:
        raise ValueError("concurrency must be ≥ 1, duration > 0 and warmup ≥ 0")
    source = _Paths(paths, offset)
    start = time.perf_counter()
    measured_from, until = start + warmup, start + warmup + duration
    outputs: list[list[Sample]] = [[] for _ in range(concurrency)]
    threads = [
        threading.Thread(target=_client, args=(host, port, source, until, out, timeout))
        for out in outputs
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Requests still in flight at the deadline finish late; count the time they took.
    finished = max((s.started + s.latency_ms / 1000 for out in outputs for s in out), default=until)
    samples = [s for out in outputs for s in out if s.started >= measured_from]
    return summarise(
        samples,
        concurrency=concurrency,
        seconds=max(finished, until) - measured_from,
        sent=source.handed_out,
        queries_reused=max(0, source.handed_out - len(paths)),
    )


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command-line flags."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--template", required=True, help="request path with a {q} slot")
    parser.add_argument("--queries", type=Path, required=True, help="one query per line")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds first")
    parser.add_argument("--offset", type=int, default=0, help="start this far into the queries")
    return parser.parse_args(argv)


def cli(argv: Sequence[str] | None = None) -> int:
    """Command line: run one load level and print its summary as JSON."""
    args = _parse(argv)
    queries = [q for q in args.queries.read_text(encoding="utf-8").splitlines() if q.strip()]
    summary = run_load(
        args.host,
        args.port,
        request_paths(args.template, queries),
        concurrency=args.concurrency,
        duration=args.duration,
        warmup=args.warmup,
        offset=args.offset,
    )
    print(json.dumps(asdict(summary)))
    return 0


if __name__ == "__main__":
    sys.exit(cli())
