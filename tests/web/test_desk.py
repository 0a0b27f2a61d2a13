"""The agent desk's queue: access, order, tabs and counts, taking next and the race for one."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from kb.knowledge_base import KnowledgeBase
from kb.models import Escalation, EscalationEvent, EscalationState, Role, utcnow
from tests.web.conftest import build_app
from tests.web.desk_helpers import clear_queue, escalated, signed_in


@pytest.fixture
def desk_app(demo_kb: KnowledgeBase) -> Flask:
    """The app with CSRF off, so tests post the desk's forms directly."""
    return build_app(demo_kb, csrf=False)


def row_ids(html: str) -> list[int]:
    """The escalation ids of the queue's rows, in order."""
    return [int(found) for found in re.findall(r'<tr class="queue-row[^"]*" id="row-(\d+)"', html)]


def test_the_desk_is_for_agents_and_admins(desk_app: Flask, demo_kb: KnowledgeBase) -> None:
    """Anonymous visitors are sent to sign in, editors are refused, agents and admins get in."""
    anonymous = desk_app.test_client().get("/desk")
    assert anonymous.status_code == 302 and "/account/sign-in" in anonymous.headers["Location"]
    editor, _ = signed_in(desk_app, demo_kb, Role.EDITOR)
    assert editor.get("/desk").status_code == 403
    assert editor.get("/desk/queue.json").status_code == 403
    for role in (Role.AGENT, Role.ADMIN):
        client, _ = signed_in(desk_app, demo_kb, role)
        page = client.get("/desk")
        assert page.status_code == 200
        assert 'href="/desk"' in page.get_data(as_text=True)  # the header's Desk link


def test_queue_is_sorted_by_priority_with_tabs_and_counts(
    desk_app: Flask, demo_kb: KnowledgeBase
) -> None:
    """Premium before plus before free; counts per tab; a taken one moves to Mine."""
    clear_queue(demo_kb)
    free = escalated(demo_kb, text="Where is my parcel?", plan="free", name="Fay Free")
    premium = escalated(demo_kb, text="Where is my parcel?", plan="premium", name="Pim Premium")
    plus = escalated(demo_kb, text="Where is my parcel?", plan="plus", name="Pat Plus")
    client, agent = signed_in(desk_app, demo_kb)

    page = client.get("/desk")
    html = page.get_data(as_text=True)
    assert row_ids(html) == [premium.id, plus.id, free.id]
    assert "<title>(3) Queue · Desk" in html
    assert "Pim Premium" in html and "Premium" in html
    data = client.get("/desk/queue.json?view=unassigned").get_json()
    assert data["counts"] == {"unassigned": 3, "mine": 0, "breached": 0, "all": 3}
    assert [row["id"] for row in data["rows"]] == [premium.id, plus.id, free.id]
    assert row_ids(data["html"]) == [premium.id, plus.id, free.id]

    assert client.post(f"/desk/escalations/{plus.id}/claim").status_code == 302
    data = client.get("/desk/queue.json?view=mine").get_json()
    assert data["counts"] == {"unassigned": 2, "mine": 1, "breached": 0, "all": 3}
    assert [(row["id"], row["owner"], row["mine"]) for row in data["rows"]] == [
        (plus.id, f"{agent.email.split('@')[0]}", True)
    ]
    mine = client.get("/desk?view=mine").get_data(as_text=True)
    assert row_ids(mine) == [plus.id] and ">You<" in mine and 'aria-current="page"' in mine
    everything = client.get("/desk?view=all").get_data(as_text=True)
    assert row_ids(everything) == [premium.id, plus.id, free.id]
    assert client.get("/desk?view=yours").status_code == 400


def test_breached_rows_say_so_in_words(desk_app: Flask, demo_kb: KnowledgeBase) -> None:
    """A missed first-response target: in the Breached tab, flagged and counted, time overdue."""
    clear_queue(demo_kb)
    late = escalated(demo_kb, name="Lou Late")
    on_time = escalated(demo_kb, name="Otto Ontime", plan="premium")
    with demo_kb.sessions() as session:
        escalation = session.get(Escalation, late.id)
        assert escalation is not None
        escalation.first_response_due = utcnow() - timedelta(minutes=42)
        session.commit()
    client, _ = signed_in(desk_app, demo_kb)
    data = client.get("/desk/queue.json?view=breached").get_json()
    assert data["counts"]["breached"] == 1
    [row] = data["rows"]
    assert row["id"] == late.id and row["breached"] is True
    assert row["sla"].startswith("Overdue by 42 min") and "first reply" in row["sla"]
    html = client.get("/desk?view=all").get_data(as_text=True)
    late_row = html[html.index(f'id="row-{late.id}"') :].split("</tr>")[0]
    assert "is-breached" in html.split(f'id="row-{late.id}"')[0].rsplit("<tr", 1)[1]
    assert "Breached" in late_row and "Overdue by" in late_row
    fine_row = html[html.index(f'id="row-{on_time.id}"') :].split("</tr>")[0]
    assert "Breached" not in fine_row and "left for the first reply" in fine_row


