"""FAISS passage vectors (kb.vector_index) checked against numpy brute force."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from kb.vector_index import EXACT_MAX, VectorIndex, ivf_lists

DIM = 32


def unit(matrix: NDArray[np.floating]) -> NDArray[np.float32]:
    """Rows scaled to length one, as float32."""
    return (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)).astype(np.float32)


def random_unit(count: int, dimension: int = DIM, *, seed: int = 0) -> NDArray[np.float32]:
    """Seeded random unit vectors."""
    return unit(np.random.default_rng(seed).standard_normal((count, dimension)))


def clustered(count: int, *, seed: int, dimension: int = DIM) -> NDArray[np.float32]:
    """Unit vectors scattered around 50 fixed cluster centres (like real embeddings)."""
    centres = random_unit(50, dimension, seed=1234)
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((count, dimension)) * (0.4 / np.sqrt(dimension))
    return unit(centres[rng.integers(0, len(centres), count)] + noise)


def brute_force(
    ids: NDArray[np.int64], vectors: NDArray[np.float32], queries: NDArray[np.float32], k: int
) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """The exact top ``k`` by inner product, best first."""
    scores = queries @ vectors.T
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(scores, order, axis=1), ids[order]


def recall_at(found: NDArray[np.int64], truth: NDArray[np.int64]) -> float:
    """Mean share of the true neighbours that were found."""
    return float(
        np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth, strict=True)])
    )


@pytest.fixture(scope="module")
def ivf_data() -> tuple[VectorIndex, NDArray[np.int64], NDArray[np.float32]]:
    """A trained IVF-SQ8 index holding 5,000 clustered vectors under ids 1000..5999."""
    vectors = clustered(5_000, seed=0)
    ids = np.arange(1_000, 6_000, dtype=np.int64)
    index = VectorIndex(DIM, kind="ivf-sq8")
    index.train(vectors)
    index.add(ids, vectors)
    return index, ids, vectors


def fresh_ivf(ivf_data: tuple[VectorIndex, NDArray[np.int64], NDArray[np.float32]]) -> VectorIndex:
    """A new IVF index with the module's data (for tests that change it)."""
    _, ids, vectors = ivf_data
    index = VectorIndex(DIM, kind="ivf-sq8")
    index.train(vectors)
    index.add(ids, vectors)
    return index


# -- flat -----------------------------------------------------------------------------------


def test_flat_search_equals_brute_force() -> None:
    """Exact search returns numpy's ranking and scores, for non-contiguous ids."""
    vectors = random_unit(300, seed=1)
    ids = np.arange(300, dtype=np.int64) * 7 + 3
    queries = random_unit(8, seed=2)
    index = VectorIndex(DIM)
    index.add(ids, vectors)

    scores, found = index.search(queries, 10)

    want_scores, want_ids = brute_force(ids, vectors, queries, 10)
    assert found.shape == (8, 10)
    np.testing.assert_array_equal(found, want_ids)
    np.testing.assert_allclose(scores, want_scores, rtol=0, atol=1e-5)


def test_flat_search_with_k_above_size_returns_every_vector_without_padding() -> None:
    """With k > n the result has n columns (as implemented), all ids ranked exactly."""
    vectors = random_unit(5, seed=3)
    ids = np.array([10, 20, 30, 40, 50], dtype=np.int64)
    queries = random_unit(2, seed=4)
    index = VectorIndex(DIM)
    index.add(ids, vectors)

    scores, found = index.search(queries, 12)

    want_scores, want_ids = brute_force(ids, vectors, queries, 5)
    assert found.shape == scores.shape == (2, 5)
    np.testing.assert_array_equal(found, want_ids)
    np.testing.assert_allclose(scores, want_scores, atol=1e-5)


def test_empty_index_search_pads_with_minus_one() -> None:
    """An empty index answers every query with k ids of -1 and zero scores."""
    scores, found = VectorIndex(DIM).search(random_unit(3, seed=5), 4)

    assert found.shape == (3, 4)
    assert (found == -1).all()
    assert (scores == 0).all()


