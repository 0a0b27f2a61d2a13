"""The ``tier0`` command: serve the app, migrate the database, load demo content, manage the KB."""

from __future__ import annotations

from pathlib import Path

import click

from kb.cli import kb_group
from kb.config import Settings

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"


@click.group()
@click.version_option(package_name="tier0")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Tier0: self-service customer support on one knowledge base."""
    ctx.obj = Settings()


main.add_command(kb_group)


@main.group("db")
def db_group() -> None:
    """Database schema commands."""


@db_group.command("upgrade")
@click.pass_obj
def db_upgrade(settings: Settings) -> None:
    """Apply every pending migration."""
    from kb.migrate import upgrade

    upgrade(url=settings.resolved_database_url)
    click.echo("Database is up to date.")


@main.command("demo")
@click.option(
    "--path", type=click.Path(exists=True, file_okay=False, path_type=Path), default=DEMO_DIR
)
@click.pass_context
def demo(ctx: click.Context, path: Path) -> None:
    """Load the Juniper Outfitters demo help centre (idempotent)."""
    ctx.invoke(
        kb_group.commands["import"],
        paths=(path / "articles", path / "community.jsonl"),
        status="published",
    )


@main.command("serve")
@click.option("--host", help="Interface to listen on (default TIER0_HOST).")
@click.option("--port", type=int, help="Port (default TIER0_PORT).")
@click.option("--threads", default=8, show_default=True)
@click.pass_obj
def serve(settings: Settings, host: str | None, port: int | None, threads: int) -> None:
    """Serve the web app with waitress, loading the index before the first request."""
    from waitress import serve as waitress_serve

    from web import create_app
    from web.extensions import knowledge_base

    if not settings.embedding_threads:
        # Requests embed their queries concurrently: one thread each beats a shared pool.
        settings = settings.model_copy(update={"embedding_threads": 1})
    app = create_app(settings=settings)
    with app.app_context():
        kb = knowledge_base()
    host = host or settings.host
    port = port or settings.port
    click.echo(f"Tier0 is serving {len(kb.search_engine)} documents at http://{host}:{port}/")
    waitress_serve(app, host=host, port=port, threads=threads, ident="tier0")
