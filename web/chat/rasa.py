"""The Rasa server, reached over its REST channel: one adapter, with a timeout on every call.

At most ``max_in_flight`` messages of this web process are with the bot at once; the others wait
their turn here (the wait counts towards the timeout). Rasa handles messages on one event loop,
so letting every request in at once only makes them share it: each takes longer and the slowest
much longer. Waiting in line here keeps the same throughput with shorter tails
(docs/benchmarks.md, "Bot turn latency").
"""

from __future__ import annotations

import threading
import time
from typing import Any

import requests

WEBHOOK_PATH = "/webhooks/rest/webhook"


class BotUnavailable(Exception):
    """The bot did not answer usably: down, too slow, an error status or a reply that is not JSON."""


class RasaClient:
    """Sends a customer's message to the Rasa server and returns the bot's replies."""

    def __init__(self, base_url: str, *, timeout: float, max_in_flight: int = 0) -> None:
        """A client; ``max_in_flight`` 0 lets every message through at once."""
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout}")
        if max_in_flight < 0:
            raise ValueError(f"max_in_flight must be 0 (no limit) or more, got {max_in_flight}")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._local = threading.local()
        self._turns = threading.BoundedSemaphore(max_in_flight) if max_in_flight else None

    def send(self, *, sender: str, message: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        """POST one message; the bot's messages in order, or BotUnavailable saying why not."""
        if self._turns is None:
            return self._post(
                sender=sender, message=message, metadata=metadata, timeout=self.timeout
            )
        started = time.monotonic()
        if not self._turns.acquire(timeout=self.timeout):
            raise BotUnavailable(
                f"no reply within {self.timeout:g} seconds (every line to the bot was busy)"
            )
        try:
            left = self.timeout - (time.monotonic() - started)
            if left <= 0:
                raise BotUnavailable(f"no reply within {self.timeout:g} seconds")
            return self._post(sender=sender, message=message, metadata=metadata, timeout=left)
        finally:
            self._turns.release()

    def _post(
        self, *, sender: str, message: str, metadata: dict[str, Any], timeout: float
    ) -> list[dict[str, Any]]:
        """One POST to Rasa's REST channel within ``timeout`` seconds."""
        body: dict[str, Any] = {"sender": sender, "message": message, "metadata": metadata}
        try:
            response = self._http().post(self.base_url + WEBHOOK_PATH, json=body, timeout=timeout)
        except requests.Timeout:
            raise BotUnavailable(f"no reply within {self.timeout:g} seconds") from None
        except requests.RequestException as error:
            raise BotUnavailable(f"cannot reach the bot ({type(error).__name__})") from None
        if response.status_code != 200:
            raise BotUnavailable(f"the bot answered with HTTP {response.status_code}")
        try:
            replies = response.json()
        except ValueError:
            raise BotUnavailable("the bot's reply is not JSON") from None
        if not isinstance(replies, list):
            raise BotUnavailable("the bot's reply is not a list of messages")
        return [reply for reply in replies if isinstance(reply, dict)]

    def _http(self) -> requests.Session:
        """This thread's HTTP session (kept-alive connections; one per thread to be safe)."""
        http: requests.Session | None = getattr(self._local, "http", None)
        if http is None:
            http = requests.Session()
            http.trust_env = False  # the bot is a local service: never through a proxy
            self._local.http = http
        return http
