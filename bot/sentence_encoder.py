"""A Rasa NLU featurizer: the knowledge base's sentence vectors, for intent classification.

Runs inside the Rasa server's environment (Python 3.10, ``.venv-rasa``) with ONNX Runtime and the
``tokenizers`` package; it imports nothing from Tier0. At training time it reads the encoder
bundle that ``tier0 kb export-encoder`` writes (``kb.nlu_encoder``: quantised ONNX transformer,
tokenizer, pooling settings) from the folder in its ``encoder`` setting or ``TIER0_NLU_ENCODER``
(``scripts/train-rasa.sh`` sets it) and copies it into the trained model, so a model carries its
own encoder and the server needs nothing else. Each message gets one sentence feature, the
mean-pooled, normalised vector (as ``kb.onnx_embedder``), and no sequence features: the
classifier that follows (``LogisticRegressionClassifier``) reads sentence features only.
Cross-validation figures: docs/benchmarks.md, "NLU cross-validation".
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

BUNDLE_FILES = ("model.onnx", "tokenizer.json", "encoder.json")
ENCODER_ENV = "TIER0_NLU_ENCODER"


class EncoderMissing(ValueError):
    """No usable encoder bundle where the configuration points."""


def _check_bundle(folder: Path) -> None:
    """Fail with what to do when ``folder`` is not a complete encoder bundle."""
    missing = [name for name in BUNDLE_FILES if not (folder / name).is_file()]
    if missing:
        raise EncoderMissing(
            f"{folder} is not an encoder bundle (missing {', '.join(missing)}); "
            "`.venv/bin/tier0 kb export-encoder` writes one and prints its folder"
        )


class Encoder:
    """Tokenizer + ONNX transformer + pooling: texts in, normalised float32 vectors out."""

    def __init__(self, folder: Path, threads: int) -> None:
        """Load the bundle in ``folder``, running the model on ``threads`` threads."""
        import onnxruntime
        from tokenizers import Tokenizer

        _check_bundle(folder)
        settings = json.loads((folder / "encoder.json").read_text(encoding="utf-8"))
        if settings.get("pooling") != "mean":
            raise EncoderMissing(f"{folder}: only mean pooling is supported")
        self.dimension = int(settings["dimension"])
        self.normalize = bool(settings.get("normalize", True))
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=int(settings["max_tokens"]))
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(
            str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )

    def encode(self, texts: list[str]) -> np.ndarray:
        """Vectors of shape ``(len(texts), dimension)`` (padding only up to the longest text)."""
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.asarray([e.ids for e in encodings], dtype=np.int64)
        mask = np.asarray([e.attention_mask for e in encodings], dtype=np.int64)
        types = np.asarray([e.type_ids for e in encodings], dtype=np.int64)
        hidden = self.session.run(
            None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        )[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        if self.normalize:
            pooled = pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        vectors: np.ndarray = np.asarray(pooled, dtype=np.float32)
        return vectors


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class SentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    """Dense sentence features from the knowledge base's embedding model."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """``encoder``: the bundle folder (default ``$TIER0_NLU_ENCODER``); one thread; batches of 64."""
        return {
            **DenseFeaturizer.get_default_config(),
            "encoder": None,
            "threads": 1,
            "batch_size": 64,
        }

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Threads and batch size must be positive."""
        for key in ("threads", "batch_size"):
            if int(config[key]) < 1:
                raise ValueError(f"{cls.__name__}: {key} must be at least 1")

    def __init__(
        self,
        config: dict[str, Any],
        name: str,
        model_storage: ModelStorage,
        resource: Resource,
        encoder: Encoder | None = None,
    ) -> None:
        """A featurizer; ``encoder`` is None until trained or loaded."""
        super().__init__(name, config)
        self._model_storage = model_storage
        self._resource = resource
        self._encoder = encoder

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEncoderFeaturizer:
        """An untrained featurizer (training copies the bundle into the model)."""
        return cls(config, execution_context.node_name, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Copy the encoder bundle into the model, so the model is self-contained."""
        source = self._config.get("encoder") or os.environ.get(ENCODER_ENV)
        if not source:
            raise EncoderMissing(
                f"no encoder bundle: set {ENCODER_ENV} (scripts/train-rasa.sh does) to the folder "
                "`.venv/bin/tier0 kb export-encoder` prints"
            )
        folder = Path(source).expanduser()
        _check_bundle(folder)
        with self._model_storage.write_to(self._resource) as model_dir:
            for name in BUNDLE_FILES:
                shutil.copyfile(folder / name, model_dir / name)
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> SentenceEncoderFeaturizer:
        """The featurizer with the encoder the model carries."""
        with model_storage.read_from(resource) as model_dir:
            encoder = Encoder(Path(model_dir), int(config["threads"]))
        return cls(config, execution_context.node_name, model_storage, resource, encoder)

    def process(self, messages: list[Message]) -> list[Message]:
        """Add each message's sentence vector (messages without text are left alone)."""
        if self._encoder is None:
            raise EncoderMissing("the sentence encoder was used before training or loading")
        with_text = [m for m in messages if m.get(TEXT)]
        size = int(self._config["batch_size"])
        for start in range(0, len(with_text), size):
            batch = with_text[start : start + size]
            vectors = self._encoder.encode([m.get(TEXT) for m in batch])
            for message, vector in zip(batch, vectors, strict=True):
                self.add_features_to_message(
                    sequence=None, sentence=vector[None, :], attribute=TEXT, message=message
                )
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Add the sentence vector of every training example."""
        self.process(training_data.training_examples)
        return training_data
