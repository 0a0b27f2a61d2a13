"""Persist a search index on disk with a manifest, and refuse an index built for another model."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from kb.documents import Passage, PassageKind, SearchDocument, Source
from kb.search import EngineState
from kb.vector_index import VectorIndex

FORMAT_VERSION = 1


class IndexMismatch(RuntimeError):
    """A persisted index does not fit the current model or format; it must be rebuilt."""


@dataclass(frozen=True, slots=True)
class Manifest:
    """What a persisted index was built with, and how current it is."""

    format: int
    model: str
    dimension: int
    content_version: int
    documents: int
    passages: int
    index_kind: str
    saved_at: str


def read_manifest(directory: Path) -> Manifest | None:
    """The manifest of the index in ``directory``, or None if there is no index there."""
    path = directory / "manifest.json"
    if not path.is_file():
        return None
    try:
        return Manifest(**json.loads(path.read_text(encoding="utf-8")))
    except (TypeError, ValueError) as error:
        raise IndexMismatch(f"The index manifest {path} is unreadable ({error}).") from error


def check_manifest(manifest: Manifest, *, model: str, dimension: int) -> None:
    """Raise :class:`IndexMismatch` with a clear message unless the index fits this model."""
    if manifest.format != FORMAT_VERSION:
        raise IndexMismatch(
            f"The search index has format {manifest.format}; this version of Tier0 uses "
            f"{FORMAT_VERSION}. It will be rebuilt."
        )
    if manifest.model != model or manifest.dimension != dimension:
        raise IndexMismatch(
            f"The search index was built with the model {manifest.model!r} "
            f"({manifest.dimension} dimensions) but Tier0 is configured with {model!r} "
            f"({dimension} dimensions). It will be rebuilt."
        )


def save_index(
    directory: Path, state: EngineState, *, model: str, dimension: int, content_version: int
) -> Manifest:
    """Write the index into ``directory``, replacing what is there only once all files are written."""
    staging = directory.with_name(f"{directory.name}.tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    with (staging / "documents.jsonl").open("w", encoding="utf-8") as out:
        for doc in state.documents:
            out.write(json.dumps(asdict(doc), ensure_ascii=False) + "\n")
    with (staging / "passages.jsonl").open("w", encoding="utf-8") as out:
        for pid, p in state.passages:
            row = [pid, p.doc_key, p.kind.value, p.text, p.display, p.heading, list(p.tokens)]
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    np.save(staging / "vectors.npy", state.vectors)
    if state.vector_index is not None:
        state.vector_index.save(staging / "vectors.faiss")
    manifest = Manifest(
        format=FORMAT_VERSION,
        model=model,
        dimension=dimension,
        content_version=content_version,
        documents=len(state.documents),
        passages=len(state.passages),
        index_kind=state.vector_index.kind if state.vector_index else "flat",
        saved_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    (staging / "manifest.json").write_text(json.dumps(asdict(manifest), indent=2), "utf-8")
    old = directory.with_name(f"{directory.name}.old-{os.getpid()}")
    if directory.exists():
        directory.rename(old)
    staging.rename(directory)
    shutil.rmtree(old, ignore_errors=True)
    return manifest


def load_index(directory: Path, *, model: str, dimension: int) -> tuple[Manifest, EngineState]:
    """Read an index written by :func:`save_index`; raise :class:`IndexMismatch` if it does not fit."""
    manifest = read_manifest(directory)
    if manifest is None:
        raise IndexMismatch(f"There is no search index in {directory} yet.")
    check_manifest(manifest, model=model, dimension=dimension)
    try:
        documents = [
            _document(json.loads(line))
            for line in (directory / "documents.jsonl").read_text("utf-8").splitlines()
        ]
        passages = [
            _passage(json.loads(line))
            for line in (directory / "passages.jsonl").read_text("utf-8").splitlines()
        ]
        vectors = np.load(directory / "vectors.npy")
        faiss_path = directory / "vectors.faiss"
        index = VectorIndex.load(faiss_path) if faiss_path.is_file() else None
        if manifest.passages and (index is None or len(index) != manifest.passages):
            raise IndexMismatch(f"The vector index in {directory} is missing or incomplete.")
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as error:
        raise IndexMismatch(f"The search index in {directory} is damaged ({error}).") from error
    if len(passages) != manifest.passages or (passages and vectors.shape[0] != len(passages)):
        raise IndexMismatch(f"The search index in {directory} is incomplete; it will be rebuilt.")
    return manifest, EngineState(documents, passages, vectors, index)


def _document(row: dict[str, Any]) -> SearchDocument:
    """A document from its JSON form."""
    row["source"] = Source(row["source"])
    row["phrasings"] = tuple(row["phrasings"])
    row["answers"] = tuple(row["answers"])
    return SearchDocument(**row)


def _passage(row: list[Any]) -> tuple[int, Passage]:
    """A passage (with its id) from its JSON form."""
    pid, key, kind, text, display, heading, toks = row
    return int(pid), Passage(key, PassageKind(kind), text, display, heading, tuple(toks))
