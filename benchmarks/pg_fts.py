"""PostgreSQL full-text search over help articles: the baseline Tier0's search is compared with.

Three ways of querying the same table (title weighted A, summary B, body C):

* ``english`` — ``websearch_to_tsquery('english', q)`` (every word must match, stemmed, stop words
  dropped) ranked by ``ts_rank_cd``: how one would set up PostgreSQL search by the manual.
* ``chatwoot`` — what Chatwoot's help centre runs (``pg_search`` ``tsearch`` with ``prefix: true``
  and ``normalization: 2`` on title A / description B / content C, as in its ``Article`` model):
  the ``simple`` dictionary (no stemming, no stop words), every word as a prefix (``word:*``)
  and all of them required, ranked by ``ts_rank(…, 2)``.
* ``english_any`` — like ``english`` but any word may match (OR), a kinder variant for questions.

Also a tiny Flask app serving ``GET /search?q=`` from such a table for the HTTP benchmark
(``gunicorn 'benchmarks.pg_fts:create_app()'`` with ``BENCH_PG_DSN`` and ``BENCH_PG_TABLE`` set;
``?variant=`` picks the variant, ``english`` by default).
Benchmark-only code: nothing in the product uses it.
"""

from __future__ import annotations

import os
import re
import secrets
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql

if TYPE_CHECKING:
    from flask import Flask

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/test"
SCHEMA_PREFIX = "tier0_bench_fts_"
# pg_search removes these from each term before quoting it into to_tsquery.
_PG_SEARCH_DISALLOWED = re.compile(r"['?\\:‘’ʻʼ]")
_WORD = re.compile(r"\w+")


class Variant(StrEnum):
    """How a query is turned into a tsquery and ranked."""

    ENGLISH = "english"
    CHATWOOT = "chatwoot"
    ENGLISH_ANY = "english_any"


@dataclass(frozen=True, slots=True)
class FtsDocument:
    """A help article as the full-text table stores it."""

    key: str
    title: str
    summary: str = ""
    body: str = ""


def dsn() -> str:
    """The PostgreSQL server to use (``BENCH_PG_DSN``, else the local test database)."""
    return os.environ.get("BENCH_PG_DSN", DEFAULT_DSN)


