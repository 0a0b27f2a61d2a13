"""The tone of customer messages: VADER compound scores and their trend over a conversation.

Thresholds (``kb.config.Settings``) were set on hand-written examples, listed in
``docs/escalation.md``: VADER rates ordinary complaints ("my tent pole broke", -0.42) about as low
as mild swearing ("this is fucking ridiculous", -0.42), so tone alone hands over only when it is
abusive, or stays low and keeps getting worse.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from statistics import fmean
from typing import Any, Literal

Trend = Literal["improving", "steady", "worsening"]

TREND_MARGIN = 0.1
"""How far the latest score must move from the earlier ones' average to count as a change."""


@cache
def _sentiment() -> Any:
    """The VADER analyzer, created on first use and shared by the process."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def score(text: str) -> float:
    """The VADER compound score of ``text``: -1 (most negative) to 1 (most positive)."""
    if not text.strip():
        return 0.0
    return round(float(_sentiment().polarity_scores(text)["compound"]), 4)


def trend(scores: Sequence[float], *, window: int = 3) -> Trend:
    """Whether the latest of ``scores`` is better or worse than the ones before it in the window."""
    recent = list(scores)[-window:]
    if len(recent) < 2:
        return "steady"
    change = recent[-1] - fmean(recent[:-1])
    if change <= -TREND_MARGIN:
        return "worsening"
    if change >= TREND_MARGIN:
        return "improving"
    return "steady"


@dataclass(frozen=True, slots=True)
class ToneSummary:
    """The tone of a conversation for an agent: latest score, average and trend."""

    latest: float
    average: float
    trend: Trend

    def as_dict(self) -> dict[str, Any]:
        """The ``tone`` field of a handoff payload."""
        return {"latest": self.latest, "average": self.average, "trend": self.trend}


def summarise(scores: Sequence[float], *, window: int = 3) -> ToneSummary:
    """Summarise the scores of a conversation's typed customer messages (neutral when none)."""
    if not scores:
        return ToneSummary(0.0, 0.0, "steady")
    return ToneSummary(
        latest=round(scores[-1], 4),
        average=round(fmean(scores), 4),
        trend=trend(scores, window=window),
    )
