"""``tier0 kb …``: import, export, reindex, search and evaluate the knowledge base."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from kb.config import Settings
from kb.documents import Source
from kb.results import SearchFilters
from kb.search import Mode, QueryError


def _settings(ctx: click.Context) -> Settings:
    """The settings the root command built."""
    settings = ctx.find_object(Settings)
    return settings if settings is not None else Settings()


@click.group("kb")
def kb_group() -> None:
    """Manage the knowledge base: import, export, reindex, search, evaluate."""


@kb_group.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--status",
    type=click.Choice(["draft", "in_review", "published"]),
    default="published",
    show_default=True,
    help="Status for imported articles whose row does not say.",
)
@click.pass_context
def import_command(ctx: click.Context, paths: tuple[Path, ...], status: str) -> None:
    """Import JSONL files, CSV files or folders of Markdown; re-importing updates, never duplicates."""
    from kb.importer import import_path
    from kb.knowledge_base import KnowledgeBase
    from kb.migrate import upgrade
    from kb.models import ArticleStatus

    settings = _settings(ctx)
    upgrade(url=settings.resolved_database_url)
    kb = KnowledgeBase.open(settings, progress=sys.stderr.isatty())
    failed = False
    try:
        for path in paths:
            report = import_path(
                kb.sessions,
                path,
                default_status=ArticleStatus(status),
                progress=sys.stderr.isatty(),
            )
            click.echo(
                f"{path}: {report.created} created, {report.updated} updated, "
                f"{report.unchanged} unchanged, {len(report.problems)} failed"
            )
            for problem in report.problems:
                click.echo(f"  error: {problem}", err=True)
            failed = failed or not report.ok
        changes = kb.sync(force=True)
        if changes:
            kb.save()
    finally:
        kb.close()
    if failed:
        ctx.exit(1)


@kb_group.command("export")
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="File (default stdout)."
)
@click.pass_context
def export_command(ctx: click.Context, out: Path | None) -> None:
    """Export categories, articles and community Q&A as JSONL (the import schema)."""
    from kb.db import make_engine, make_session_factory
    from kb.exporter import export_rows

    engine = make_engine(_settings(ctx).resolved_database_url)
    stream = out.open("w", encoding="utf-8") if out else sys.stdout
    try:
        with make_session_factory(engine)() as session:
            for row in export_rows(session):
                stream.write(json.dumps(row, ensure_ascii=False) + "\n")
    finally:
        if out:
            stream.close()
        engine.dispose()


@kb_group.command("reindex")
@click.pass_context
def reindex_command(ctx: click.Context) -> None:
    """Rebuild the search index from the database."""
    from kb.knowledge_base import KnowledgeBase

    kb = KnowledgeBase.connect(_settings(ctx))
    try:
        count = kb.rebuild(progress=sys.stderr.isatty())
        click.echo(
            f"Indexed {count} documents in {kb.search_engine.passage_count} passages "
            f"({kb.search_engine.index_kind} index) into {kb.index_dir}."
        )
    finally:
        kb.close()


@kb_group.command("search")
@click.argument("query")
@click.option("--limit", default=5, show_default=True, type=click.IntRange(1, 100))
@click.option("--staff", is_flag=True, help="Include drafts and content customers cannot see.")
@click.option("--category", multiple=True, help="Only these category slugs.")
@click.option(
    "--source",
    type=click.Choice([s.value for s in Source]),
    multiple=True,
    help="Only this source.",
)
@click.option("--mode", type=click.Choice([m.value for m in Mode]), default=Mode.HYBRID.value)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def search_command(
    ctx: click.Context,
    query: str,
    limit: int,
    staff: bool,
    category: tuple[str, ...],
    source: tuple[str, ...],
    mode: str,
    as_json: bool,
) -> None:
    """Search like a customer would (or like staff with --staff)."""
    from dataclasses import asdict

    from kb.knowledge_base import KnowledgeBase

    categories = frozenset(category) or None
    sources = frozenset(Source(s) for s in source) or None
    filters = (
        SearchFilters.staff(categories=categories, sources=sources)
        if staff
        else SearchFilters(categories=categories, sources=sources)
    )
    kb = KnowledgeBase.open(_settings(ctx))
    try:
        result = kb.search(query, limit=limit, filters=filters, mode=Mode(mode))
    except QueryError as error:
        raise click.UsageError(str(error)) from error
    finally:
        kb.close()
    if as_json:
        click.echo(json.dumps(asdict(result), ensure_ascii=False, indent=2, default=str))
        return
    if result.corrected_query:
        click.echo(f"(searched for: {result.corrected_query})")
    click.echo(f"confidence {result.confidence:.2f} → {result.decision.value}")
    for rank, hit in enumerate(result.hits, start=1):
        click.echo(f"{rank:2}. {hit.score:6.3f}  [{hit.source.value}] {hit.title}  ({hit.ref})")
        click.echo(f"      {hit.snippet[:160]}")
    if not result.hits:
        click.echo("No results.")


@kb_group.command("eval")
@click.option("--faqs", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--queries", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--phrasings", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--predictions", type=click.Path(dir_okay=False, path_type=Path), help="Write JSONL.")
@click.option("--answer-threshold", type=click.FloatRange(0, 1), help="Override the setting.")
@click.option("--mode", type=click.Choice([m.value for m in Mode]), default=Mode.HYBRID.value)
@click.pass_context
def eval_command(
    ctx: click.Context,
    faqs: Path,
    queries: Path,
    phrasings: Path | None,
    predictions: Path | None,
    answer_threshold: float | None,
    mode: str,
) -> None:
    """Score the knowledge base's search and answer-or-escalate decision on labelled questions."""
    from kb.evaluation import EvaluationError, evaluate

    settings = _settings(ctx)
    if answer_threshold is not None:
        settings = settings.model_copy(
            update={
                "answer_threshold": answer_threshold,
                "suggest_threshold": min(settings.suggest_threshold, answer_threshold),
            }
        )
    try:
        result, predicted = evaluate(
            faqs, queries, phrasings=phrasings, settings=settings, mode=Mode(mode)
        )
    except EvaluationError as error:
        raise click.ClickException(str(error)) from error
    result["answer_threshold"] = settings.answer_threshold
    if predictions:
        with predictions.open("w", encoding="utf-8") as out:
            for p in predicted:
                row = {
                    "text": p.text,
                    "faq_id": p.answer,
                    "confidence": round(p.confidence, 4),
                    "top": list(p.ranked[:5]),
                }
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    click.echo(json.dumps(result, indent=2))


@kb_group.command("export-encoder")
@click.pass_context
def export_encoder_command(ctx: click.Context) -> None:
    """Export the embedding model for the assistant's NLU (Rasa) and print the bundle's folder."""
    from kb.nlu_encoder import export_encoder

    settings = _settings(ctx)
    if settings.embedding_backend != "onnx":
        raise click.ClickException(
            "The assistant's NLU runs the embedding model with ONNX Runtime; "
            "TIER0_EMBEDDING_BACKEND=torch has no ONNX export to give it."
        )
    bundle = export_encoder(settings.embedding_model, settings.cache_dir)
    click.echo(str(bundle.path))
