"""A Rasa NLU component for the cross-validation experiment only: MiniLM sentence vectors by lookup.

Runs inside the Rasa server's environment (``.venv-rasa``), which has no ONNX Runtime or
tokenizer, so it cannot embed text itself. ``benchmarks.nlu_cv`` embeds every training example
with the knowledge base's model in the main environment and passes the file in
``TIER0_NLU_VECTORS`` (an ``.npz`` with ``texts`` and ``vectors``); this featurizer looks each
message up by its text. That is enough to cross-validate (every held-out text is known) but not
to serve, and a message missing from the file gets a zero vector.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceVectorLookup(DenseFeaturizer, GraphComponent):
    """Dense sentence features looked up from precomputed vectors (zero sequence features)."""

    @classmethod
    def required_components(cls) -> list[type]:
        """A tokenizer runs first (Rasa needs one sequence row per token)."""
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The vectors file defaults to ``TIER0_NLU_VECTORS``."""
        return {**DenseFeaturizer.get_default_config(), "vectors": None}

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Nothing to check before the file is read."""

    def __init__(self, config: dict[str, Any], name: str) -> None:
        """Load the vectors file."""
        super().__init__(name, config)
        path = config.get("vectors") or os.environ.get("TIER0_NLU_VECTORS")
        if not path:
            raise ValueError("no vectors file: set TIER0_NLU_VECTORS (benchmarks.nlu_cv does)")
        data = np.load(path)
        self.vectors = {str(t): v for t, v in zip(data["texts"], data["vectors"], strict=True)}
        self.dimension = int(data["vectors"].shape[1])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceVectorLookup:
        """A featurizer for Rasa's graph."""
        return cls(config, execution_context.node_name)

    def process(self, messages: list[Message]) -> list[Message]:
        """Add the vector of each message's text."""
        for message in messages:
            self._featurize(message)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Add the vector of each training example's text."""
        self.process(training_data.training_examples)
        return training_data

    def _featurize(self, message: Message) -> None:
        """Set the sentence features of one message (zeros when its text is unknown)."""
        text = message.get(TEXT)
        tokens = message.get(TOKENS_NAMES[TEXT])
        if not text or not tokens:
            return
        vector = self.vectors.get(text)
        if vector is None:
            vector = np.zeros(self.dimension, dtype=np.float32)
        self.add_features_to_message(
            sequence=np.zeros((len(tokens), self.dimension), dtype=np.float32),
            sentence=vector[None, :],
            attribute=TEXT,
            message=message,
        )
