"""The staff escalations API: tokens and roles, the queue, claiming, replies, notes, resolve, hand back.

Escalations are made the real way, through the chat API with a bot (fake Rasa) that hands over.
The app has CSRF on, as in production: the staff API is token-authenticated and exempt.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from kb import chat
from kb.models import Conversation, Role
from tests.web.chat_helpers import read, send
from tests.web.escalation_desk import Desk, Waiting, desk, escalate_chat
from tests.web.staff_helpers import Staff, make_staff

__all__ = ["desk"]  # the module's fixture

API = "/api/v1/escalations"


@pytest.fixture
def client(desk: Desk) -> FlaskClient:
    """A test client of the desk app."""
    return desk.app.test_client()


@pytest.fixture
def agent(desk: Desk) -> Staff:
    """An agent with a token."""
    return make_staff(desk.kb, Role.AGENT)


@pytest.fixture
def colleague(desk: Desk) -> Staff:
    """Another agent."""
    return make_staff(desk.kb, Role.AGENT)


def call(
    client: FlaskClient, method: str, path: str, staff: Staff | None, body: Any = None
) -> tuple[int, Any]:
    """Call the staff API as ``staff``; the status and JSON body (None when empty)."""
    headers = staff.headers if staff is not None else {}
    kwargs: dict[str, Any] = {"headers": headers}
    if body is not None:
        kwargs["json"] = body
    response = client.open(f"{API}{path}", method=method, **kwargs)
    return response.status_code, response.get_json(silent=True)


def drain(desk: Desk, client: FlaskClient) -> None:
    """Have an agent of its own take everything still waiting, so the queue is empty."""
    staff = make_staff(desk.kb, Role.AGENT)
    for _ in range(200):
        status, _body = call(client, "POST", "/next", staff)
        if status == 204:
            return
        assert status == 200
    raise AssertionError("the queue did not empty")


def claimed(desk: Desk, client: FlaskClient, staff: Staff, **handoff: Any) -> Waiting:
    """A new escalation that ``staff`` has taken."""
    waiting = escalate_chat(desk, client, **handoff)
    status, body = call(client, "POST", f"/{waiting.escalation}/claim", staff)
    assert status == 200, body
    return waiting


# -- tokens and roles -----------------------------------------------------------------------


def test_no_or_unknown_token_is_401_and_a_wrong_role_403(desk: Desk, client: FlaskClient) -> None:
    """Every endpoint wants an agent's or admin's token; editors may not work the queue."""
    waiting = escalate_chat(desk, client)
    endpoints = [
        ("GET", ""),
        ("GET", f"/{waiting.escalation}"),
        ("POST", "/next"),
        ("POST", f"/{waiting.escalation}/claim"),
        ("POST", f"/{waiting.escalation}/messages"),
        ("POST", f"/{waiting.escalation}/notes"),
        ("POST", f"/{waiting.escalation}/release"),
        ("POST", f"/{waiting.escalation}/resolve"),
        ("POST", f"/{waiting.escalation}/handback"),
    ]
    editor = make_staff(desk.kb, Role.EDITOR)
    for method, path in endpoints:
        response = client.open(f"{API}{path}", method=method, json={"text": "hi"})
        assert response.status_code == 401, (method, path)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "staff token" in response.get_json()["error"]["message"]
        wrong = {"Authorization": "Bearer t0_not-a-real-token"}
        assert client.open(f"{API}{path}", method=method, headers=wrong).status_code == 401
        # The customer's conversation token is not a staff token either.
        assert (
            client.open(f"{API}{path}", method=method, headers=waiting.headers).status_code == 401
        )
        status, body = call(client, method, path, editor, {"text": "hi"})
        assert status == 403, (method, path)
        assert "editor" in body["error"]["message"] and "agent or admin" in body["error"]["message"]
    # Nothing happened to the escalation.
    status, body = call(client, "GET", f"/{waiting.escalation}", make_staff(desk.kb, Role.ADMIN))
    assert status == 200 and body["state"] == "queued" and body["assigned_to"] is None


def test_unknown_escalation_is_404_everywhere(client: FlaskClient, agent: Staff) -> None:
    """A missing id says so, in the API's envelope."""
    for method, path, body in [
        ("GET", "/999999", None),
        ("POST", "/999999/claim", None),
        ("POST", "/999999/messages", {"text": "Hello"}),
        ("POST", "/999999/notes", {"text": "Hello"}),
        ("POST", "/999999/release", None),
        ("POST", "/999999/resolve", None),
        ("POST", "/999999/handback", None),
    ]:
        status, answer = call(client, method, path, agent, body)
        assert status == 404, (method, path, answer)
        assert answer == {"error": {"status": 404, "message": answer["error"]["message"]}}
        assert "999999" in answer["error"]["message"]


