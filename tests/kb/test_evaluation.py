"""``tier0 kb eval``: metrics are computed right and the pipeline runs the product's real search."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.config import Settings
from kb.evaluation import EvaluationError, Prediction, evaluate, metrics, read_queries
from tests.kb.fakes import HashingEmbedder


def _p(ranked: tuple[str, ...], answer: str | None, relevant: set[str]) -> Prediction:
    """A prediction for the metric tests."""
    return Prediction("q", ranked, answer, 0.5, frozenset(relevant))


def test_metrics_on_hand_made_predictions() -> None:
    """MRR, recall, answered accuracy and out-of-scope recall by hand."""
    found = metrics(
        [
            _p(("a", "b"), "a", {"a"}),  # rank 1, answered right
            _p(("b", "a"), "b", {"a"}),  # rank 2, answered wrong
            _p(("c",) * 6 + ("a",), None, {"a"}),  # rank 7, handed over
            _p(("x",), None, set()),  # out of scope, handed over
            _p(("x",), "x", set()),  # out of scope, answered
        ]
    )
    assert found["mrr@10"] == pytest.approx((1 + 1 / 2 + 1 / 7) / 3, abs=1e-4)
    assert found["recall@1"] == pytest.approx(1 / 3, abs=1e-4)
    assert found["recall@5"] == pytest.approx(2 / 3, abs=1e-4)
    assert found["answered_accuracy"] == pytest.approx(1 / 3, abs=1e-4)
    assert found["oos_recall"] == 0.5
    assert found["counts"] == {"queries": 5, "in_scope": 3, "out_of_scope": 2, "answered": 3}


def test_bad_query_file_is_a_clear_error(tmp_path: Path) -> None:
    """A malformed query row names its line."""
    path = tmp_path / "q.jsonl"
    path.write_text('{"text": "ok", "relevant_faq_ids": []}\n{"relevant_faq_ids": []}\n', "utf-8")
    with pytest.raises(EvaluationError, match=r"q.jsonl:2"):
        read_queries(path)


def test_evaluate_end_to_end(tmp_path: Path) -> None:
    """FAQs load into a temporary KB; in-scope questions rank their FAQ; thresholds decide."""
    faqs = tmp_path / "faqs.jsonl"
    faqs.write_text(
        "\n".join(
            json.dumps(row)
            for row in [
                {
                    "faq_id": "ship",
                    "question": "How long does shipping take?",
                    "answer": "Standard shipping takes 3 to 7 business days.",
                },
                {
                    "faq_id": "return",
                    "question": "How do I return an item?",
                    "answer": "Print the prepaid label and drop the parcel off.",
                    "phrasings": ["send my boots back"],
                },
            ]
        ),
        "utf-8",
    )
    queries = tmp_path / "queries.jsonl"
    queries.write_text(
        "\n".join(
            json.dumps(row)
            for row in [
                {"text": "how long does shipping take", "relevant_faq_ids": ["ship"]},
                {"text": "send my boots back", "relevant_faq_ids": ["return"]},
                {"text": "zebra quantum lasagna", "relevant_faq_ids": []},
            ]
        ),
        "utf-8",
    )
    settings = Settings(answer_threshold=0.5, suggest_threshold=0.2)
    result, predictions = evaluate(faqs, queries, embedder=HashingEmbedder(), settings=settings)
    assert result["recall@1"] == 1.0
    assert result["faqs"] == 2
    assert [p.ranked[0] for p in predictions[:2]] == ["ship", "return"]
    assert predictions[2].answer is None and result["oos_recall"] == 1.0
