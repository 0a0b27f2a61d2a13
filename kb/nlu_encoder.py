"""The sentence encoder the assistant's NLU uses: the knowledge base's model, exported for Rasa.

The Rasa server runs in its own environment without torch or sentence-transformers, so it cannot
load the model the way ``kb`` does. This module writes a self-contained *bundle* that it can load
with ONNX Runtime and the ``tokenizers`` package alone:

- ``model.onnx``: the transformer (the same ONNX export ``kb.onnx_embedder`` uses), with its
  weights quantised to 8-bit integers: a quarter of the size and 4–6 times faster per message on
  a CPU. Intent classification is trained on the same quantised vectors, so it loses nothing
  measurable (docs/benchmarks.md, "NLU cross-validation");
- ``tokenizer.json``: the model's tokenizer;
- ``encoder.json``: how to turn token embeddings into a sentence vector (mean pooling over real
  tokens, L2 normalisation), the maximum sequence length and the vector size.

The bundle's folder name is a key over the source export and these settings, so a different
model gives a different folder (``scripts/train-rasa.sh`` puts it in the model's cache key).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from kb.embeddings import resolve_model_path
from kb.onnx_embedder import check_model, export_onnx, exported_path

FORMAT = 1


@dataclass(frozen=True)
class EncoderBundle:
    """An exported encoder: its folder and the name that identifies its content."""

    path: Path
    key: str


def _quantize(source: Path, target: Path) -> None:
    """Write an 8-bit dynamically quantised copy of an ONNX model."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    # ONNX Runtime's quantiser suggests a pre-processing step on the root logger; for this
    # transformer the vectors come out the same either way, so the hint is noise here.
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8)
    finally:
        root.setLevel(level)


def export_encoder(model: str, cache_dir: Path) -> EncoderBundle:
    """Write (once) the NLU bundle of ``model`` under ``cache_dir/nlu-encoder`` and return it."""
    model_path = resolve_model_path(model)
    max_tokens = check_model(model_path)
    source = exported_path(model_path, cache_dir / "onnx")
    key = f"{source.stem}-int8-v{FORMAT}"
    target = cache_dir / "nlu-encoder" / key
    if (target / "encoder.json").is_file():
        return EncoderBundle(target, key)
    if not source.is_file():
        export_onnx(model_path, source)
    pooling = json.loads((model_path / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    partial = target.with_name(f".{key}.tmp-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        _quantize(source, partial / "model.onnx")
        shutil.copyfile(model_path / "tokenizer.json", partial / "tokenizer.json")
        settings = {
            "format": FORMAT,
            "source": source.name,
            "max_tokens": max_tokens,
            "dimension": int(pooling["word_embedding_dimension"]),
            "pooling": "mean",
            "normalize": True,
        }
        # encoder.json last: its presence marks a complete bundle.
        (partial / "encoder.json").write_text(json.dumps(settings, indent=2), encoding="utf-8")
        shutil.rmtree(target, ignore_errors=True)
        partial.rename(target)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return EncoderBundle(target, key)