def test_priority_explains_its_factors(desk_app: Flask, demo_kb: KnowledgeBase) -> None:
    """The priority cell opens to plan, urgency, tone and waiting points."""
    clear_queue(demo_kb)
    case = escalated(demo_kb, plan="plus", name="Uma Urgent", text="My payment failed twice")
    client, _ = signed_in(desk_app, demo_kb)
    html = client.get("/desk").get_data(as_text=True)
    cell = html[html.index(f'id="priority-{case.id}"') :].split("</details>")[0]
    assert "Why" in cell
    assert re.search(
        r"Plan <span class=\"muted\">\(Plus\)</span></span> <strong>\+20</strong>", cell
    )
    assert "Urgency" in cell and "nothing urgent found" not in cell
    assert re.search(
        r"Tone <span class=\"muted\">\(most negative −0.50\)</span></span> <strong>\+10</strong>",
        cell,
    )
    assert "Waiting" in cell


def test_take_next_takes_the_highest_priority_and_opens_it(
    desk_app: Flask, demo_kb: KnowledgeBase
) -> None:
    """POST /desk/next: the top escalation is now the agent's, and its page opens."""
    clear_queue(demo_kb)
    escalated(demo_kb, plan="free", name="Low")
    top = escalated(demo_kb, plan="premium", name="High")
    client, agent = signed_in(desk_app, demo_kb)
    response = client.post("/desk/next")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/desk/escalations/{top.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "It&#39;s yours" in page
    with demo_kb.sessions() as session:
        escalation = session.get(Escalation, top.id)
        assert escalation is not None
        assert (escalation.state, escalation.assigned_to) == (EscalationState.ASSIGNED, agent.id)


def test_take_next_on_an_empty_queue_says_so(desk_app: Flask, demo_kb: KnowledgeBase) -> None:
    """Nothing waiting: back to the queue with a message, not an error."""
    clear_queue(demo_kb)
    client, _ = signed_in(desk_app, demo_kb)
    response = client.post("/desk/next", follow_redirects=True)
    assert response.status_code == 200
    assert "The queue is empty." in response.get_data(as_text=True)


def test_taking_one_a_colleague_just_took_flashes_instead_of_failing(
    desk_app: Flask, demo_kb: KnowledgeBase
) -> None:
    """The loser of a race goes back to the queue with a message; desk.js gets a 409."""
    case = escalated(demo_kb, name="Raced")
    first, winner = signed_in(desk_app, demo_kb)
    second, _ = signed_in(desk_app, demo_kb)
    assert first.post(f"/desk/escalations/{case.id}/claim").status_code == 302
    lost = second.post(f"/desk/escalations/{case.id}/claim")
    assert lost.status_code == 302 and lost.headers["Location"].endswith("/desk")
    assert "Someone else has just taken it." in second.get("/desk").get_data(as_text=True)
    as_json = second.post(
        f"/desk/escalations/{case.id}/claim", headers={"Accept": "application/json"}
    )
    assert as_json.status_code == 409
    assert as_json.get_json()["error"]["message"] == "Someone else has just taken it."
    with demo_kb.sessions() as session:
        claims = session.scalars(
            select(EscalationEvent).where(
                EscalationEvent.escalation_id == case.id,
                EscalationEvent.to_state == EscalationState.ASSIGNED,
            )
        ).all()
        assert [event.actor for event in claims] == [winner.actor]


def test_an_unknown_escalation_is_a_404_not_a_500(desk_app: Flask, demo_kb: KnowledgeBase) -> None:
    """Pages, actions and the JSON all answer 404 for an id that does not exist."""
    client, _ = signed_in(desk_app, demo_kb)
    page = client.get("/desk/escalations/987654")
    assert page.status_code == 404 and "There is no such escalation" in page.get_data(as_text=True)
    assert client.post("/desk/escalations/987654/claim").status_code == 404
    assert client.post("/desk/escalations/987654/resolve").status_code == 404
    poll = client.get("/desk/escalations/987654/messages.json")
    assert poll.status_code == 404 and "error" in poll.get_json()