# -- the queue --------------------------------------------------------------------------------


def test_list_views_states_and_pages(desk: Desk, client: FlaskClient, agent: Staff) -> None:
    """Views and states filter, highest priority first, in the shared list envelope."""
    drain(desk, client)
    low = escalate_chat(desk, client, text="Where is my parcel?")
    high = escalate_chat(
        desk, client, reason="business_rule", reason_detail="rule 'fraud' matched 'chargeback'"
    )
    status, page = call(client, "GET", "?view=unassigned", agent)
    assert status == 200
    assert {key for key in page if key != "items"} == {"page", "per_page", "total", "pages"}
    assert [item["id"] for item in page["items"]] == [high.escalation, low.escalation]
    assert page["total"] == 2 and page["pages"] == 1
    first = page["items"][0]
    assert first["conversation_id"] == high.conversation
    assert first["state"] == "queued" and first["reason"] == "business_rule"
    assert first["summary"].startswith("Customer wants a refund")
    assert first["priority"] > page["items"][1]["priority"]
    assert first["waited_seconds"] >= 0 and first["assigned_to"] is None
    assert first["sla"]["target"] == "first_response" and first["sla"]["breached"] is False
    assert first["customer_name"] is None  # an anonymous visitor

    status, page = call(client, "GET", "?view=unassigned&per_page=1&page=2", agent)
    assert status == 200 and page["total"] == 2 and page["pages"] == 2
    assert [item["id"] for item in page["items"]] == [low.escalation]

    call(client, "POST", f"/{low.escalation}/claim", agent)
    status, mine = call(client, "GET", "?view=mine", agent)
    assert [item["id"] for item in mine["items"]] == [low.escalation]
    assert mine["items"][0]["assigned_to"]["id"] == agent.id
    status, queued = call(client, "GET", "?state=queued", agent)
    assert [item["id"] for item in queued["items"]] == [high.escalation]
    call(client, "POST", f"/{low.escalation}/resolve", agent, {"note": "Parcel found."})
    status, resolved = call(client, "GET", "?state=resolved&view=all", agent)
    assert low.escalation in [item["id"] for item in resolved["items"]]
    assert all(item["state"] == "resolved" for item in resolved["items"])


@pytest.mark.parametrize(
    ("query", "field"),
    [("view=everything", "view"), ("state=lost", "state"), ("page=0", "page")],
)
def test_bad_list_parameters_are_400_naming_the_field(
    client: FlaskClient, agent: Staff, query: str, field: str
) -> None:
    """Input errors say which parameter was wrong."""
    status, body = call(client, "GET", f"?{query}", agent)
    assert status == 400
    assert field in body["error"]["fields"]


def test_detail_has_the_whole_story(desk: Desk, client: FlaskClient, agent: Staff) -> None:
    """Handoff payload, the current transcript, events, notes and the customer's history."""
    waiting = escalate_chat(desk, client, text="My refund never arrived")
    send(client, waiting.conversation, waiting.token, text="It was order A123, paid by card")
    with desk.kb.sessions() as session:  # the company's systems know this customer
        customer = chat.upsert_customer(
            session=session, external_id="c-77", email="ada@example.com", name="Ada", plan="plus"
        )
        earlier = chat.start_conversation(session=session, customer=customer, context={})
        current = session.scalar(
            select(Conversation).where(Conversation.public_id == waiting.conversation)
        )
        assert current is not None
        current.customer_id = customer.id
        session.commit()
        earlier_id = earlier.conversation.public_id
    call(client, "POST", f"/{waiting.escalation}/notes", agent, {"text": "Checked: card refund."})

    status, body = call(client, "GET", f"/{waiting.escalation}", agent)
    assert status == 200
    assert body["handoff"]["details"] == {"order_number": "A123"}
    assert body["handoff"]["tone"]["trend"] == "worsening"
    texts = [message["text"] for message in body["transcript"]]
    assert texts[0] == "My refund never arrived"
    assert "It was order A123, paid by card" in texts  # written after the handoff snapshot
    system = [m for m in body["transcript"] if m["sender"] == "system"]
    assert system and all(m["kind"] for m in system)
    assert [(e["from_state"], e["to_state"]) for e in body["events"]] == [(None, "queued")]
    assert [note["text"] for note in body["notes"]] == ["Checked: card refund."]
    assert body["notes"][0]["author"]
    assert body["customer"]["external_id"] == "c-77" and body["customer"]["plan"] == "plus"
    assert body["customer_name"] == "Ada"
    assert [past["id"] for past in body["previous_conversations"]] == [earlier_id]
    assert body["previous_conversations"][0]["outcome"] == "bot"


