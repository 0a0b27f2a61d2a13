"""The ``tier0`` command: serve the app, migrate the database, load demo content, manage the KB."""

from __future__ import annotations

from pathlib import Path

import click

from kb.cli import kb_group
from kb.config import Settings
from web.admin_cli import customers_group, users_group

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"


@click.group()
@click.version_option(package_name="tier0")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Tier0: self-service customer support on one knowledge base."""
    ctx.obj = Settings()


main.add_command(kb_group)
main.add_command(users_group)
main.add_command(customers_group)


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
@click.option(
    "--threads",
    default=48,
    show_default=True,
    help="Request threads. Widgets and desks long-poll (up to 25 s each, idle while they wait); "
    "at most TIER0_LONG_POLL_MAX (32) of them wait at once, so keep some threads above that.",
)
@click.option(
    "--connections",
    default=1000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Open connections accepted at once (each open chat widget keeps one alive); more wait "
    "to be accepted.",
)
@click.pass_obj
def serve(
    settings: Settings, host: str | None, port: int | None, threads: int, connections: int
) -> None:
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
    worker = None
    if settings.background_worker:
        from kb.worker import Worker

        # Safe next to `tier0 worker` and other servers: deliveries and breaches are claimed.
        worker = Worker(session_factory=kb.sessions, settings=settings)
        worker.start()
    try:
        waitress_serve(
            app,
            host=host,
            port=port,
            threads=threads,
            connection_limit=connections,
            ident="tier0",
        )
    finally:
        if worker is not None:
            worker.stop(timeout=settings.webhook_timeout_seconds + 5)


@main.command("run")
@click.option("--port", type=int, help="Port of the web app (default TIER0_PORT).")
@click.option("--rasa-port", type=int, default=5005, show_default=True)
@click.option("--actions-port", type=int, default=5055, show_default=True)
@click.pass_obj
def run(settings: Settings, port: int | None, rasa_port: int, actions_port: int) -> None:
    """Start the action server, the Rasa server and the web app; Ctrl-C stops them all."""
    import signal

    from web.stack import Ports, Stack, StackError

    log_dir = settings.data_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    stack = Stack(
        ports=Ports(web=port or settings.port, rasa=rasa_port, actions=actions_port),
        log_dir=log_dir,
    )
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        click.echo("Starting the action server, the Rasa server and the web app …")
        stack.start()
        stack.wait_healthy()
        click.echo(f"Tier0 is running at {stack.web_url}/  (Ctrl-C stops it)")
        click.echo(f"Logs: {stack.log_dir}")
        if not _has_staff(settings):
            click.echo(
                f"The agent desk is at {stack.web_url}/desk; nobody can sign in to it yet. "
                "Create an account with: tier0 users create you@example.com --role admin"
            )
        code = stack.wait()
        failed = next(p for p in stack.processes if p.popen and p.popen.poll() is not None)
        raise click.ClickException(
            f"{failed.name} stopped (exit code {code}):\n{failed.log_tail()}"
        )
    except StackError as error:
        raise click.ClickException(str(error)) from error
    except KeyboardInterrupt:
        click.echo("\nStopping …")
    finally:
        stack.close()


def _has_staff(settings: Settings) -> bool:
    """Whether any staff account exists (a hint is printed for the first run when none does)."""
    from kb.db import make_engine, make_session_factory
    from kb.staff import list_staff

    engine = make_engine(settings.resolved_database_url)
    try:
        with make_session_factory(engine)() as session:
            return bool(list_staff(session=session))
    finally:
        engine.dispose()


def _interrupt(_signum: int, _frame: object) -> None:
    """Treat SIGTERM like Ctrl-C, so the stack is stopped cleanly."""
    raise KeyboardInterrupt


@main.command("worker")
@click.option("--once", is_flag=True, help="Do one round and exit.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1, max=3600),
    default=5.0,
    show_default=True,
    help="Seconds between rounds.",
)
@click.pass_obj
def worker_command(settings: Settings, once: bool, interval: float) -> None:
    """Flag missed service levels and send webhooks (several workers may run at once)."""
    import logging
    import signal

    from sqlalchemy.exc import SQLAlchemyError

    from kb.db import make_engine, make_session_factory
    from kb.worker import Worker, run_once

    engine = make_engine(settings.resolved_database_url)
    factory = make_session_factory(engine)
    try:
        if once:
            try:
                summary = run_once(session_factory=factory, settings=settings)
            except SQLAlchemyError as error:
                cause = getattr(error, "orig", None) or error
                raise click.ClickException(
                    f"The worker could not use the database ({cause}); is it running and "
                    "migrated (`tier0 db upgrade`)?"
                ) from error
            click.echo(
                f"Flagged {summary.breaches} missed service levels; webhooks: "
                f"{summary.delivered} delivered, {summary.retried} to retry, "
                f"{summary.failed} failed."
            )
            return
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        signal.signal(signal.SIGTERM, _interrupt)
        background = Worker(session_factory=factory, settings=settings, interval=interval)
        background.start()
        click.echo(f"Tier0 worker running every {interval:g} s (Ctrl-C stops it).")
        try:
            while background.is_alive():
                background.join(0.5)
        except KeyboardInterrupt:
            click.echo("\nStopping …")
        finally:
            background.stop(timeout=settings.webhook_timeout_seconds + 5)
    finally:
        engine.dispose()
