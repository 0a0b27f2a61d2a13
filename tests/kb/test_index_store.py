"""Persisting the search index with a manifest (kb.index_store)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from kb.documents import SearchDocument, Source
from kb.index_store import (
    FORMAT_VERSION,
    IndexMismatch,
    Manifest,
    check_manifest,
    load_index,
    read_manifest,
    save_index,
)
from kb.results import SearchFilters
from kb.search import Mode, SearchEngine
from tests.kb.fakes import HashingEmbedder

DOCS = [
    SearchDocument(
        key="article:1",
        source=Source.OFFICIAL,
        ref="returns",
        title="Returning boots",
        body="## Labels\nPrint the prepaid label.\n\n## Refunds\nRefunds take five days.",
        summary="Send boots back — free.",
        category="returns",
        phrasings=("how do I send boots back",),
    ),
    SearchDocument(
        key="question:2",
        source=Source.COMMUNITY,
        ref="2",
        title="Parcel never arrived",
        body="Tracking says delivered.",
        category=None,
        answers=("Ask the courier for proof.", "Contact support."),
    ),
    SearchDocument(
        key="article:3",
        source=Source.OFFICIAL,
        ref="draft-tent",
        title="Tent pegs (draft) ✓",
        body="Push pegs in at an angle.",
        status="draft",
        public=False,
    ),
]
QUERIES = ["return boots", "parcel courier", "tent pegs", "retrun boots"]


@pytest.fixture
def embedder() -> HashingEmbedder:
    """A fresh hashing embedder."""
    return HashingEmbedder()


@pytest.fixture
def search_engine(embedder: HashingEmbedder) -> SearchEngine:
    """An engine over the test documents, changed once after the build."""
    built = SearchEngine(embedder)
    built.build(DOCS)
    built.upsert([replace(DOCS[1], body="Tracking says delivered but nothing came.")])
    return built


@pytest.fixture
def saved(tmp_path: Path, search_engine: SearchEngine, embedder: HashingEmbedder) -> Path:
    """The engine's index saved under tmp_path/index."""
    directory = tmp_path / "index"
    save_index(
        directory,
        search_engine.export_state(),
        model=embedder.name,
        dimension=embedder.dimension,
        content_version=7,
    )
    return directory


def load(directory: Path, embedder: HashingEmbedder) -> SearchEngine:
    """A new engine restored from the index in ``directory``."""
    _, state = load_index(directory, model=embedder.name, dimension=embedder.dimension)
    restored = SearchEngine(embedder)
    restored.restore(state)
    return restored


def hits(search_engine: SearchEngine, query: str, mode: Mode) -> list[tuple[str, float, str]]:
    """Ranked keys, dense scores and snippets, for comparing engines."""
    result = search_engine.search(query, mode=mode, limit=50, filters=SearchFilters.staff())
    return [(h.key, h.dense_score, h.snippet) for h in result.hits]


# -- round trip -----------------------------------------------------------------------------


def test_save_writes_a_manifest_describing_the_index(
    saved: Path, search_engine: SearchEngine, embedder: HashingEmbedder
) -> None:
    """The manifest records format, model, size and content version."""
    manifest = read_manifest(saved)

    assert manifest is not None
    assert manifest.format == FORMAT_VERSION
    assert (manifest.model, manifest.dimension) == ("hashing-test", 256)
    assert (manifest.documents, manifest.passages) == (
        len(search_engine),
        search_engine.passage_count,
    )
    assert (manifest.content_version, manifest.index_kind) == (7, "flat")
    assert manifest.saved_at


def test_save_load_round_trip_keeps_documents_passages_and_vectors(
    saved: Path, search_engine: SearchEngine, embedder: HashingEmbedder
) -> None:
    """Everything exported comes back equal, including passage tokens and unicode."""
    original = search_engine.export_state()

    manifest, state = load_index(saved, model=embedder.name, dimension=embedder.dimension)

    assert manifest == read_manifest(saved)
    assert state.documents == original.documents
    assert state.passages == original.passages
    assert [p.tokens for _, p in state.passages] == [p.tokens for _, p in original.passages]
    np.testing.assert_array_equal(state.vectors, original.vectors)
    assert state.vector_index is not None
    assert len(state.vector_index) == len(original.passages)


def test_restored_engine_searches_like_the_saved_one(
    saved: Path, search_engine: SearchEngine, embedder: HashingEmbedder
) -> None:
    """An engine restored from disk ranks the same documents with the same dense scores."""
    restored = load(saved, embedder)

    for query in QUERIES:
        for mode in Mode:
            assert hits(restored, query, mode) == hits(search_engine, query, mode), (query, mode)


def test_empty_index_round_trip(tmp_path: Path, embedder: HashingEmbedder) -> None:
    """An index with no documents saves and loads, and searches find nothing."""
    save_index(
        tmp_path / "index",
        SearchEngine(embedder).export_state(),
        model=embedder.name,
        dimension=embedder.dimension,
        content_version=0,
    )

    restored = load(tmp_path / "index", embedder)

    assert len(restored) == 0
    assert restored.search("boots").hits == []