def test_flat_remove_then_search_never_returns_removed_ids() -> None:
    """Removed ids vanish; the rest are still ranked exactly."""
    vectors = random_unit(200, seed=6)
    ids = np.arange(200, dtype=np.int64)
    index = VectorIndex(DIM)
    index.add(ids, vectors)
    removed = ids[::4]

    count = index.remove(removed)
    scores, found = index.search(random_unit(5, seed=7), 200)

    assert count == len(removed) == 50
    assert len(index) == 150
    assert not set(found.ravel().tolist()) & set(removed.tolist())
    kept = np.setdiff1d(ids, removed)
    want_scores, want_ids = brute_force(kept, vectors[kept], random_unit(5, seed=7), 150)
    np.testing.assert_array_equal(found, want_ids)
    np.testing.assert_allclose(scores, want_scores, atol=1e-5)


def test_remove_unknown_or_no_ids_removes_nothing() -> None:
    """Removing ids that are not there, or none at all, returns 0 and keeps everything."""
    index = VectorIndex(DIM)
    index.add(np.arange(3, dtype=np.int64), random_unit(3))

    assert index.remove(np.array([99, 100], dtype=np.int64)) == 0
    assert index.remove(np.zeros(0, dtype=np.int64)) == 0
    assert len(index) == 3


def test_build_picks_flat_up_to_exact_max() -> None:
    """Small collections get the exact index."""
    vectors = random_unit(50, seed=8)

    index = VectorIndex.build(np.arange(50, dtype=np.int64), vectors)

    assert index.kind == "flat"
    assert len(index) == 50


def test_build_picks_ivf_sq8_above_exact_max() -> None:
    """More than EXACT_MAX vectors get a trained IVF-SQ8 index holding all of them."""
    count = EXACT_MAX + 1
    vectors = random_unit(count, 8, seed=9)
    ids = np.arange(count, dtype=np.int64)

    index = VectorIndex.build(ids, vectors)

    assert index.kind == "ivf-sq8"
    assert len(index) == count
    _, found = index.search(vectors[:20], 1)
    assert np.mean(found[:, 0] == ids[:20]) >= 0.9


# -- IVF-SQ8 --------------------------------------------------------------------------------


def test_ivf_recall_at_10_against_brute_force(
    ivf_data: tuple[VectorIndex, NDArray[np.int64], NDArray[np.float32]],
) -> None:
    """On clustered data the approximate index finds at least 90% of the true top 10."""
    index, ids, vectors = ivf_data
    queries = clustered(200, seed=1)

    scores, found = index.search(queries, 10)

    want_scores, want_ids = brute_force(ids, vectors, queries, 10)
    assert index.kind == "ivf-sq8"
    assert recall_at(found, want_ids) >= 0.9
    np.testing.assert_allclose(scores[:, 0], want_scores[:, 0], atol=0.02)


def test_ivf_add_makes_new_vectors_findable(
    ivf_data: tuple[VectorIndex, NDArray[np.int64], NDArray[np.float32]],
) -> None:
    """Vectors added after training are found by their own query."""
    index = fresh_ivf(ivf_data)
    new = clustered(20, seed=2)
    new_ids = np.arange(90_000, 90_020, dtype=np.int64)

    index.add(new_ids, new)
    _, found = index.search(new, 1)

    assert len(index) == 5_020
    assert np.mean(found[:, 0] == new_ids) >= 0.9


def test_ivf_remove_then_search_never_returns_removed_ids(
    ivf_data: tuple[VectorIndex, NDArray[np.int64], NDArray[np.float32]],
) -> None:
    """Removed ids are gone from the IVF index, even for their own vectors as queries."""
    _, ids, vectors = ivf_data
    index = fresh_ivf(ivf_data)
    removed = ids[::10]

    count = index.remove(removed)
    _, found = index.search(vectors[::10], 50)

    assert count == len(removed)
    assert len(index) == len(ids) - len(removed)
    assert not set(found.ravel().tolist()) & set(removed.tolist())


def test_untrained_ivf_refuses_vectors() -> None:
    """An IVF index must be trained before anything is added; until then it is empty."""
    index = VectorIndex(DIM, kind="ivf-sq8")

    assert len(index) == 0
    with pytest.raises(RuntimeError, match="trained"):
        index.add(np.arange(2, dtype=np.int64), random_unit(2))


