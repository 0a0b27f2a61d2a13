"""HTTP search under load: Tier0 and PostgreSQL full-text search, each behind gunicorn (2 workers).

One run does everything, then removes what it made (the temporary help centre, the PostgreSQL
schema, the servers):

1. Loads the demo help centre into a temporary data folder (``tier0 db upgrade`` + ``tier0 demo``,
   the real model on ONNX Runtime) and copies the same published articles (title, summary, body)
   into a PostgreSQL table with a weighted ``tsvector`` and a GIN index.
2. Serves ``web.create_app()`` and a minimal Flask app over that table with gunicorn, 2 sync
   workers each (``--worker-class gthread`` to compare), side by side on loopback; every worker
   loads its index / connection before it serves.
3. A load generator in its own process (``benchmarks/loadgen.py``) sends distinct natural,
   misspelled and half-typed questions about the demo's topics at 1, 4 and 16 concurrent
   connections, taking turns between the endpoints at each level, and reports client latency
   percentiles, requests/s, errors and — where the server sends ``Server-Timing`` — server time.
4. Relevance on StackFAQ (held-out folds) for PostgreSQL FTS next to Tier0's hybrid search, and
   how often each PostgreSQL variant returns nothing for the load-test questions.

    python -m benchmarks.http_search [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psycopg

from benchmarks import fts_relevance, pg_fts
from benchmarks.help_queries import QueryPool, demo_pool
from benchmarks.http_report import report
from benchmarks.retrieval import machine, write_json
from benchmarks.serving import Server, gunicorn

TIER0 = Path(sys.executable).with_name("tier0")
TIER0_WARM = ("/healthz", "/api/v1/search?q=warm+up+query", "/search/instant?q=warm+up")
INSTANT = "/search/instant?q={q}"


def load_demo(data_dir: Path) -> dict[str, str]:
    """Migrate a new database in ``data_dir``, load the demo and index it; the server's environment."""
    env = {
        **os.environ,
        "TIER0_DATA_DIR": str(data_dir),
        "TIER0_SECRET_KEY": "benchmark-only-secret-key-0123456789",
        "HF_HUB_OFFLINE": "1",
    }
    env.pop("TIER0_DATABASE_URL", None)
    env.pop("TIER0_EMBEDDING_THREADS", None)
    for command in (["db", "upgrade"], ["demo"]):
        _run([str(TIER0), *command], env=env, timeout=1800)
    return {**env, "TIER0_EMBEDDING_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}


def _run(command: list[str], *, env: dict[str, str], timeout: float) -> str:
    """Run a command from the repository root; its output, or an error that shows what it said."""
    done = subprocess.run(
        command,
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:4])} … failed:\n{done.stderr[-3000:]}")
    return done.stdout


def demo_articles(data_dir: Path) -> list[pg_fts.FtsDocument]:
    """The published demo articles, read back from the temporary database."""
    from sqlalchemy import select

    from kb.db import make_engine, make_session_factory
    from kb.models import Article, ArticleStatus

    engine = make_engine(f"sqlite:///{data_dir / 'tier0.sqlite3'}")
    try:
        with make_session_factory(engine)() as session:
            rows = session.scalars(select(Article).where(Article.status == ArticleStatus.PUBLISHED))
            return [pg_fts.FtsDocument(a.slug, a.title, a.summary or "", a.body) for a in rows]
    finally:
        engine.dispose()


def serves_json(server: Server, path: str) -> bool:
    """Whether ``path`` exists on the server and answers JSON."""
    try:
        with urllib.request.urlopen(server.url + path, timeout=10) as response:
            kind = str(response.headers.get("Content-Type", ""))
            return bool(response.status == 200) and kind.startswith("application/json")
    except (OSError, urllib.error.HTTPError):
        return False


def load_level(
    server: Server, template: str, queries: Path, *, concurrency: int, duration: float, offset: int
) -> dict[str, Any]:
    """One load-generator run in a process of its own; its JSON summary."""
    command = [
        sys.executable,
        "-m",
        "benchmarks.loadgen",
        f"--port={server.port}",
        f"--template={template}",
        f"--queries={queries}",
        f"--concurrency={concurrency}",
        f"--duration={duration}",
        "--warmup=1",
        f"--offset={offset}",
    ]
    summary: dict[str, Any] = json.loads(
        _run(command, env=dict(os.environ), timeout=duration + 120)
    )
    return summary


def measure_speed(
    targets: Sequence[tuple[str, Server, str]],
    queries: Path,
    *,
    levels: Sequence[int],
    duration: float,
    pool_size: int,
) -> list[dict[str, Any]]:
    """Every target at every level, taking turns; each server gets the pool's queries in order."""
    rows = []
    offsets: dict[int, int] = {}
    for concurrency in levels:
        for name, server, template in targets:
            offset = offsets.get(server.port, 0)
            summary = load_level(
                server,
                template,
                queries,
                concurrency=concurrency,
                duration=duration,
                offset=offset % pool_size,
            )
            offsets[server.port] = offset + summary["sent"]
            fresh = offsets[server.port] <= pool_size  # no query this server has seen before
            rows.append({"system": name, "server": server.label, "fresh": fresh, **summary})
            print(
                f"  {name} c={concurrency}: {summary['rps']:.0f} req/s, "
                f"p95 {summary['p95_ms'] or float('nan'):.1f} ms",
                file=sys.stderr,
                flush=True,
            )
    return rows