# -- taking escalations -----------------------------------------------------------------------


def test_take_next_gives_the_highest_priority_then_204(
    desk: Desk, client: FlaskClient, agent: Staff
) -> None:
    """POST /next needs no body: the most urgent first, then the next, then 204 (empty)."""
    drain(desk, client)
    low = escalate_chat(desk, client)
    high = escalate_chat(desk, client, reason="business_rule", reason_detail="rule 'safety'")
    response = client.post(f"{API}/next", headers=agent.headers)  # no body, no content type
    assert response.status_code == 200, response.get_json()
    first = response.get_json()
    assert first["id"] == high.escalation and first["state"] == "assigned"
    assert first["assigned_to"]["id"] == agent.id and first["transcript"]
    status, second = call(client, "POST", "/next", agent)
    assert status == 200 and second["id"] == low.escalation
    response = client.post(f"{API}/next", headers=agent.headers)
    assert response.status_code == 204 and response.data == b""
    assert read(client, low.conversation, low.token)["state"] == "assigned"


def test_claim_once_then_409_for_everyone_else(
    desk: Desk, client: FlaskClient, agent: Staff, colleague: Staff
) -> None:
    """The winner gets 200; a colleague (and the winner again) gets a clear 409."""
    waiting = escalate_chat(desk, client)
    status, body = call(client, "POST", f"/{waiting.escalation}/claim", agent)
    assert status == 200 and body["assigned_to"]["id"] == agent.id
    status, body = call(client, "POST", f"/{waiting.escalation}/claim", colleague)
    assert status == 409
    assert "not waiting any more" in body["error"]["message"]
    assert "assigned" in body["error"]["message"]
    assert call(client, "POST", f"/{waiting.escalation}/claim", agent)[0] == 409


