"""Calibrated confidence: the estimated probability that the top hit answers the question.

The model is a logistic regression over two features of the ranking, the top document's dense
similarity and its fused-score margin over the runner-up. Its coefficients were fitted on training
splits only (``benchmarks/calibrate.py``, see ``docs/search.md``), never on test splits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from kb.results import Decision


@dataclass(frozen=True, slots=True)
class ConfidenceModel:
    """``sigmoid(bias + w_dense · dense_top + w_margin · margin)``."""

    # Fitted by ``python -m benchmarks.calibrate`` on 4,600 training searches (StackFAQ folds 0–2
    # at both levels, CLINC150 train split incl. oos_train); held-out calibration error 0.011.
    bias: float = -3.470
    w_dense: float = 6.658
    w_margin: float = 7.405

    def confidence(self, dense_top: float, margin: float) -> float:
        """Probability in [0, 1] that the top hit is a right answer."""
        z = self.bias + self.w_dense * dense_top + self.w_margin * margin
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def decide(confidence: float, *, answer_threshold: float, suggest_threshold: float) -> Decision:
    """Answer when confident, offer choices when unsure, hand over to a person when lost."""
    if not 0.0 <= suggest_threshold <= answer_threshold <= 1.0:
        raise ValueError(
            "thresholds must satisfy 0 ≤ suggest_threshold ≤ answer_threshold ≤ 1, got "
            f"{suggest_threshold} and {answer_threshold}"
        )
    if confidence >= answer_threshold:
        return Decision.ANSWER
    if confidence >= suggest_threshold:
        return Decision.SUGGEST
    return Decision.HANDOVER
