"""Imports load good rows, report bad ones precisely, and never duplicate on re-import."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from kb.db import make_engine, make_session_factory
from kb.exporter import export_rows
from kb.importer import import_path
from kb.models import Answer, Article, ArticleRevision, Category, Question

DEMO = Path(__file__).resolve().parents[2] / "demo"


@pytest.fixture
def db(fresh_db_url: str) -> Engine:
    """A migrated database of this test's own."""
    engine = make_engine(fresh_db_url)
    yield engine
    engine.dispose()


def _count(db: Engine, model: type) -> int:
    """How many rows a table has."""
    with make_session_factory(db)() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _write(path: Path, rows: list[object]) -> Path:
    """Write JSONL rows (strings are written as they are, to make broken lines)."""
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", "utf-8"
    )
    return path


def test_jsonl_bad_rows_are_reported_and_good_rows_load(db: Engine, tmp_path: Path) -> None:
    """Each bad row is named by file and line with a reason; the rest still loads."""
    path = _write(
        tmp_path / "faq.jsonl",
        [
            {"title": "Shipping times", "body": "3 to 7 days.", "category": "shipping"},
            "{not json",
            {"title": "", "body": "no title"},
            {"title": "No body"},
            {"type": "widget", "title": "x"},
            {"question": "Gift cards?", "answer": "They never expire.", "faq_id": "g1"},
            {"title": "Bad tags", "body": "x", "tags": [{"a": 1}]},
        ],
    )
    report = import_path(make_session_factory(db), path)
    assert (report.created, len(report.problems)) == (2, 5)
    lines = {p.line: p.reason for p in report.problems}
    assert set(lines) == {2, 3, 4, 5, 7}
    assert "invalid JSON" in lines[2]
    assert "title" in lines[3] and "body" in lines[4] and "widget" in lines[5]
    assert "tags" in lines[7]
    assert str(report.problems[0]).startswith(f"{path}:2: ")
    assert _count(db, Article) == 2


def test_reimport_is_idempotent_and_updates_by_key(db: Engine, tmp_path: Path) -> None:
    """Importing twice changes nothing; a changed row updates in place with a new revision."""
    factory = make_session_factory(db)
    row = {"external_id": "z-1", "title": "Shipping times", "body": "3 to 7 days."}
    path = _write(tmp_path / "a.jsonl", [row])
    assert import_path(factory, path).created == 1
    again = import_path(factory, path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    _write(path, [{**row, "title": "Shipping times and costs"}])
    assert import_path(factory, path).updated == 1
    assert _count(db, Article) == 1
    assert _count(db, ArticleRevision) == 2


def test_csv_import(db: Engine, tmp_path: Path) -> None:
    """CSV rows need question and answer; a missing column is one clear problem."""
    good = tmp_path / "faq.csv"
    good.write_text(
        'question,answer,category,phrasings\n"Do gift cards expire?",Never.,payments,"expiry|expire"\n'
        ",Missing question,payments,\n",
        "utf-8",
    )
    report = import_path(make_session_factory(db), good)
    assert report.created == 1
    assert [(p.line, "title" in p.reason) for p in report.problems] == [(3, True)]
    bad = tmp_path / "bad.csv"
    bad.write_text("title,text\nx,y\n", "utf-8")
    problems = import_path(make_session_factory(db), bad).problems
    assert len(problems) == 1 and "answer" in problems[0].reason


def test_markdown_folder_with_broken_front_matter(db: Engine, tmp_path: Path) -> None:
    """Front matter sets the fields, the folder the category; unreadable files are reported."""
    folder = tmp_path / "help" / "returns"
    folder.mkdir(parents=True)
    (folder / "how-to-return.md").write_text(
        "---\ntitle: How to return\nphrasings: [send it back]\n---\nUse the label.\n", "utf-8"
    )
    (folder / "broken.md").write_text("---\ntitle: [unclosed\n---\nBody\n", "utf-8")
    report = import_path(make_session_factory(db), tmp_path / "help")
    assert report.created == 1
    assert len(report.problems) == 1 and report.problems[0].file.endswith("broken.md")
    with make_session_factory(db)() as session:
        article = session.scalars(select(Article)).one()
        assert (article.slug, article.category.slug) == ("how-to-return", "returns")
        assert [p.text for p in article.phrasings] == ["send it back"]


def test_demo_content_loads_and_round_trips_through_export(db: Engine, tmp_path: Path) -> None:
    """The demo help centre loads completely, and its export re-imports to the same content."""
    factory = make_session_factory(db)
    articles = import_path(factory, DEMO / "articles")
    community = import_path(factory, DEMO / "community.jsonl")
    assert articles.ok and community.ok
    assert _count(db, Article) >= 50 and _count(db, Category) >= 7
    assert _count(db, Question) >= 15 and _count(db, Answer) >= 15
    with factory() as session:
        exported = list(export_rows(session))
    path = _write(tmp_path / "export.jsonl", exported)
    again = import_path(factory, path)
    assert again.ok and again.created == 0 and again.updated == 0


def test_missing_path_and_unknown_format(db: Engine, tmp_path: Path) -> None:
    """A missing file or an unknown extension is a problem, not a crash."""
    factory = make_session_factory(db)
    assert "no such file" in import_path(factory, tmp_path / "nope.jsonl").problems[0].reason
    odd = tmp_path / "faq.xlsx"
    odd.write_bytes(b"PK")
    assert "unknown format" in import_path(factory, odd).problems[0].reason
