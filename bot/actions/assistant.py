"""The five custom actions of docs/chat.md; each runs one flow of :mod:`bot.dialogue`."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import dialogue, tone
from bot.conversation import Conversation, Reply, read_conversation
from bot.dialogue import Assistant
from bot.knowledge import Knowledge, SharedKnowledge, shared_settings
from bot.rules import EscalationRules, load_rules
from kb.config import Settings

Flow = Callable[[Conversation, Assistant], Reply]


class AssistantAction(Action, ABC):  # type: ignore[misc]
    """A custom action: read the conversation, run its flow off the event loop, dispatch the reply."""

    action_name: ClassVar[str]

    def __init__(
        self,
        *,
        knowledge: Knowledge | None = None,
        settings: Settings | None = None,
        rules: EscalationRules | None = None,
    ) -> None:
        """Use the given collaborators; the process's shared ones for those not given."""
        self._knowledge = knowledge
        self._settings = settings
        self._rules = rules

    def name(self) -> str:
        """The action's name in the domain."""
        return self.action_name

    @abstractmethod
    def flow(self, conversation: Conversation, assistant: Assistant) -> Reply:
        """What the assistant does for this action."""

    def assistant(self) -> Assistant:
        """The given collaborators, or the process's shared ones (the knowledge base opens lazily)."""
        settings = self._settings or shared_settings()
        return Assistant(
            knowledge=self._knowledge or SharedKnowledge(),
            settings=settings,
            rules=self._rules or load_rules(settings.escalation_rules),
        )

    def respond(self, tracker: Tracker) -> Reply:
        """The reply to the conversation in ``tracker`` (blocking: searches the knowledge base)."""
        conversation = read_conversation(
            tracker.events,
            tracker.slots,
            tracker.latest_message,
            tone=tone.score,
            sender=tracker.sender_id or "",
        )
        return self.flow(conversation, self.assistant())

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Run the flow in a worker thread and hand its messages and slot events to Rasa."""
        reply = await asyncio.to_thread(self.respond, tracker)
        for message in reply.messages:
            dispatcher.utter_message(**message)
        return [SlotSet(name, value) for name, value in reply.slots.items()]


class ActionAnswer(AssistantAction):
    """Answer a question from the knowledge base, or offer articles, or admit not knowing."""

    action_name = "action_answer"

    def flow(self, conversation: Conversation, assistant: Assistant) -> Reply:
        """See :func:`bot.dialogue.answer`."""
        return dialogue.answer(conversation, assistant)


class ActionFeedback(AssistantAction):
    """Take the customer's yes or no to "Did that answer your question?" or to an offer."""

    action_name = "action_feedback"

    def flow(self, conversation: Conversation, assistant: Assistant) -> Reply:
        """See :func:`bot.dialogue.feedback`."""
        return dialogue.feedback(conversation, assistant)


class ActionHandoff(AssistantAction):
    """Hand the conversation to a person at the customer's request."""

    action_name = "action_handoff"

    def flow(self, conversation: Conversation, assistant: Assistant) -> Reply:
        """See :func:`bot.dialogue.handoff`."""
        return dialogue.handoff(conversation, assistant)


class ActionFrustration(AssistantAction):
    """Apologise to a frustrated customer and offer a person."""

    action_name = "action_frustration"

    def flow(self, conversation: Conversation, assistant: Assistant) -> Reply:
        """See :func:`bot.dialogue.frustration`."""
        return dialogue.frustration(conversation, assistant)


class ActionOutOfScope(AssistantAction):
    """Say what the assistant can help with."""

    action_name = "action_out_of_scope"

    def flow(self, conversation: Conversation, assistant: Assistant) -> Reply:
        """See :func:`bot.dialogue.out_of_scope`."""
        return dialogue.out_of_scope(conversation, assistant)
