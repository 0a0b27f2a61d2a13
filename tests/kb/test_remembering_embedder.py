"""RememberingEmbedder: the same vectors as the model, and each text embedded once while kept."""

from __future__ import annotations

import numpy as np
import pytest

from kb.embeddings import RememberingEmbedder
from tests.kb.fakes import HashingEmbedder


def test_same_vectors_and_only_new_texts_reach_the_model() -> None:
    """A second report with one new question embeds only that question."""
    model = HashingEmbedder()
    remembering = RememberingEmbedder(model)
    first = remembering.embed(["where is my order", "refund please", "where is my order"])
    assert model.texts == ["where is my order", "refund please"]
    np.testing.assert_allclose(
        first, model.embed(["where is my order", "refund please", "where is my order"])
    )
    model.texts.clear()
    second = remembering.embed(["refund please", "can I rent a canoe"])
    assert model.texts == ["can I rent a canoe"]
    np.testing.assert_allclose(
        second, HashingEmbedder().embed(["refund please", "can I rent a canoe"])
    )
    assert (remembering.name, remembering.dimension) == (model.name, model.dimension)


def test_it_forgets_the_least_recently_used_beyond_its_size() -> None:
    """Bounded: past ``size`` texts the oldest unused one must be embedded again."""
    model = HashingEmbedder()
    remembering = RememberingEmbedder(model, size=2)
    remembering.embed(["a b", "c d"])
    remembering.embed(["a b"])  # "a b" is now the most recently used
    remembering.embed(["e f"])  # "c d" goes
    model.texts.clear()
    remembering.embed(["a b", "e f", "c d"])
    assert model.texts == ["c d"]
    with pytest.raises(ValueError, match="at least 1"):
        RememberingEmbedder(model, size=0)
