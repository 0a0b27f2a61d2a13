"""The Rasa server, reached over its REST channel: one adapter, with a timeout on every call."""

from __future__ import annotations

import threading
from typing import Any

import requests

WEBHOOK_PATH = "/webhooks/rest/webhook"


class BotUnavailable(Exception):
    """The bot did not answer usably: down, too slow, an error status or a reply that is not JSON."""


class RasaClient:
    """Sends a customer's message to the Rasa server and returns the bot's replies."""

    def __init__(self, base_url: str, *, timeout: float) -> None:
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout}")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._local = threading.local()

    def send(self, *, sender: str, message: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        """POST one message; the bot's messages in order, or BotUnavailable saying why not."""
        body: dict[str, Any] = {"sender": sender, "message": message, "metadata": metadata}
        try:
            response = self._http().post(
                self.base_url + WEBHOOK_PATH, json=body, timeout=self.timeout
            )
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
