"""Claiming under real concurrency: many agents, one owner per escalation, never a stolen one.

Each worker is a thread with its own connection and transactions, committing as the web app
does. Runs on PostgreSQL (marked ``postgres``) and on a SQLite file, where writers queue.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from kb import queue
from kb.config import PriorityPolicy
from kb.db import make_engine
from kb.models import Escalation, EscalationEvent, EscalationState
from tests.kb.desk_helpers import WEDNESDAY, make_user, queued

WORKERS = 20
ESCALATIONS = 100
PLANS = ("free", "plus", "premium")
ROUNDS = 5


@pytest.fixture
def concurrent_engine(fresh_db_url: str) -> Iterator[Engine]:
    """An engine whose every session gets its own connection (no pool to share or wait for)."""
    engine = make_engine(fresh_db_url, poolclass=NullPool)
    yield engine
    engine.dispose()


def seed(engine: Engine, escalations: int, agents: int) -> tuple[list[int], list[int]]:
    """Queue ``escalations`` conversations and create ``agents`` agents; their ids."""
    with Session(engine, expire_on_commit=False) as session:
        ids = [
            queued(
                session,
                plan=PLANS[i % 3],
                at=WEDNESDAY + timedelta(seconds=i),
                policy=PriorityPolicy(),
            ).id
            for i in range(escalations)
        ]
        agent_ids = [make_user(session, f"Agent{i}").id for i in range(agents)]
        session.commit()
    return ids, agent_ids


def run_together(work: list[Callable[[], None]]) -> None:
    """Start every callable at the same moment in its own thread; re-raise the first failure."""
    barrier = threading.Barrier(len(work))
    errors: list[BaseException] = []

    def run(job: Callable[[], None]) -> None:
        try:
            barrier.wait(timeout=30)
            job()
        except BaseException as error:  # reported to the test below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    if errors:
        raise errors[0]


def test_twenty_agents_take_next_from_a_hundred(concurrent_engine: Engine) -> None:
    """Every escalation ends with exactly one owner, the one who was told they got it."""
    ids, agent_ids = seed(concurrent_engine, ESCALATIONS, WORKERS)
    got: dict[int, list[int]] = {agent: [] for agent in agent_ids}
    conflicts = Counter[int]()

    def worker(agent_id: int) -> Callable[[], None]:
        """Take next until the queue is empty, committing each claim."""

        def take_all() -> None:
            while True:
                with Session(concurrent_engine, expire_on_commit=False) as session:
                    try:
                        escalation = queue.claim_next(session=session, agent_id=agent_id)
                    except queue.AlreadyClaimed:
                        session.rollback()
                        conflicts[agent_id] += 1
                        continue
                    if escalation is None:
                        session.commit()
                        return
                    assert escalation.state == EscalationState.ASSIGNED
                    assert escalation.assigned_to == agent_id
                    session.commit()
                    got[agent_id].append(escalation.id)

        return take_all

    run_together([worker(agent) for agent in agent_ids])

    claimed = [escalation for mine in got.values() for escalation in mine]
    assert sorted(claimed) == sorted(ids), "each escalation was handed out exactly once"
    with Session(concurrent_engine) as session:
        rows = session.execute(select(Escalation.id, Escalation.state, Escalation.assigned_to))
        owners = {row.id: row.assigned_to for row in rows if row.state == EscalationState.ASSIGNED}
        assert owners == {e: agent for agent, mine in got.items() for e in mine}
        claims = Counter(
            session.scalars(
                select(EscalationEvent.escalation_id).where(
                    EscalationEvent.to_state == EscalationState.ASSIGNED
                )
            )
        )
        assert claims == Counter({escalation: 1 for escalation in ids})
    assert sum(1 for mine in got.values() if mine) > 1, "the work was shared"


def claim_once(engine: Engine, escalation_id: int, agent_id: int, outcomes: dict[int, str]) -> None:
    """Claim the escalation in a transaction of its own; record "won" or "conflict"."""
    with Session(engine) as session:
        try:
            queue.claim(session=session, escalation_id=escalation_id, agent_id=agent_id)
            session.commit()
            outcomes[agent_id] = "won"
        except queue.AlreadyClaimed:
            session.rollback()
            outcomes[agent_id] = "conflict"


@pytest.mark.parametrize("claimers", [2, WORKERS])
def test_agents_claim_the_same_escalation(concurrent_engine: Engine, claimers: int) -> None:
    """Claiming one id at once: exactly one winner (HTTP 200), everyone else AlreadyClaimed (409)."""
    ids, agent_ids = seed(concurrent_engine, ROUNDS, claimers)
    for escalation_id in ids:
        outcomes: dict[int, str] = {}
        run_together(
            [
                partial(claim_once, concurrent_engine, escalation_id, agent, outcomes)
                for agent in agent_ids
            ]
        )
        assert sorted(outcomes.values()) == ["conflict"] * (claimers - 1) + ["won"]
        winner = next(agent for agent, outcome in outcomes.items() if outcome == "won")
        with Session(concurrent_engine) as session:
            escalation = session.get(Escalation, escalation_id)
            assert escalation is not None and escalation.assigned_to == winner
            assert [event.to_state for event in escalation.events] == [
                EscalationState.QUEUED,
                EscalationState.ASSIGNED,
            ]
