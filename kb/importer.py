"""Import help content from JSONL, a folder of Markdown files with front matter, or CSV.

Imports are idempotent: articles are matched by ``external_id`` and then ``slug``, questions by
``external_id``, so importing the same file twice changes nothing. A bad row is reported with its
file, line and reason; the good rows still load.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from kb.articles import ArticleError, get_or_create_category, save_article
from kb.community import (
    AnswerInput,
    CommunityError,
    get_or_create_user,
    replace_answers,
    save_question,
)
from kb.models import ArticleStatus, Category, Question, Role

MAX_FIELD_CHARS = 200_000
CATEGORY_FILE = "_categories.yml"


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """A row that could not be imported, and why."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        """``file:line: reason``, the way compilers report errors."""
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass(slots=True)
class ImportReport:
    """What an import did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every row loaded."""
        return not self.problems


@dataclass(frozen=True, slots=True)
class Row:
    """One record read from a file, with where it came from."""

    file: str
    line: int
    data: Mapping[str, Any]


class RowError(ValueError):
    """A row is malformed; the message says how."""


def read_rows(path: Path) -> Iterator[Row | ImportProblem]:
    """Records from a JSONL file, a CSV file or a folder of Markdown files."""
    if path.is_dir():
        yield from _markdown_rows(path)
    elif path.suffix.lower() == ".csv":
        yield from _csv_rows(path)
    elif path.suffix.lower() in {".jsonl", ".ndjson", ".json"}:
        yield from _jsonl_rows(path)
    elif path.suffix.lower() == ".md":
        yield from _markdown_file(path, path.parent.name)
    else:
        yield ImportProblem(str(path), 0, "unknown format: use .jsonl, .csv, .md or a folder")


def _jsonl_rows(path: Path) -> Iterator[Row | ImportProblem]:
    """One record per non-empty line of a JSONL file."""
    with path.open(encoding="utf-8-sig") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as error:
                yield ImportProblem(str(path), number, f"invalid JSON: {error.msg}")
                continue
            if not isinstance(data, dict):
                yield ImportProblem(str(path), number, "each line must be a JSON object")
                continue
            yield Row(str(path), number, data)


def _csv_rows(path: Path) -> Iterator[Row | ImportProblem]:
    """One record per CSV row; columns ``question``, ``answer`` and ``category`` at least."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"question", "answer"} - set(reader.fieldnames or [])
        if missing:
            yield ImportProblem(str(path), 1, f"missing column(s): {', '.join(sorted(missing))}")
            return
        for data in reader:
            if None in data:
                yield ImportProblem(str(path), reader.line_num, "more values than columns")
                continue
            yield Row(str(path), reader.line_num, {k: v for k, v in data.items() if v != ""})


def _markdown_rows(folder: Path) -> Iterator[Row | ImportProblem]:
    """Categories from ``_categories.yml``, then one article per ``*.md`` file."""
    categories = folder / CATEGORY_FILE
    if categories.is_file():
        try:
            entries = yaml.safe_load(categories.read_text(encoding="utf-8")) or []
        except yaml.YAMLError as error:
            yield ImportProblem(str(categories), 1, f"invalid YAML: {error}")
            entries = []
        if not isinstance(entries, list):
            yield ImportProblem(str(categories), 1, "expected a list of categories")
            entries = []
        for number, entry in enumerate(entries, start=1):
            if isinstance(entry, dict):
                yield Row(str(categories), number, {"type": "category", **entry})
            else:
                yield ImportProblem(str(categories), number, "each category must be a mapping")
    for path in sorted(folder.rglob("*.md")):
        default_category = path.parent.name if path.parent != folder else None
        yield from _markdown_file(path, default_category)


def _markdown_file(path: Path, default_category: str | None) -> Iterator[Row | ImportProblem]:
    """An article from one Markdown file with YAML front matter."""
    import frontmatter

    try:
        post = frontmatter.loads(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError, ValueError) as error:
        yield ImportProblem(str(path), 1, f"unreadable front matter: {error}")
        return
    data: dict[str, Any] = {"slug": path.stem, "category": default_category, **post.metadata}
    data["body"] = post.content
    yield Row(str(path), 1, data)


def _text(data: Mapping[str, Any], name: str, *, required: bool = False) -> str:
    """A string field, stripped; a clear error if it is required, missing or not text."""
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise RowError(f"'{name}' is required")
        return ""
    if not isinstance(value, str | int | float):
        raise RowError(f"'{name}' must be text, got {type(value).__name__}")
    text = str(value).strip()
    if len(text) > MAX_FIELD_CHARS:
        raise RowError(f"'{name}' is longer than {MAX_FIELD_CHARS} characters")
    return text


def _list(data: Mapping[str, Any], name: str) -> list[str]:
    """A list-of-strings field; a comma or ``|`` separated string is accepted too (for CSV)."""
    value = data.get(name)
    if value is None or value == "":
        return []
    if isinstance(value, str):
        separator = "|" if "|" in value else ","
        return [part.strip() for part in value.split(separator) if part.strip()]
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return [str(v).strip() for v in value if str(v).strip()]
    raise RowError(f"'{name}' must be a list of strings")


