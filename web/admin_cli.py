"""``tier0 users …`` and ``tier0 customers …``: staff accounts, their API tokens, customer imports."""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from kb.config import Settings

ROLES = ("agent", "editor", "admin")
TOKEN_LABEL = "API token (shown only this once; store it somewhere safe):"


def _settings(ctx: click.Context) -> Settings:
    """The settings the root command built."""
    settings = ctx.find_object(Settings)
    return settings if settings is not None else Settings()


@contextmanager
def _session(ctx: click.Context) -> Iterator[Session]:
    """A session on the configured database; a missing schema becomes a hint, not a traceback."""
    from kb.db import make_engine, make_session_factory

    engine = make_engine(_settings(ctx).resolved_database_url)
    try:
        with make_session_factory(engine)() as session:
            yield session
    except SQLAlchemyError as error:
        raise click.ClickException(
            f"The database could not be used ({type(error).__name__}); "
            "is it reachable, and has `tier0 db upgrade` been run?"
        ) from error
    finally:
        engine.dispose()


def _password(from_stdin: bool, none: bool) -> str | None:
    """The new account's password: typed twice (hidden), read from stdin, or none at all."""
    from web.auth.forms import MAX_PASSWORD, MIN_PASSWORD

    if none:
        return None
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise click.ClickException(
            f"The password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters "
            f"(this one has {len(password)})."
        )
    return password


def _print_token(secret: str) -> None:
    """Show a new token's secret, clearly labelled and on a line of its own."""
    click.echo(TOKEN_LABEL)
    click.echo(f"  {secret}")


@click.group("users")
def users_group() -> None:
    """Staff accounts (agents, editors, admins) and their API tokens."""


@users_group.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What they may do.")
@click.option("--name", help="Display name (default: the part of the email before @).")
@click.option("--api-token", is_flag=True, help="Also make an API token and print it once.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--no-password", is_flag=True, help="No password: API tokens only, no sign-in.")
@click.pass_context
def create_user(
    ctx: click.Context,
    email: str,
    role: str,
    name: str | None,
    api_token: bool,
    password_stdin: bool,
    no_password: bool,
) -> None:
    """Create a staff account; asks for the password unless told otherwise."""
    from kb import api_tokens
    from kb.accounts import EmailTaken
    from kb.staff import StaffError, create_staff
    from web.auth.service import hash_password

    if password_stdin and no_password:
        raise click.UsageError("Use --password-stdin or --no-password, not both.")
    password = _password(password_stdin, no_password)
    with _session(ctx) as session:
        try:
            user = create_staff(
                session=session,
                email=email,
                display_name=name or email.partition("@")[0],
                role=role,
                password_hash=None if password is None else hash_password(password),
            )
            issued = api_tokens.issue(session=session, user=user, name="cli") if api_token else None
        except (EmailTaken, StaffError, api_tokens.TokenError) as error:
            raise click.ClickException(str(error)) from None
        session.commit()
        click.echo(f"Created {user.role.value} {user.email} (id {user.id}).")
        if password is None:
            click.echo("No password: this account can use API tokens but cannot sign in.")
        if issued is not None:
            _print_token(issued.secret)


@users_group.command("list")
@click.pass_context
def list_users(ctx: click.Context) -> None:
    """List staff accounts with their role, status, last activity and live API tokens."""
    from kb import api_tokens
    from kb.staff import list_staff

    with _session(ctx) as session:
        people = list_staff(session=session)
        if not people:
            click.echo(
                "No staff accounts yet: create one with `tier0 users create EMAIL --role admin`."
            )
            return
        live: dict[int, int] = {}
        for token in api_tokens.tokens(session=session):
            if token.revoked_at is None:
                live[token.user_id] = live.get(token.user_id, 0) + 1
        click.echo(
            f"{'id':>5}  {'role':<7} {'status':<10} {'last seen (UTC)':<17} tokens  email (name)"
        )
        for user in people:
            status = "suspended" if user.suspended else "active"
            if not user.password_hash:
                status += "*"
            seen = user.last_seen_at.strftime("%Y-%m-%d %H:%M") if user.last_seen_at else "never"
            click.echo(
                f"{user.id:>5}  {user.role.value:<7} {status:<10} {seen:<17} "
                f"{live.get(user.id, 0):>6}  {user.email} ({user.display_name})"
            )
        if any(not user.password_hash for user in people):
            click.echo("* no password: API tokens only")


@users_group.command("token")
@click.argument("email")
@click.option("--name", required=True, help="What the token is for, e.g. 'CRM sync'.")
@click.pass_context
def new_token(ctx: click.Context, email: str, name: str) -> None:
    """Make a new API token for a staff member and print it once."""
    from kb import api_tokens
    from kb.staff import StaffError, find_staff

    with _session(ctx) as session:
        try:
            user = find_staff(session=session, email=email)
            issued = api_tokens.issue(session=session, user=user, name=name)
        except (StaffError, api_tokens.TokenError) as error:
            raise click.ClickException(str(error)) from None
        session.commit()
        click.echo(f"Token {issued.token.id} ({issued.token.name!r}) for {user.email}.")
        _print_token(issued.secret)


@users_group.command("revoke-token")
@click.argument("token_id", type=int)
@click.pass_context
def revoke_token(ctx: click.Context, token_id: int) -> None:
    """Revoke an API token by its id (shown by `tier0 users token` and on the tokens page)."""
    from kb import api_tokens
    from kb.models import ApiToken

    with _session(ctx) as session:
        token = session.get(ApiToken, token_id)
        if token is None:
            raise click.ClickException(f"There is no API token with id {token_id}.")
        if token.revoked_at is not None:
            click.echo(f"Token {token_id} ({token.name!r}) was already revoked.")
            return
        api_tokens.revoke(session=session, token_id=token_id, by=token.user)
        session.commit()
        click.echo(
            f"Revoked token {token_id} ({token.name!r}, {token.prefix}…) of {token.user.email}."
        )


@click.group("customers")
def customers_group() -> None:
    """Customer records agents see next to a conversation."""


@customers_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def import_customers(ctx: click.Context, path: Path) -> None:
    """Create or update customers from a CSV file with a header row.

    Columns: external_id (required), email, name, plan; every other column becomes an attribute.
    Empty cells keep stored values. Good rows are imported and bad rows listed by line; the exit
    code is 1 if any row failed.
    """
    from kb.customers import CustomerError, import_rows, read_csv

    plans = [plan.key for plan in _settings(ctx).service_plans]
    with _session(ctx) as session, path.open(encoding="utf-8-sig", newline="") as stream:
        try:
            report = import_rows(session=session, rows=read_csv(stream), plans=plans)
        except CustomerError as error:
            raise click.ClickException(f"{path}: {error}") from None
        except (csv.Error, UnicodeDecodeError) as error:
            raise click.ClickException(
                f"{path} is not a readable UTF-8 CSV file ({error}); nothing was imported."
            ) from None
        session.commit()
    click.echo(
        f"{path}: {report.created} created, {report.updated} updated, {report.failed} failed"
    )
    for problem in report.problems:
        click.echo(f"  error: {problem}", err=True)
    if not report.ok:
        ctx.exit(1)
