"""Live delivery for long polling: wake the requests waiting on a conversation when it changes.

A request that long-polls calls ``wait(conversation_id, timeout=…, ready=…)``; whoever commits new
messages or a change of state calls ``notify(conversation_id)`` afterwards. ``ready`` is checked at
once, again after every notify, and at least every ``poll_interval`` seconds, so changes committed
by other processes (another web worker, ``tier0 worker``) are seen too, only a little later.

Waiters are counted per conversation and forgotten when the last one leaves, so conversations
nobody waits on cost nothing. Each waiter holds one of the server's request threads, so at most
``max_waiting`` requests of this process wait at once (``TIER0_LONG_POLL_MAX``): beyond that a
long poll is answered at once, as a plain poll, and the clients poll again a little later (the
widget and the desk both do), so long polls can never take every thread from page views and chat
messages. ``ready`` runs outside the lock and should read fresh data: end the
session's transaction first (``session.rollback()``) so it neither holds a connection nor reads a
stale snapshot while it sleeps.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

DEFAULT_POLL_INTERVAL = 0.5


@dataclass
class _Channel:
    """The waiters on one conversation and how often it was notified."""

    condition: threading.Condition = field(default_factory=threading.Condition)
    version: int = 0
    waiters: int = 0


class Notifier:
    """Conditions per conversation, created while someone waits and dropped when nobody does."""

    def __init__(self, max_waiting: int = 0) -> None:
        """A notifier; at most ``max_waiting`` requests wait at once (0: no limit)."""
        self._lock = threading.Lock()
        self._channels: dict[int, _Channel] = {}
        self._waiting = 0
        self.max_waiting = max_waiting

    def notify(self, conversation_id: int) -> None:
        """Wake everyone waiting on the conversation (call after the commit)."""
        with self._lock:
            channel = self._channels.get(conversation_id)
        if channel is None:
            return
        with channel.condition:
            channel.version += 1
            channel.condition.notify_all()

    def wait(
        self,
        conversation_id: int,
        *,
        timeout: float,
        ready: Callable[[], bool],
        poll_interval: float = DEFAULT_POLL_INTERVAL,
    ) -> bool:
        """True as soon as ``ready()`` is; False when ``timeout`` seconds pass without it, or at
        once when ``max_waiting`` requests already wait (the caller answers as a plain poll)."""
        if poll_interval <= 0:
            raise ValueError(f"poll_interval must be positive, got {poll_interval}.")
        deadline = time.monotonic() + max(timeout, 0.0)
        channel = self._join(conversation_id)
        if channel is None:
            return ready()
        try:
            while True:
                with channel.condition:
                    seen = channel.version
                if ready():
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                with channel.condition:
                    if channel.version == seen:  # a notify since the check would be lost otherwise
                        channel.condition.wait(min(poll_interval, left))
        finally:
            self._leave(conversation_id, channel)

    def waiting(self) -> dict[int, int]:
        """How many requests wait on each conversation (for tests and diagnostics)."""
        with self._lock:
            return {key: channel.waiters for key, channel in self._channels.items()}

    def _join(self, conversation_id: int) -> _Channel | None:
        """The conversation's channel, counting one more waiter; None when the limit is reached."""
        with self._lock:
            if self.max_waiting and self._waiting >= self.max_waiting:
                return None
            self._waiting += 1
            channel = self._channels.get(conversation_id)
            if channel is None:
                channel = self._channels[conversation_id] = _Channel()
            channel.waiters += 1
            return channel

    def _leave(self, conversation_id: int, channel: _Channel) -> None:
        """One waiter fewer; the channel goes when it was the last."""
        with self._lock:
            self._waiting -= 1
            channel.waiters -= 1
            if channel.waiters == 0 and self._channels.get(conversation_id) is channel:
                del self._channels[conversation_id]


_notifier = Notifier()
"""This process's notifier: every web thread shares it."""


def limit(max_waiting: int) -> None:
    """At most ``max_waiting`` long polls of this process wait at once (0: no limit)."""
    if max_waiting < 0:
        raise ValueError(f"max_waiting must be 0 (no limit) or more, got {max_waiting}.")
    _notifier.max_waiting = max_waiting


def notify(conversation_id: int) -> None:
    """Wake the requests waiting on the conversation; call after the commit that changed it."""
    _notifier.notify(conversation_id)


def wait(
    conversation_id: int,
    *,
    timeout: float,
    ready: Callable[[], bool],
    poll_interval: float = DEFAULT_POLL_INTERVAL,
) -> bool:
    """Block until ``ready()`` is true (True) or ``timeout`` seconds pass (False)."""
    return _notifier.wait(
        conversation_id, timeout=timeout, ready=ready, poll_interval=poll_interval
    )


def waiting() -> dict[int, int]:
    """Waiters per conversation in this process."""
    return _notifier.waiting()
