"""Tier0's custom actions, served by ``python -m rasa_sdk --actions bot.actions``.

The classes are thin: they read the tracker, call a flow in :mod:`bot.dialogue` and dispatch its
reply. The knowledge base and settings are the process's shared ones unless a test passes its own.
"""

from __future__ import annotations

from bot.actions.assistant import (
    ActionAnswer,
    ActionFeedback,
    ActionFrustration,
    ActionHandoff,
    ActionOutOfScope,
    AssistantAction,
)

__all__ = [
    "ActionAnswer",
    "ActionFeedback",
    "ActionFrustration",
    "ActionHandoff",
    "ActionOutOfScope",
    "AssistantAction",
]
