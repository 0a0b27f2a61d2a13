"""``tier0 worker`` and the background worker that ``tier0 serve`` starts, on a database of their own."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from kb import chat
from kb.config import Settings
from kb.db import make_engine, make_session_factory, transaction
from kb.migrate import upgrade
from kb.models import Escalation, EscalationState, WebhookDelivery, utcnow
from kb.webhooks import create_webhook
from tests.kb.webhook_receiver import Receiver
from tests.web.kbs import open_kb
from web.cli import main


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data directory with a migrated, empty database."""
    upgrade(url=Settings(data_dir=tmp_path).resolved_database_url)
    return tmp_path


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real receiver on a loopback port."""
    server = Receiver()
    yield server
    server.close()


def overdue_escalation_and_webhook(data_dir: Path, url: str) -> str:
    """An escalation past both its targets and a webhook told about breaches; its secret."""
    engine = make_engine(Settings(data_dir=data_dir).resolved_database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            talk = chat.start_conversation(session=session).conversation
            past = utcnow() - timedelta(hours=1)
            session.add(
                Escalation(
                    conversation_id=talk.id,
                    state=EscalationState.QUEUED,
                    reason="customer_request",
                    first_response_due=past,
                    resolution_due=past,
                )
            )
            return create_webhook(session=session, url=url, events=["sla.breached"]).secret
    finally:
        engine.dispose()


def env(data_dir: Path) -> dict[str, str]:
    """The environment pointing tier0 at ``data_dir``."""
    return {"TIER0_DATA_DIR": str(data_dir), "TIER0_DATABASE_URL": ""}


def test_worker_once_flags_and_delivers(data_dir: Path, receiver: Receiver) -> None:
    """One round: both breaches flagged, both webhooks delivered and signed; then nothing new."""
    receiver.secret = overdue_escalation_and_webhook(data_dir, receiver.url)
    result = CliRunner().invoke(main, ["worker", "--once"], env=env(data_dir))
    assert result.exit_code == 0, result.output
    assert "Flagged 2 missed service levels; webhooks: 2 delivered, 0 to retry, 0 failed." in (
        result.output
    )
    assert [r.signed for r in receiver.received] == [True, True]
    again = CliRunner().invoke(main, ["worker", "--once"], env=env(data_dir))
    assert "Flagged 0 missed service levels; webhooks: 0 delivered" in again.output


def test_worker_says_when_the_database_is_not_ready(tmp_path: Path) -> None:
    """An unmigrated database is a clear error, not a traceback."""
    result = CliRunner().invoke(main, ["worker", "--once"], env=env(tmp_path))
    assert result.exit_code == 1
    assert "could not use the database" in result.output and "tier0 db upgrade" in result.output


def test_worker_refuses_a_silly_interval(data_dir: Path) -> None:
    """The interval is checked by the command line."""
    result = CliRunner().invoke(main, ["worker", "--interval", "0"], env=env(data_dir))
    assert result.exit_code == 2 and "--interval" in result.output


@pytest.mark.parametrize("enabled", [True, False])
def test_serve_runs_the_worker_while_serving(
    data_dir: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch, enabled: bool
) -> None:
    """With background_worker on, a worker thread delivers while serving and stops afterwards."""
    overdue_escalation_and_webhook(data_dir, receiver.url)
    kb = open_kb(data_dir)
    import waitress

    import web

    real_create_app = web.create_app
    seen: dict[str, Any] = {}

    def create_app(**kwargs: Any) -> Any:
        return real_create_app({"TESTING": True}, settings=kwargs["settings"], knowledge_base=kb)

    def serve(app: Any, **kwargs: Any) -> None:
        """Stand in for waitress: wait (briefly) for the worker to deliver, then 'shut down'."""
        worker = next((t for t in threading.enumerate() if t.name == "tier0-worker"), None)
        seen["worker"] = worker
        if worker is not None:
            deadline = threading.Event()
            for _ in range(100):
                if len(receiver.received) == 2:
                    break
                deadline.wait(0.05)

    monkeypatch.setattr(web, "create_app", create_app)
    monkeypatch.setattr(waitress, "serve", serve)
    variables = {**env(data_dir), "TIER0_BACKGROUND_WORKER": "true" if enabled else "false"}
    try:
        result = CliRunner().invoke(main, ["serve", "--port", "1"], env=variables)
        assert result.exit_code == 0, result.output
        if enabled:
            assert seen["worker"] is not None and not seen["worker"].is_alive()
            assert len(receiver.received) == 2
        else:
            assert seen["worker"] is None and receiver.received == []
        with kb.sessions() as session:
            statuses = session.scalars(select(WebhookDelivery.status)).all()
        assert statuses == (["delivered", "delivered"] if enabled else [])
    finally:
        kb.close()