def race(desk: Desk, escalation: int, agents: list[Staff]) -> dict[int, int]:
    """The agents claim the escalation at the same moment, each in a thread; status by agent."""
    barrier = threading.Barrier(len(agents))
    results: dict[int, int] = {}

    def take(staff: Staff) -> None:
        client = desk.app.test_client()
        barrier.wait()
        results[staff.id] = call(client, "POST", f"/{escalation}/claim", staff)[0]

    threads = [threading.Thread(target=take, args=(staff,)) for staff in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_two_agents_claiming_at_once_get_one_200_and_one_409(
    desk: Desk, agent: Staff, colleague: Staff
) -> None:
    """Concurrent claims of one id (two threads, two clients): exactly one winner, every time."""
    for _ in range(5):
        waiting = escalate_chat(desk, desk.app.test_client())
        results = race(desk, waiting.escalation, [agent, colleague])
        assert sorted(results.values()) == [200, 409], results
        winner = next(staff for staff, code in results.items() if code == 200)
        body = call(desk.app.test_client(), "GET", f"/{waiting.escalation}", agent)[1]
        assert body["assigned_to"]["id"] == winner
        assert [e["to_state"] for e in body["events"]] == ["queued", "assigned"]


# -- working an escalation ---------------------------------------------------------------------


def test_reply_reaches_the_customer_with_the_agents_name(
    desk: Desk, client: FlaskClient, agent: Staff, colleague: Staff
) -> None:
    """Only the owner replies (others 409, not yet claimed 409); the customer sees who wrote."""
    waiting = escalate_chat(desk, client)
    status, body = call(client, "POST", f"/{waiting.escalation}/messages", agent, {"text": "Hi"})
    assert status == 409 and "assigned" in body["error"]["message"]
    call(client, "POST", f"/{waiting.escalation}/claim", agent)
    status, body = call(
        client, "POST", f"/{waiting.escalation}/messages", colleague, {"text": "Me"}
    )
    assert status == 409 and "only they can" in body["error"]["message"]
    before = read(client, waiting.conversation, waiting.token)["messages"][-1]["id"]
    text = "Hi, I'm on it — refunds take 3 days."
    status, body = call(client, "POST", f"/{waiting.escalation}/messages", agent, {"text": text})
    assert status == 201
    assert body["sender"] == "agent" and body["text"] == text and body["author"]
    seen = read(client, waiting.conversation, waiting.token, after=before)
    assert [(m["sender"], m["text"]) for m in seen["messages"]] == [("agent", text)]
    assert seen["messages"][0]["author"] == body["author"]
    assert seen["messages"][0]["kind"] is None
    assert seen["state"] == "assigned" and seen["queue"] is None


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"text": "   "}, "must not be empty"),
        ({"text": "x" * 5001}, "at most 5000"),
        ({}, "'text' is required"),
        ({"text": "Hi", "cc": "boss"}, "'cc' is not a field"),
    ],
)
def test_bad_replies_are_400(
    desk: Desk, client: FlaskClient, agent: Staff, body: dict[str, Any], fragment: str
) -> None:
    """Empty, too long, missing and unknown fields are refused before anything is stored."""
    waiting = claimed(desk, client, agent)
    status, answer = call(client, "POST", f"/{waiting.escalation}/messages", agent, body)
    assert status == 400
    assert fragment in answer["error"]["message"]


def test_a_reply_that_is_not_json_is_400(desk: Desk, client: FlaskClient, agent: Staff) -> None:
    """Plain text is refused with a hint."""
    waiting = claimed(desk, client, agent)
    response = client.post(
        f"{API}/{waiting.escalation}/messages",
        data="hello",
        content_type="text/plain",
        headers=agent.headers,
    )
    assert response.status_code == 400
    assert "JSON" in response.get_json()["error"]["message"]


def test_notes_are_never_shown_to_the_customer(
    desk: Desk, client: FlaskClient, agent: Staff, colleague: Staff
) -> None:
    """Any agent may note; the customer's messages never include it."""
    waiting = claimed(desk, client, agent)
    secret = "Internal: customer has charged back twice before"
    status, note = call(client, "POST", f"/{waiting.escalation}/notes", colleague, {"text": secret})
    assert status == 201 and note["text"] == secret and note["author"]
    assert call(client, "POST", f"/{waiting.escalation}/notes", agent, {"text": ""})[0] == 400
    everything = read(client, waiting.conversation, waiting.token)
    assert all(secret not in message["text"] for message in everything["messages"])
    detail = call(client, "GET", f"/{waiting.escalation}", agent)[1]
    assert secret in [n["text"] for n in detail["notes"]]
    assert all(secret not in m["text"] for m in detail["transcript"])


def test_release_puts_it_back_in_the_queue(
    desk: Desk, client: FlaskClient, agent: Staff, colleague: Staff
) -> None:
    """Only the owner releases; the customer's chat is queued again with a place in the queue."""
    waiting = claimed(desk, client, agent)
    assert call(client, "POST", f"/{waiting.escalation}/release", colleague)[0] == 409
    status, body = call(
        client, "POST", f"/{waiting.escalation}/release", agent, {"reason": "shift over"}
    )
    assert status == 200 and body["state"] == "queued" and body["assigned_to"] is None
    seen = read(client, waiting.conversation, waiting.token)
    assert seen["state"] == "queued"
    assert seen["queue"]["position"] >= 1
    assert seen["queue"]["estimated_wait_minutes"] >= 1
    assert seen["queue"]["agents_online"] >= 1  # the agents just used the API