def test_ivf_lists_grow_with_the_collection_within_bounds() -> None:
    """About 4·√n cells, at least 16, and at least 39 vectors a cell once that binds."""
    assert ivf_lists(100) == 16
    assert ivf_lists(5_000) == 5_000 // 39
    assert ivf_lists(1_000_000) == 4_000


# -- save and load --------------------------------------------------------------------------


def test_flat_save_load_round_trip_gives_identical_results(tmp_path: Path) -> None:
    """A loaded flat index answers exactly like the saved one and still takes changes."""
    index = VectorIndex(DIM)
    index.add(np.arange(100, dtype=np.int64) + 500, random_unit(100, seed=10))
    queries = random_unit(6, seed=11)
    index.save(tmp_path / "flat.faiss")

    loaded = VectorIndex.load(tmp_path / "flat.faiss")

    assert (loaded.kind, loaded.dimension, len(loaded)) == ("flat", DIM, 100)
    for got, want in zip(loaded.search(queries, 10), index.search(queries, 10), strict=True):
        np.testing.assert_array_equal(got, want)
    assert loaded.remove(np.array([500], dtype=np.int64)) == 1
    loaded.add(np.array([7], dtype=np.int64), queries[:1])
    assert loaded.search(queries[:1], 1)[1][0, 0] == 7


def test_ivf_save_load_round_trip_gives_identical_results(
    tmp_path: Path, ivf_data: tuple[VectorIndex, NDArray[np.int64], NDArray[np.float32]]
) -> None:
    """A loaded IVF-SQ8 index answers exactly like the saved one and still supports remove."""
    index, ids, _ = ivf_data
    queries = clustered(30, seed=3)
    index.save(tmp_path / "ivf.faiss")

    loaded = VectorIndex.load(tmp_path / "ivf.faiss")

    assert (loaded.kind, loaded.dimension, len(loaded)) == ("ivf-sq8", DIM, len(ids))
    for got, want in zip(loaded.search(queries, 10), index.search(queries, 10), strict=True):
        np.testing.assert_array_equal(got, want)
    _, before = loaded.search(queries[:1], 1)
    assert loaded.remove(before[0]) == 1
    assert before[0, 0] not in loaded.search(queries[:1], 10)[1]


# -- errors ---------------------------------------------------------------------------------


def test_add_with_wrong_width_names_the_expected_shape() -> None:
    """Vectors of the wrong width are refused with both shapes in the message."""
    index = VectorIndex(16)

    with pytest.raises(ValueError, match=r"expected vectors of shape \(n, 16\), got \(3, 8\)"):
        index.add(np.arange(3, dtype=np.int64), random_unit(3, 8))


def test_one_dimensional_query_is_refused() -> None:
    """A query must be a matrix, even for one vector."""
    index = VectorIndex(DIM)

    with pytest.raises(
        ValueError, match=rf"expected vectors of shape \(n, {DIM}\), got \({DIM},\)"
    ):
        index.search(random_unit(1)[0], 3)


def test_ids_and_vectors_must_match_in_number() -> None:
    """Adding 2 ids for 3 vectors says so."""
    with pytest.raises(ValueError, match="2 ids for 3 vectors"):
        VectorIndex(DIM).add(np.arange(2, dtype=np.int64), random_unit(3))


def test_build_refuses_one_dimensional_vectors() -> None:
    """build with a flat array fails with the shape error, not deep inside FAISS."""
    with pytest.raises(ValueError, match="expected vectors of shape"):
        VectorIndex.build(np.arange(4, dtype=np.int64), np.ones(4, dtype=np.float32))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dimension": 0}, "dimension must be positive, got 0"),
        ({"dimension": 8, "kind": "hnsw"}, "unknown index kind 'hnsw'"),
    ],
)
def test_bad_construction_arguments(kwargs: dict[str, object], message: str) -> None:
    """Invalid dimensions and kinds are refused up front."""
    with pytest.raises(ValueError, match=message):
        VectorIndex(**kwargs)  # type: ignore[arg-type]


def test_k_must_be_positive() -> None:
    """k of zero is refused."""
    with pytest.raises(ValueError, match="k must be positive, got 0"):
        VectorIndex(DIM).search(random_unit(1), 0)
