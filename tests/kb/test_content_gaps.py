"""The content-gap report: which questions failed, how they group by meaning, counts and trend."""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from kb.clustering import cluster
from kb.content_gaps import (
    SIMILARITY,
    FailedQuestion,
    content_gaps,
    draft_for,
    failed_questions,
    first_question,
    group_questions,
    is_rising,
    suggest_title,
)
from kb.models import (
    ArticleEvent,
    Conversation,
    Escalation,
    Message,
    SearchEvent,
    Sender,
)
from tests.kb.helpers import reset_password

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)


class TableEmbedder:
    """An embedder that looks each text up in a table of hand-made vectors."""

    def __init__(self, table: dict[str, Sequence[float]]) -> None:
        """Vectors by text."""
        self.table = table
        self.seen: list[str] = []

    @property
    def name(self) -> str:
        """The model name."""
        return "table"

    @property
    def dimension(self) -> int:
        """The vector length."""
        return len(next(iter(self.table.values())))

    def embed(
        self, texts: Sequence[str], *, batch_size: int = 64, progress: bool = False
    ) -> NDArray[np.float32]:
        """The table's vectors, normalised."""
        self.seen += list(texts)
        rows = np.array([self.table[t] for t in texts], dtype=np.float32)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


# -- clustering on hand-made vectors -----------------------------------------------------------


def test_cluster_finds_the_known_groups() -> None:
    rng = np.random.default_rng(7)
    centres = np.eye(3, 8, dtype=np.float32)
    rows, truth = [], []
    for label in (0, 1, 2, 0, 1, 2, 0, 0, 2, 1):
        rows.append(centres[label] + rng.normal(0, 0.15, 8).astype(np.float32))
        truth.append(label)
    groups = cluster(np.array(rows), threshold=SIMILARITY)
    assert sorted(sorted(truth[i] for i in g) for g in groups) == [
        [0, 0, 0, 0],
        [1, 1, 1],
        [2, 2, 2],
    ]
    assert all(len({truth[i] for i in g}) == 1 for g in groups)


def test_cluster_threshold_decides_what_joins() -> None:
    a = np.array([1.0, 0.0], dtype=np.float32)
    b = np.array([np.cos(0.7), np.sin(0.7)], dtype=np.float32)  # cosine 0.76 with a
    assert cluster(np.stack([a, b]), threshold=0.7) == [[0, 1]]
    assert cluster(np.stack([a, b]), threshold=0.8) == [[0], [1]]


def test_cluster_checks_its_arguments() -> None:
    with pytest.raises(ValueError, match="2-D"):
        cluster(np.zeros(3, dtype=np.float32), threshold=SIMILARITY)
    with pytest.raises(ValueError, match="threshold"):
        cluster(np.zeros((2, 2), dtype=np.float32), threshold=1.5)
    assert cluster(np.zeros((0, 4), dtype=np.float32), threshold=SIMILARITY) == []


def asked(text: str, days_ago: float, kind: str = "zero_result") -> FailedQuestion:
    """A failed question ``days_ago`` days before NOW."""
    return FailedQuestion(text, kind, NOW - timedelta(days=days_ago))


def test_groups_count_trend_examples_and_title() -> None:
    embedder = TableEmbedder(
        {
            "where is my parcel": [1, 0.1, 0],
            "my order has not arrived": [1, 0.2, 0],
            "Where is my parcel": [1, 0.1, 0],
            "can i pay with paypal": [0, 0, 1],
        }
    )
    questions = [
        asked("where is my parcel", 1),
        asked("Where is my parcel", 2, "no_click"),
        asked("my order has not arrived", 3, "bot_rejected"),
        asked("where is my parcel", 20),
        asked("can i pay with paypal", 10),
        asked("can i pay with paypal", 25),
    ]
    groups = group_questions(questions, embedder=embedder, now=NOW)
    parcel, paypal = groups
    assert parcel.count_30 == 4 and parcel.count_7 == 3
    assert parcel.rising  # 3 in 7 days against 1 in the 23 before
    assert parcel.title == "Where is my parcel"
    assert parcel.examples == ("where is my parcel", "my order has not arrived")
    assert parcel.kinds == {"zero_result": 2, "no_click": 1, "bot_rejected": 1}
    assert (paypal.count_7, paypal.count_30, paypal.rising) == (0, 2, False)
    assert sorted(embedder.seen) == sorted(
        ["where is my parcel", "my order has not arrived", "can i pay with paypal"]
    )  # each distinct question embedded once
    assert parcel.as_json()["trend"] == "rising" and paypal.as_json()["trend"] == "steady"
    assert len(parcel.key) == 12 and parcel.key != paypal.key