def import_row(session: Session, row: Row, *, default_status: ArticleStatus) -> str:
    """Load one record; returns ``created``, ``updated`` or ``unchanged``."""
    data = row.data
    kind = data.get("type", "article")
    if kind == "category":
        return _import_category(session, data)
    if kind == "question":
        return _import_question(session, data)
    if kind != "article":
        raise RowError(f"unknown type {kind!r}: use article, category or question")
    title = _text(data, "title") or _text(data, "question")
    if not title:
        raise RowError("'title' (or 'question') is required")
    body = _text(data, "body") or _text(data, "answer")
    if not body:
        raise RowError("'body' (or 'answer') is required")
    category = _text(data, "category") or None
    if category:
        get_or_create_category(session=session, slug=category)
    author = _text(data, "author")
    outcome = save_article(
        session=session,
        title=title,
        body=body,
        slug=_text(data, "slug") or None,
        external_id=_text(data, "external_id") or _text(data, "faq_id") or None,
        summary=_text(data, "summary"),
        category=category,
        tags=_list(data, "tags"),
        status=_text(data, "status") or default_status,
        author=get_or_create_user(session=session, display_name=author, role=Role.EDITOR)
        if author
        else None,
        note="Imported",
        phrasings=_list(data, "phrasings"),
    )
    if outcome.created:
        return "created"
    return "updated" if outcome.changed else "unchanged"


def _import_category(session: Session, data: Mapping[str, Any]) -> str:
    """Load a category (slug, name, description, order)."""
    slug = _text(data, "slug", required=True)
    order = data.get("order")
    if order is not None and not (isinstance(order, int) or str(order).isdigit()):
        raise RowError(f"'order' must be a whole number, got {order!r}")
    wanted: dict[str, str | int] = {
        "name": _text(data, "name") or slug.replace("-", " ").capitalize(),
        "description": _text(data, "description"),
        "position": int(order) if order is not None else 0,
    }
    existing = session.scalar(select(Category).where(Category.slug == slug))
    before = {k: getattr(existing, k) for k in wanted} if existing is not None else None
    get_or_create_category(
        session=session,
        slug=slug,
        name=str(wanted["name"]),
        description=str(wanted["description"]),
        position=int(wanted["position"]),
    )
    if before is None:
        return "created"
    return "unchanged" if before == wanted else "updated"


def _import_question(session: Session, data: Mapping[str, Any]) -> str:
    """Load a community question with its answers."""
    author = _text(data, "author")
    category = _text(data, "category") or None
    if category:
        get_or_create_category(session=session, slug=category)
    answers_data = data.get("answers") or []
    if not isinstance(answers_data, list):
        raise RowError("'answers' must be a list")
    answers = []
    for index, answer in enumerate(answers_data, start=1):
        if not isinstance(answer, dict):
            raise RowError(f"answer {index} must be an object")
        try:
            score = int(answer.get("score", 0))
        except (TypeError, ValueError):
            raise RowError(f"answer {index}: 'score' must be a whole number") from None
        answers.append(
            AnswerInput(
                body=_text(answer, "body", required=True),
                author_name=_text(answer, "author") or None,
                score=score,
                accepted=bool(answer.get("accepted", False)),
            )
        )
    external_id = _text(data, "external_id") or None
    existed = external_id is not None and session.scalar(
        select(Question.id).where(Question.external_id == external_id)
    )
    question, changed = save_question(
        session=session,
        title=_text(data, "title", required=True),
        body=_text(data, "body"),
        author=get_or_create_user(session=session, display_name=author) if author else None,
        category=category,
        external_id=external_id,
        status=_text(data, "status") or None,
    )
    answers_changed = replace_answers(session=session, question=question, answers=answers)
    if not existed:
        return "created"
    return "updated" if changed or answers_changed else "unchanged"


def import_path(
    factory: sessionmaker[Session],
    path: Path,
    *,
    default_status: ArticleStatus = ArticleStatus.PUBLISHED,
    progress: bool = False,
) -> ImportReport:
    """Import a file or folder, each row in its own savepoint so bad rows never block good ones."""
    from tqdm import tqdm

    report = ImportReport()
    if not path.exists():
        report.problems.append(ImportProblem(str(path), 0, "no such file or folder"))
        return report
    rows = list(read_rows(path))
    with factory() as session, session.begin():
        for item in tqdm(rows, desc=f"Importing {path.name}", unit="row", disable=not progress):
            if isinstance(item, ImportProblem):
                report.problems.append(item)
                continue
            try:
                with session.begin_nested():
                    outcome = import_row(session, item, default_status=default_status)
            except (RowError, ArticleError, CommunityError) as error:
                report.problems.append(ImportProblem(item.file, item.line, str(error)))
                continue
            if outcome == "created":
                report.created += 1
            elif outcome == "updated":
                report.updated += 1
            else:
                report.unchanged += 1
    return report