def test_resolve_asks_for_a_rating_which_the_customer_gives(
    desk: Desk, client: FlaskClient, agent: Staff
) -> None:
    """Resolve (409 a second time); the widget gets a rating_request; the rating is stored."""
    waiting = claimed(desk, client, agent)
    rating_url = f"/api/v1/conversations/{waiting.conversation}/rating"
    early = client.post(rating_url, json={"score": 5}, headers=waiting.headers)
    assert early.status_code == 409
    assert "nothing to rate" in early.get_json()["error"]["message"]

    status, body = call(client, "POST", f"/{waiting.escalation}/resolve", agent, {"note": "Done"})
    assert status == 200 and body["state"] == "resolved" and body["resolved_at"]
    assert call(client, "POST", f"/{waiting.escalation}/resolve", agent)[0] == 409
    seen = read(client, waiting.conversation, waiting.token)
    assert seen["state"] == "resolved"
    assert seen["messages"][-1]["sender"] == "system"
    assert seen["messages"][-1]["kind"] == "rating_request"

    for bad in ({"score": 0}, {"score": 6}, {"score": "five"}, {"comment": "no score"}):
        response = client.post(rating_url, json=bad, headers=waiting.headers)
        assert response.status_code == 400, bad
    other = client.post(rating_url, json={"score": 5}, headers={"Authorization": "Bearer nope"})
    assert other.status_code == 403
    response = client.post(
        rating_url, json={"score": 4, "comment": " Quick and kind "}, headers=waiting.headers
    )
    assert response.status_code == 200
    assert response.get_json() == {"rating": 4, "comment": "Quick and kind"}
    again = client.post(rating_url, json={"score": 5}, headers=waiting.headers)
    assert again.get_json() == {"rating": 5, "comment": ""}
    detail = call(client, "GET", f"/{waiting.escalation}", agent)[1]
    assert detail["rating"] == 5 and detail["resolution_note"] == "Done"


def test_hand_back_gives_the_chat_to_the_bot(desk: Desk, client: FlaskClient, agent: Staff) -> None:
    """Queued cannot be handed back (409); assigned is resolved first; the bot answers again."""
    waiting = escalate_chat(desk, client)
    status, body = call(client, "POST", f"/{waiting.escalation}/handback", agent)
    assert status == 409 and "queued" in body["error"]["message"]
    call(client, "POST", f"/{waiting.escalation}/claim", agent)
    status, body = call(client, "POST", f"/{waiting.escalation}/handback", agent)
    assert status == 200 and body["state"] == "bot"
    seen = read(client, waiting.conversation, waiting.token)
    assert seen["state"] == "bot"
    kinds = [m["kind"] for m in seen["messages"] if m["sender"] == "system"]
    assert kinds[-2:] == ["rating_request", "handed_back"]
    desk.rasa.script([{"recipient_id": "x", "text": "Welcome back! What else can I do?"}])
    status, answer = send(client, waiting.conversation, waiting.token, text="One more thing")
    assert status == 200 and answer["messages"][-1]["sender"] == "bot"
    assert desk.rasa.requests[-1]["metadata"]["handed_back"] is True
    # A rating is still welcome after the hand back.
    rating_url = f"/api/v1/conversations/{waiting.conversation}/rating"
    assert client.post(rating_url, json={"score": 3}, headers=waiting.headers).status_code == 200


def test_the_openapi_document_lists_the_staff_api(client: FlaskClient) -> None:
    """Every endpoint is documented with the staff token scheme."""
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["components"]["securitySchemes"]["staffToken"]["scheme"] == "bearer"
    paths = document["paths"]
    for path, method in [
        ("/api/v1/escalations", "get"),
        ("/api/v1/escalations/{escalation_id}", "get"),
        ("/api/v1/escalations/next", "post"),
        ("/api/v1/escalations/{escalation_id}/claim", "post"),
        ("/api/v1/escalations/{escalation_id}/messages", "post"),
        ("/api/v1/escalations/{escalation_id}/notes", "post"),
        ("/api/v1/escalations/{escalation_id}/release", "post"),
        ("/api/v1/escalations/{escalation_id}/resolve", "post"),
        ("/api/v1/escalations/{escalation_id}/handback", "post"),
        ("/api/v1/conversations/{conversation_id}/rating", "post"),
    ]:
        operation = paths[path][method]
        if "escalations" in path:
            assert operation["security"] == [{"staffToken": []}], path
    assert "204" in paths["/api/v1/escalations/next"]["post"]["responses"]
    assert "409" in paths["/api/v1/escalations/{escalation_id}/claim"]["post"]["responses"]