def test_no_questions_no_groups() -> None:
    assert group_questions([], embedder=TableEmbedder({"x": [1.0]}), now=NOW) == []


@pytest.mark.parametrize(
    ("count_7", "before", "rising"),
    [(3, 0, True), (2, 0, False), (3, 6, True), (3, 7, False), (10, 20, True), (7, 23, False)],
)
def test_rising_needs_a_higher_recent_rate(count_7: int, before: int, rising: bool) -> None:
    assert is_rising(count_7, before) is rising


def test_titles_and_drafts() -> None:
    assert suggest_title("  how do i   reset my password. ") == "How do i reset my password"
    assert suggest_title("") == "Untitled"
    assert len(suggest_title("x" * 500)) == 200
    draft = draft_for("can I ship to Norway?", ["can I ship to Norway?", "ship to norway", " "])
    assert draft.title == "Can I ship to Norway?"
    assert "- can I ship to Norway?\n- ship to norway\n" in draft.body


def test_first_question_skips_buttons() -> None:
    context = {"handoff": {"turns": [{"text": "/greet"}, {"text": " my  boots leak "}]}}
    assert first_question(context) == "my boots leak"
    assert first_question({}) == ""
    assert first_question({"handoff": {"turns": "nonsense"}}) == ""


# -- collecting failed questions from the database ---------------------------------------------


def search(session: Session, query: str, days_ago: float, **fields: Any) -> SearchEvent:
    """A stored search."""
    values: dict[str, Any] = {
        "channel": "page",
        "result_count": 3,
        "top_confidence": 0.8,
        "decision": "answer",
        "zero_result": False,
        "clicked_at": NOW,
        "clicked_ref": "x",
    } | fields
    event = SearchEvent(query=query, created_at=NOW - timedelta(days=days_ago), **values)
    session.add(event)
    return event


def conversation(session: Session, *texts: str, days_ago: float = 1) -> Conversation:
    """A chat whose customer wrote ``texts`` (a leading "/" makes a button press)."""
    chat = Conversation(public_id=secrets.token_hex(8), token_hash="0" * 64)
    session.add(chat)
    session.flush()
    for i, text in enumerate(texts):
        button = text.startswith("/")
        session.add(
            Message(
                conversation_id=chat.id,
                sender=Sender.CUSTOMER,
                text="" if button else text,
                payload=text if button else None,
                created_at=NOW - timedelta(days=days_ago, minutes=10 - i),
            )
        )
    return chat


def escalation(session: Session, reason: str, question: str, **handoff: Any) -> None:
    """An escalation whose handoff began with ``question``."""
    chat = conversation(session, question)
    context = {"handoff": {"turns": [{"text": question}], **handoff}}
    session.add(
        Escalation(
            conversation_id=chat.id,
            reason=reason,
            context=context,
            created_at=NOW - timedelta(days=2),
        )
    )