def _pool_file(pool: QueryPool, folder: Path) -> Path:
    """The queries, one per line, for the load generator."""
    path = folder / "queries.txt"
    path.write_text("\n".join(pool.queries) + "\n", encoding="utf-8")
    return path


def serve_and_load(
    tier0_env: dict[str, str],
    table: str,
    queries: Path,
    pool_size: int,
    *,
    levels: Sequence[int],
    duration: float,
    worker_class: str,
    threads: int,
) -> list[dict[str, Any]]:
    """Serve Tier0 and the PostgreSQL table side by side with gunicorn and load every endpoint."""
    pg_env = {**os.environ, "BENCH_PG_TABLE": table, "BENCH_PG_DSN": pg_fts.dsn()}
    with (
        gunicorn(
            "web:create_app()",
            env=tier0_env,
            warm_paths=TIER0_WARM,
            worker_class=worker_class,
            threads=threads,
        ) as t0,
        gunicorn(
            "benchmarks.pg_fts:create_app()",
            env=pg_env,
            worker_class=worker_class,
            threads=threads,
        ) as pg,
    ):
        targets = [("Tier0 /api/v1/search", t0, "/api/v1/search?q={q}")]
        if serves_json(t0, INSTANT.format(q="tent")):
            targets.append(("Tier0 /search/instant", t0, INSTANT))
        targets.append(("PostgreSQL FTS, all words", pg, "/search?q={q}"))
        targets.append(("PostgreSQL FTS, any word", pg, "/search?variant=english_any&q={q}"))
        return measure_speed(
            targets, queries, levels=levels, duration=duration, pool_size=pool_size
        )


def side_by_side(
    conn: psycopg.Connection[Any], schema: str, *, quick: bool
) -> dict[str, dict[str, Any]]:
    """StackFAQ relevance of Tier0's hybrid search and each PostgreSQL variant, per set."""
    sets = fts_relevance.held_out_sets(quick=quick)
    pg_scores = fts_relevance.pg_relevance(conn, schema, sets)
    tier0_scores, _ = fts_relevance.tier0_relevance(sets)
    return {
        bench.name: {
            "tier0_hybrid": tier0_scores[bench.name].as_dict(),
            **{v: s.as_dict() for v, s in pg_scores[bench.name].items()},
        }
        for bench in sets
    }


def run(
    *,
    quick: bool,
    levels: Sequence[int] = (1, 4, 16),
    worker_class: str = "sync",
    threads: int = 4,
    relevance: bool = True,
) -> str:
    """Run the whole benchmark; return the Markdown report (JSON goes to ``results/``)."""
    started = time.perf_counter()
    duration = 4.0 if quick else 20.0
    pool_size = 10_000 if quick else 40_000
    load_before = os.getloadavg()
    results: dict[str, Any] = {"quick": quick, "duration_s": duration, "levels": list(levels)}
    with tempfile.TemporaryDirectory(prefix="tier0-http-bench-") as scratch:
        folder = Path(scratch)
        print("Loading the demo help centre …", file=sys.stderr, flush=True)
        tier0_env = load_demo(folder / "data")
        articles = demo_articles(folder / "data")
        pool = demo_pool(pool_size)
        queries = _pool_file(pool, folder)
        results["pool"] = {"size": len(pool.queries), "kinds": pool.kinds}
        results["articles"] = len(articles)
        with (
            pg_fts.scratch_schema() as schema,
            psycopg.connect(pg_fts.dsn(), autocommit=True) as conn,
        ):
            table = f"{schema}.demo_articles"
            pg_fts.create_table(conn, table, articles)
            results["speed"] = serve_and_load(
                tier0_env,
                table,
                queries,
                len(pool.queries),
                levels=levels,
                duration=duration,
                worker_class=worker_class,
                threads=threads,
            )
            results["demo_zero_results"] = fts_relevance.demo_zero_results(
                conn, table, pool.by_kind(200 if quick else 1000)
            )
            if relevance:
                print("Relevance on StackFAQ …", file=sys.stderr, flush=True)
                results["relevance"] = side_by_side(conn, schema, quick=quick)
    results["load_average"] = {"before": load_before, "after": os.getloadavg()}
    results["machine"] = machine()
    results["seconds"] = time.perf_counter() - started
    write_json("http_search-quick" if quick else "http_search", results)
    return report(results)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: ``python -m benchmarks.http_search [--quick]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="4 s per level, thread-level relevance"
    )
    parser.add_argument("--levels", default="1,4,16", help="concurrent connections to try")
    parser.add_argument(
        "--worker-class",
        default="sync",
        choices=("sync", "gthread"),
        help="gunicorn worker class (sync: one request at a time per worker, the faster here)",
    )
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--no-relevance", action="store_true", help="speed only")
    args = parser.parse_args(argv)
    # A SIGTERM unwinds like Ctrl-C, so the servers are stopped and the schema dropped.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        print(
            run(
                quick=args.quick,
                levels=[int(level) for level in args.levels.split(",")],
                worker_class=args.worker_class,
                threads=args.threads,
                relevance=not args.no_relevance,
            )
        )
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: object) -> None:
    """Turn a termination signal into KeyboardInterrupt."""
    raise KeyboardInterrupt(f"signal {signum}")


if __name__ == "__main__":
    main()
