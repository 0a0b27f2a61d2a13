"""kb.chat: conversations with hashed tokens, messages paged by id, customers upserted."""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from kb import chat
from kb.db import make_engine, make_session_factory
from kb.models import Conversation, ConversationState, Customer, Message, Sender


def new_conversation(session: Session, **kwargs: object) -> chat.NewConversation:
    """A fresh conversation."""
    return chat.start_conversation(session=session, **kwargs)  # type: ignore[arg-type]


def test_conversation_keeps_only_the_tokens_hash(session: Session) -> None:
    """The token is random, shown once, stored as SHA-256; ids are URL-safe and unique."""
    first = new_conversation(session, context={"origin": "search", "query": "refund"})
    second = new_conversation(session)
    conversation = first.conversation
    assert conversation.state == ConversationState.BOT
    assert conversation.context == {"origin": "search", "query": "refund"}
    assert conversation.token_hash == chat.hash_token(first.token) != first.token
    assert first.token != second.token and conversation.public_id != second.conversation.public_id
    assert len(conversation.public_id) >= 16
    assert conversation.public_id.replace("-", "").replace("_", "").isalnum()


def test_open_conversation_checks_the_token(session: Session) -> None:
    """The right token opens it; a wrong, empty or other conversation's token does not."""
    mine, theirs = new_conversation(session), new_conversation(session)
    public_id = mine.conversation.public_id
    assert chat.open_conversation(session=session, public_id=public_id, token=mine.token) is (
        mine.conversation
    )
    for token in (theirs.token, "", None, mine.token + "x"):
        with pytest.raises(chat.WrongToken):
            chat.open_conversation(session=session, public_id=public_id, token=token)
    for public_id in ("A" * 22, "short", "bad id with spaces!!", "x" * 40):
        with pytest.raises(chat.ConversationNotFound):
            chat.open_conversation(session=session, public_id=public_id, token=mine.token)


def test_messages_page_by_id(session: Session) -> None:
    """Ids grow; ``after`` returns only newer messages, at most ``limit``."""
    conversation = new_conversation(session).conversation
    sent = [
        chat.add_message(session=session, conversation=conversation, sender=sender, text=text)
        for sender, text in [
            (Sender.CUSTOMER, "hi"),
            (Sender.BOT, "hello"),
            (Sender.CUSTOMER, "refund?"),
            (Sender.SYSTEM, "a person will reply"),
        ]
    ]
    ids = [m.id for m in sent]
    assert ids == sorted(ids) and len(set(ids)) == 4
    page = chat.messages_after(session=session, conversation=conversation, after=ids[0], limit=2)
    assert [m.text for m in page] == ["hello", "refund?"]
    assert chat.messages_after(session=session, conversation=conversation, after=ids[-1]) == []
    assert conversation.last_customer_message_at == sent[2].created_at
    other = new_conversation(session).conversation
    assert chat.messages_after(session=session, conversation=other) == []


def test_customer_messages_are_checked(session: Session) -> None:
    """A customer's message needs text or a payload, and at most 2000 characters."""
    conversation = new_conversation(session).conversation
    for text, payload in (("", None), ("   ", None), ("x" * 2001, None), ("", "/" + "x" * 500)):
        with pytest.raises(chat.ChatError):
            chat.add_message(
                session=session,
                conversation=conversation,
                sender=Sender.CUSTOMER,
                text=text,
                payload=payload,
            )
    chat.add_message(session=session, conversation=conversation, sender="customer", text="x" * 2000)  # type: ignore[arg-type]
    chat.add_message(session=session, conversation=conversation, sender=Sender.BOT, text="")


def test_lookups_by_sender_payload_and_button(session: Session) -> None:
    """latest_message filters, count_messages counts between ids, button_title finds titles."""
    conversation = new_conversation(session).conversation

    def add(sender: Sender, text: str, **kw: Any) -> Message:
        """Add a message to the conversation."""
        return chat.add_message(
            session=session, conversation=conversation, sender=sender, text=text, **kw
        )

    first = add(Sender.CUSTOMER, "hi")
    offer = add(
        Sender.BOT,
        "Did that help?",
        buttons=[
            {"title": "Yes, thanks", "payload": "/affirm"},
            {"title": "No", "payload": "/deny"},
        ],
    )
    note = add(Sender.SYSTEM, "noted", payload="availability")
    last = add(Sender.CUSTOMER, "No", payload="/deny")
    latest = chat.latest_message
    assert latest(session=session, conversation=conversation) is last
    assert latest(session=session, conversation=conversation, senders=[Sender.BOT]) is offer
    assert latest(session=session, conversation=conversation, payloads=["availability"]) is note
    assert (
        latest(
            session=session, conversation=conversation, senders=[Sender.CUSTOMER], before=last.id
        )
        is first
    )
    count = chat.count_messages(
        session=session,
        conversation=conversation,
        sender=Sender.CUSTOMER,
        between=(first.id, last.id),
    )
    assert count == 0
    assert chat.button_title(session=session, conversation=conversation, payload="/deny") == "No"
    assert chat.button_title(session=session, conversation=conversation, payload="/x") is None
    records = chat.transcript(session=session, conversation=conversation)
    assert [r["sender"] for r in records] == ["customer", "bot", "system", "customer"]
    assert records[1]["buttons"][0] == {"title": "Yes, thanks", "payload": "/affirm"}
    assert "buttons" not in records[0] and records[3]["payload"] == "/deny"