@pytest.fixture
def seeded(session: Session) -> Iterator[Session]:
    """Searches, bot rejections and escalations, failed and not."""
    search(session, "nothing found", 1, zero_result=True, result_count=0, clicked_at=None)
    search(session, "unsure", 2, decision="handover", clicked_at=None)
    search(session, "not clicked", 3, clicked_at=None, clicked_ref=None)
    search(session, "typing in instant", 3, channel="instant", clicked_at=None)
    search(session, "found and clicked", 4)
    search(session, "too old", 40, zero_result=True, result_count=0)
    article = reset_password(session, status="published").article
    chat = conversation(session, "how do I reset it", "/deny")
    session.flush()
    session.add(
        ArticleEvent(
            article_id=article.id,
            kind="bot_rejected",
            conversation_ref=chat.public_id,
            created_at=NOW - timedelta(days=1),
        )
    )
    session.add(
        ArticleEvent(article_id=article.id, kind="bot_served", conversation_ref=chat.public_id)
    )
    escalation(session, "no_answer", "do you sell gift cards")
    escalation(session, "failed_answers", "wrong size delivered")
    escalation(
        session,
        "customer_request",
        "boots leaking",
        articles=[{"ref": "x", "feedback": "not_helpful"}],
    )
    escalation(session, "customer_request", "just want a person")
    session.flush()
    yield session


def test_failed_questions_come_from_every_source(seeded: Session) -> None:
    found = failed_questions(session=seeded, now=NOW)
    assert sorted((q.text, q.kind) for q in found) == [
        ("boots leaking", "escalation"),
        ("do you sell gift cards", "escalation"),
        ("how do I reset it", "bot_rejected"),
        ("not clicked", "no_click"),
        ("nothing found", "zero_result"),
        ("unsure", "low_confidence"),
        ("wrong size delivered", "escalation"),
    ]
    assert [q.at for q in found] == sorted(q.at for q in found)


def test_failed_questions_window(seeded: Session) -> None:
    texts = {q.text for q in failed_questions(session=seeded, now=NOW, days=60)}
    assert "too old" in texts
    with pytest.raises(ValueError, match="days"):
        failed_questions(session=seeded, now=NOW, days=0)


def test_content_gaps_end_to_end(seeded: Session) -> None:
    vectors = {
        "boots leaking": [1, 0, 0, 0, 0, 0, 0],
        "do you sell gift cards": [0, 1, 0, 0, 0, 0, 0],
        "how do I reset it": [0, 0, 1, 0, 0, 0, 0],
        "not clicked": [0, 0, 0, 1, 0, 0, 0],
        "nothing found": [0, 0, 0, 0, 1, 0, 0],
        "unsure": [0, 0, 0, 0, 1, 0.1, 0],
        "wrong size delivered": [0, 0, 0, 0, 0, 0, 1],
    }
    groups = content_gaps(session=seeded, embedder=TableEmbedder(vectors), now=NOW)
    assert len(groups) == 6
    assert groups[0].count_30 == 2 and set(groups[0].examples) == {"nothing found", "unsure"}


# -- the real model ------------------------------------------------------------------------------

KNOWN_GROUPS = {
    "tracking": [
        "where is my parcel",
        "my order has not arrived yet",
        "my package still hasn't been delivered",
        "when will my order arrive",
    ],
    "gift cards": [
        "do you sell gift cards",
        "can I buy a gift voucher",
        "how do gift cards work",
    ],
    "password": [
        "I forgot my password",
        "how do I reset my password",
        "can't log in, lost my password",
    ],
    "tent repair": [
        "my tent pole snapped",
        "the tent pole is broken, can you repair it",
    ],
    "refund time": ["how long does a refund take", "when will I get my money back"],
    "sizing": ["what size hiking boots should I order", "are your boots true to size"],
}


@pytest.mark.model
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_real_model_groups_questions_by_meaning(seed: int) -> None:
    from kb.embeddings import SentenceTransformerEmbedder

    label = {q: name for name, qs in KNOWN_GROUPS.items() for q in qs}
    order = list(label)
    random.Random(seed).shuffle(order)
    questions = [asked(q, i % 20) for i, q in enumerate(order)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setenv("TRANSFORMERS_OFFLINE", "1")
        groups = group_questions(questions, embedder=SentenceTransformerEmbedder(), now=NOW)
    found = sorted(sorted(label[q.text] for q in g.questions) for g in groups)
    assert found == sorted(sorted([name] * len(qs)) for name, qs in KNOWN_GROUPS.items())
