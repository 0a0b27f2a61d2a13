"""Measure a knowledge base against real customer questions: ranking quality and answer-or-escalate."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from kb.articles import slugify
from kb.config import Settings
from kb.embeddings import Embedder
from kb.importer import ImportProblem, ImportReport, import_path
from kb.knowledge_base import KnowledgeBase
from kb.migrate import upgrade
from kb.models import Article
from kb.results import Decision
from kb.search import Mode


class EvaluationError(ValueError):
    """The evaluation input is unusable; the message says why."""


@dataclass(frozen=True, slots=True)
class Query:
    """A customer question and the FAQs that answer it (none: it should be handed over)."""

    text: str
    relevant: frozenset[str]


@dataclass(frozen=True, slots=True)
class Prediction:
    """What the product would do with one query."""

    text: str
    ranked: tuple[str, ...]
    answer: str | None
    confidence: float
    relevant: frozenset[str]


def read_queries(path: Path) -> list[Query]:
    """Queries from JSONL rows ``{"text", "relevant_faq_ids": [...]}``."""
    queries = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                text = row["text"]
                relevant = row.get("relevant_faq_ids") or []
            except (json.JSONDecodeError, KeyError, TypeError) as error:
                raise EvaluationError(f"{path}:{number}: not a query row ({error})") from error
            if not isinstance(text, str) or not isinstance(relevant, list):
                raise EvaluationError(f"{path}:{number}: 'text' must be text, ids a list")
            queries.append(Query(text, frozenset(str(r) for r in relevant)))
    if not queries:
        raise EvaluationError(f"{path} holds no queries")
    return queries


def _faq_rows(faqs: Path, phrasings: Path | None) -> Iterable[tuple[int, dict[str, Any]]]:
    """FAQ rows as importable articles (with their line numbers), extra phrasings merged in."""
    extra: dict[str, list[str]] = {}
    if phrasings is not None:
        with phrasings.open(encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    row = json.loads(line)
                    extra.setdefault(str(row["faq_id"]), []).append(row["text"])
    with faqs.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                faq_id = str(row["faq_id"])
            except (json.JSONDecodeError, KeyError, TypeError) as error:
                raise EvaluationError(f"{faqs}:{number}: not an FAQ row ({error})") from error
            yield (
                number,
                {
                    "external_id": faq_id,
                    "slug": slugify(f"faq-{faq_id}"),
                    "title": row.get("question", ""),
                    "body": row.get("answer") or row.get("question", ""),
                    "phrasings": list(row.get("phrasings") or []) + extra.get(faq_id, []),
                    "status": "published",
                },
            )


def build_temporary(
    faqs: Path,
    *,
    workdir: Path,
    embedder: Embedder | None = None,
    phrasings: Path | None = None,
    settings: Settings | None = None,
) -> tuple[KnowledgeBase, ImportReport]:
    """A throw-away knowledge base in ``workdir`` holding the FAQs."""
    base = settings or Settings()
    settings = base.model_copy(
        update={"data_dir": workdir, "database_url": f"sqlite:///{workdir / 'eval.sqlite3'}"}
    )
    upgrade(url=settings.resolved_database_url)
    rows = workdir / "faqs.jsonl"
    source_lines = []
    with rows.open("w", encoding="utf-8") as out:
        for number, row in _faq_rows(faqs, phrasings):
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            source_lines.append(number)
    kb = KnowledgeBase.open(settings, embedder=embedder, persist=False)
    report = import_path(kb.sessions, rows)
    report.problems = [
        ImportProblem(str(faqs), source_lines[p.line - 1] if p.line else 0, p.reason)
        for p in report.problems
    ]
    kb.rebuild()
    return kb, report


def predict(
    kb: KnowledgeBase, queries: Sequence[Query], *, mode: Mode = Mode.HYBRID, k: int = 10
) -> list[Prediction]:
    """Run every query through the product's search and answer-or-escalate decision."""
    with kb.sessions() as session:
        faq_of = {
            f"article:{aid}": ext
            for aid, ext in session.execute(select(Article.id, Article.external_id))
        }
    predictions = []
    for query in queries:
        result = kb.search(query.text, limit=k, mode=mode)
        ranked = tuple(faq_of.get(hit.key) or hit.key for hit in result.hits)
        answer = ranked[0] if ranked and result.decision == Decision.ANSWER else None
        predictions.append(
            Prediction(query.text, ranked, answer, result.confidence, query.relevant)
        )
    return predictions


def metrics(predictions: Sequence[Prediction], *, k: int = 10) -> dict[str, Any]:
    """MRR@k, Recall@1/5 on in-scope queries; answered accuracy; out-of-scope recall."""
    in_scope = [p for p in predictions if p.relevant]
    out_scope = [p for p in predictions if not p.relevant]

    def first_rank(p: Prediction) -> int | None:
        return next((i for i, faq in enumerate(p.ranked[:k], 1) if faq in p.relevant), None)

    ranks = [first_rank(p) for p in in_scope]
    n = max(1, len(in_scope))
    return {
        f"mrr@{k}": round(sum(1 / r for r in ranks if r) / n, 4),
        "recall@1": round(sum(1 for r in ranks if r == 1) / n, 4),
        "recall@5": round(sum(1 for r in ranks if r and r <= 5) / n, 4),
        "answered_accuracy": round(sum(1 for p in in_scope if p.answer in p.relevant) / n, 4),
        "oos_recall": round(sum(1 for p in out_scope if p.answer is None) / len(out_scope), 4)
        if out_scope
        else None,
        "counts": {
            "queries": len(predictions),
            "in_scope": len(in_scope),
            "out_of_scope": len(out_scope),
            "answered": sum(1 for p in predictions if p.answer is not None),
        },
    }


def evaluate(
    faqs: Path,
    queries_path: Path,
    *,
    phrasings: Path | None = None,
    embedder: Embedder | None = None,
    settings: Settings | None = None,
    mode: Mode = Mode.HYBRID,
) -> tuple[dict[str, Any], list[Prediction]]:
    """Load the FAQs into a temporary knowledge base and score every query against it."""
    queries = read_queries(queries_path)
    with tempfile.TemporaryDirectory(prefix="tier0-eval-") as workdir:
        kb, report = build_temporary(
            faqs, workdir=Path(workdir), embedder=embedder, phrasings=phrasings, settings=settings
        )
        try:
            if report.problems:
                raise EvaluationError(
                    "some FAQ rows could not be loaded:\n"
                    + "\n".join(map(str, report.problems[:20]))
                )
            predictions = predict(kb, queries, mode=mode)
        finally:
            kb.close()
    result = metrics(predictions)
    result["faqs"] = report.created + report.updated + report.unchanged
    result["mode"] = mode.value
    return result, predictions