def test_set_email_checks_the_address(session: Session) -> None:
    """Addresses are normalised; anything else is refused."""
    conversation = new_conversation(session).conversation
    chat.set_email(session=session, conversation=conversation, email=" Ada@Example.COM ")
    assert conversation.email == "ada@example.com"
    with pytest.raises(chat.ChatError):
        chat.set_email(session=session, conversation=conversation, email="not an email")


def test_upsert_customer_creates_then_updates_given_fields(session: Session) -> None:
    """One row per external id; fields given as None keep their stored value."""
    created = chat.upsert_customer(
        session=session, external_id="c-42", email="Ada@example.com", name="Ada", plan="plus"
    )
    assert (created.email, created.name, created.plan) == ("ada@example.com", "Ada", "plus")
    updated = chat.upsert_customer(session=session, external_id="c-42", plan="premium")
    assert updated.id == created.id
    assert (updated.email, updated.name, updated.plan) == ("ada@example.com", "Ada", "premium")
    anonymous = chat.upsert_customer(session=session, external_id="c-43")
    assert (anonymous.email, anonymous.name, anonymous.plan) == (None, "", "free")
    count = session.scalars(select(Customer).where(Customer.external_id.in_(["c-42", "c-43"])))
    assert len(list(count)) == 2
    conversation = new_conversation(session, customer=updated).conversation
    assert conversation.customer_id == updated.id


@pytest.mark.parametrize(
    "fields",
    [
        {"external_id": ""},
        {"external_id": "x" * 201},
        {"external_id": "c", "email": "nope"},
        {"external_id": "c", "name": "n" * 121},
        {"external_id": "c", "plan": ""},
    ],
)
def test_upsert_customer_checks_fields(session: Session, fields: dict[str, str]) -> None:
    """Bad ids, emails, names and plans are refused with a ChatError."""
    with pytest.raises(chat.ChatError):
        chat.upsert_customer(session=session, **fields)


def test_concurrent_writers_never_hide_a_message_from_a_poller(fresh_db_url: str) -> None:
    """Writers in several threads commit slowly; a poller paging by ``after`` misses nothing.

    Each message locks its conversation's row until commit, so ids become visible in order.
    """
    engine = make_engine(fresh_db_url)
    sessions = make_session_factory(engine)
    with sessions() as session:
        public_id = new_conversation(session).conversation.public_id
        session.commit()
    writers, per_writer = 4, 12
    done = threading.Event()
    seen: list[int] = []
    errors: list[BaseException] = []

    def conversation_in(session: Session) -> Conversation:
        """This thread's copy of the conversation."""
        return chat.get_conversation(session=session, public_id=public_id)

    def write(number: int) -> None:
        """Add messages, pausing between the insert and the commit."""
        rng = random.Random(number)
        try:
            for index in range(per_writer):
                with sessions() as session:
                    chat.add_message(
                        session=session,
                        conversation=conversation_in(session),
                        sender=Sender.BOT,
                        text=f"{number}-{index}",
                    )
                    time.sleep(rng.uniform(0, 0.01))
                    session.commit()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    def poll() -> None:
        """Page through new messages until the writers are done, then once more."""
        try:
            last = 0
            while True:
                finished = done.is_set()
                with sessions() as session:
                    page = chat.messages_after(
                        session=session, conversation=conversation_in(session), after=last
                    )
                seen.extend(m.id for m in page)
                if page:
                    last = page[-1].id
                if finished and not page:
                    return
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    poller = threading.Thread(target=poll)
    poller.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    poller.join()
    with sessions() as session:
        stored = list(session.scalars(select(Message.id).order_by(Message.id)))
    engine.dispose()
    assert errors == []
    assert len(stored) == writers * per_writer
    assert seen == stored