def _alive(pid: int) -> bool:
    """Whether a process with this id exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def scratch_schema(conninfo: str | None = None) -> Iterator[str]:
    """A schema of this process's own, dropped afterwards (and any left by a run that died)."""
    name = f"{SCHEMA_PREFIX}{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(conninfo or dsn(), autocommit=True) as conn:
        left = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", [f"{SCHEMA_PREFIX}%"]
        ).fetchall()
        for (old,) in left:
            pid = old.removeprefix(SCHEMA_PREFIX).split("_", 1)[0]
            if pid.isdigit() and not _alive(int(pid)):
                conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(old)))
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with psycopg.connect(conninfo or dsn(), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


def _weighted(config: str) -> sql.Composable:
    """The generated tsvector: title A, summary B, body C in a text-search configuration."""
    parts = [
        sql.SQL("setweight(to_tsvector({}, {}), {})").format(
            sql.Literal(config), sql.Identifier(column), sql.Literal(weight)
        )
        for column, weight in (("title", "A"), ("summary", "B"), ("body", "C"))
    ]
    return sql.SQL(" || ").join(parts)


def create_table(
    conn: psycopg.Connection[Any], table: str, documents: Iterable[FtsDocument]
) -> int:
    """Create ``table`` (schema-qualified, ``schema.name``) with both tsvectors and GIN indexes."""
    ident = sql.Identifier(*table.split("."))
    conn.execute(
        sql.SQL(
            "CREATE TABLE {t} (id serial PRIMARY KEY, key text NOT NULL, title text NOT NULL, "
            "summary text NOT NULL, body text NOT NULL, "
            "english tsvector GENERATED ALWAYS AS ({e}) STORED, "
            "simple tsvector GENERATED ALWAYS AS ({s}) STORED)"
        ).format(t=ident, e=_weighted("english"), s=_weighted("simple"))
    )
    rows = [(d.key, d.title, d.summary, d.body) for d in documents]
    with conn.cursor() as cursor:
        cursor.executemany(
            sql.SQL("INSERT INTO {} (key, title, summary, body) VALUES (%s, %s, %s, %s)").format(
                ident
            ),
            rows,
        )
    for column in ("english", "simple"):
        conn.execute(
            sql.SQL("CREATE INDEX ON {} USING gin ({})").format(ident, sql.Identifier(column))
        )
    conn.execute(sql.SQL("ANALYZE {}").format(ident))
    return len(rows)


def _tsquery(variant: Variant, query: str) -> tuple[sql.Composable, list[str]] | None:
    """The tsquery expression and its parameters for a user's query (None: it cannot match)."""
    if variant == Variant.ENGLISH:
        return sql.SQL("websearch_to_tsquery('english', %s)"), [query]
    if variant == Variant.CHATWOOT:
        terms = [_PG_SEARCH_DISALLOWED.sub(" ", t) for t in query.split()]
        terms = [t for t in terms if t.strip()]
        expression = sql.SQL(" && ").join(sql.SQL("to_tsquery('simple', %s)") for _ in terms)
        return (expression, [f"' {t} ':*" for t in terms]) if terms else None
    words = _WORD.findall(query)
    expression = sql.SQL(" || ").join(sql.SQL("plainto_tsquery('english', %s)") for _ in words)
    return (expression, words) if words else None


def search(
    conn: psycopg.Connection[Any],
    table: str,
    query: str,
    *,
    variant: Variant = Variant.ENGLISH,
    limit: int = 10,
) -> list[tuple[str, str, str, float]]:
    """The best ``limit`` rows as (key, title, summary, rank), best first; [] when nothing matches."""
    built = _tsquery(variant, query)
    if built is None:
        return []
    expression, params = built
    column, rank = {
        Variant.ENGLISH: ("english", "ts_rank_cd(english, q)"),
        Variant.CHATWOOT: ("simple", "ts_rank(simple, q, 2)"),
        Variant.ENGLISH_ANY: ("english", "ts_rank_cd(english, q)"),
    }[variant]
    statement = sql.SQL(
        "SELECT key, title, summary, {rank} AS rank FROM {t}, (SELECT {q} AS q) AS query "
        "WHERE {column} @@ q ORDER BY rank DESC, id LIMIT %s"
    ).format(
        rank=sql.SQL(rank),
        t=sql.Identifier(*table.split(".")),
        q=expression,
        column=sql.Identifier(column),
    )
    return [
        (str(k), str(t), str(s), float(r))
        for k, t, s, r in conn.execute(statement, [*params, limit]).fetchall()
    ]


def search_many(
    conn: psycopg.Connection[Any],
    table: str,
    queries: Sequence[str],
    *,
    variant: Variant,
    limit: int = 10,
) -> list[list[str]]:
    """The keys of the top ``limit`` rows for each query."""
    return [
        [row[0] for row in search(conn, table, q, variant=variant, limit=limit)] for q in queries
    ]


# -- the HTTP app ------------------------------------------------------------------------------


def create_app() -> Flask:
    """A Flask app serving ``/search?q=&variant=`` (top 10, JSON) and ``/healthz`` from ``BENCH_PG_TABLE``."""
    from flask import Flask, Response, jsonify, request

    app = Flask(__name__)
    table = os.environ["BENCH_PG_TABLE"]
    local = threading.local()
    opened: list[psycopg.Connection[Any]] = []
    app.extensions["bench_pg_connections"] = opened  # for whoever wants to close them

    def connection() -> psycopg.Connection[Any]:
        """This worker thread's connection, opened on first use and kept."""
        conn: psycopg.Connection[Any] | None = getattr(local, "conn", None)
        if conn is None or conn.closed:
            conn = local.conn = psycopg.connect(dsn(), autocommit=True)
            opened.append(conn)
        return conn

    @app.get("/healthz")
    def healthz() -> Response:
        """Ready when the table answers."""
        rows = (
            connection()
            .execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(*table.split("."))))
            .fetchone()
        )
        return jsonify(status="ok", documents=rows[0] if rows else 0)

    @app.get("/search")
    def search_view() -> Response | tuple[Response, int]:
        """Top 10 articles for ``?q=``, with a ``Server-Timing`` header like Tier0's."""
        started = time.perf_counter()
        query = request.args.get("q", "").strip()
        if not query:
            return jsonify(error="Add a search query: /search?q=your+question"), 400
        try:
            variant = Variant(request.args.get("variant", Variant.ENGLISH.value))
        except ValueError:
            return jsonify(error=f"variant must be one of {', '.join(Variant)}"), 400
        rows = search(connection(), table, query[:500], variant=variant)
        response = jsonify(
            query=query,
            hits=[
                {"ref": k, "title": t, "summary": s, "score": round(r, 4)} for k, t, s, r in rows
            ],
        )
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
        return response

    return app