def test_saving_again_replaces_the_index_and_leaves_no_staging_folders(
    saved: Path, search_engine: SearchEngine, embedder: HashingEmbedder
) -> None:
    """A second save wins, and its temporary and old folders are gone."""
    search_engine.remove(["article:1"])

    save_index(
        saved,
        search_engine.export_state(),
        model=embedder.name,
        dimension=embedder.dimension,
        content_version=8,
    )

    manifest = read_manifest(saved)
    assert manifest is not None
    assert (manifest.content_version, manifest.documents) == (8, 2)
    assert [p.name for p in saved.parent.iterdir()] == ["index"]
    assert "article:1" not in [h.key for h in load(saved, embedder).search("boots").hits]


# -- mismatches -----------------------------------------------------------------------------


def test_missing_index_reads_as_none_and_loads_as_mismatch(tmp_path: Path) -> None:
    """No manifest means no index: read_manifest gives None, load_index says so."""
    assert read_manifest(tmp_path) is None

    with pytest.raises(IndexMismatch, match="no search index"):
        load_index(tmp_path, model="hashing-test", dimension=256)


def test_other_model_name_is_a_mismatch_naming_both_models(saved: Path) -> None:
    """An index built with another model is refused with both names in the message."""
    with pytest.raises(IndexMismatch, match=r"'hashing-test'.*'other-model'.*rebuilt"):
        load_index(saved, model="other-model", dimension=256)


def test_other_dimension_is_a_mismatch_naming_both_dimensions(saved: Path) -> None:
    """An index of another width is refused with both widths in the message."""
    with pytest.raises(IndexMismatch, match=r"256 dimensions.*384 dimensions"):
        load_index(saved, model="hashing-test", dimension=384)


def test_other_format_version_is_a_mismatch(saved: Path) -> None:
    """An index written in another format version is refused, naming both versions."""
    path = saved / "manifest.json"
    manifest = json.loads(path.read_text("utf-8"))
    manifest["format"] = FORMAT_VERSION + 1
    path.write_text(json.dumps(manifest), "utf-8")

    message = rf"format {FORMAT_VERSION + 1}; this version of Tier0 uses {FORMAT_VERSION}"
    with pytest.raises(IndexMismatch, match=message):
        load_index(saved, model="hashing-test", dimension=256)


def test_check_manifest_accepts_a_fitting_manifest() -> None:
    """A manifest of the current format, model and width passes."""
    manifest = Manifest(FORMAT_VERSION, "m", 8, 1, 0, 0, "flat", "2024-01-01T00:00:00+00:00")

    check_manifest(manifest, model="m", dimension=8)
    with pytest.raises(IndexMismatch, match="format 0"):
        check_manifest(replace(manifest, format=0), model="m", dimension=8)


# -- damage ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "unreadable"), ('{"format": 1}', "unreadable"), ("[1, 2]", "unreadable")],
)
def test_unreadable_manifest_is_a_mismatch(saved: Path, content: str, message: str) -> None:
    """A manifest that is not JSON, or lacks fields, is refused rather than crashing."""
    (saved / "manifest.json").write_text(content, "utf-8")

    with pytest.raises(IndexMismatch, match=message):
        read_manifest(saved)
    with pytest.raises(IndexMismatch, match=message):
        load_index(saved, model="hashing-test", dimension=256)


@pytest.mark.parametrize(
    ("name", "damage"),
    [
        ("documents.jsonl", "delete"),
        ("documents.jsonl", '{"key": "article:1"}\n'),
        ("passages.jsonl", "delete"),
        ("passages.jsonl", "[1, 2, 3]\n"),
        ("passages.jsonl", "not json\n"),
        ("vectors.npy", "delete"),
        ("vectors.npy", "garbage bytes"),
        ("vectors.faiss", "garbage bytes"),
    ],
)
def test_damaged_files_are_a_mismatch(saved: Path, name: str, damage: str) -> None:
    """A missing or corrupt data file is reported as a damaged index."""
    path = saved / name
    if damage == "delete":
        path.unlink()
    else:
        path.write_text(damage, "utf-8")

    with pytest.raises(IndexMismatch, match=r"is damaged \("):
        load_index(saved, model="hashing-test", dimension=256)


def test_missing_passages_are_an_incomplete_index(saved: Path) -> None:
    """Fewer passages than the manifest counts means the index is incomplete."""
    path = saved / "passages.jsonl"
    lines = path.read_text("utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:-1]), "utf-8")

    with pytest.raises(IndexMismatch, match="incomplete"):
        load_index(saved, model="hashing-test", dimension=256)


def test_vectors_not_matching_passages_are_an_incomplete_index(saved: Path) -> None:
    """A vector file with the wrong number of rows means the index is incomplete."""
    vectors = np.load(saved / "vectors.npy")
    np.save(saved / "vectors.npy", vectors[:-1])

    with pytest.raises(IndexMismatch, match="incomplete"):
        load_index(saved, model="hashing-test", dimension=256)


def test_missing_faiss_file_is_an_incomplete_index(saved: Path) -> None:
    """A non-empty index without its FAISS file cannot be used as it is."""
    (saved / "vectors.faiss").unlink()

    with pytest.raises(IndexMismatch):
        load_index(saved, model="hashing-test", dimension=256)
