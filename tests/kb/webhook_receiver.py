"""A webhook receiver for tests: a real HTTP server on a loopback port that checks signatures."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

from kb.webhooks import verify


@dataclass(frozen=True)
class Received:
    """One request the receiver got."""

    headers: dict[str, str]
    body: bytes
    signed: bool

    @property
    def payload(self) -> dict[str, Any]:
        """The JSON body."""
        return dict(json.loads(self.body))


class Receiver:
    """Answers every POST with the next scripted status (then 200), checking it with ``secret``."""

    def __init__(self, secret: str = "") -> None:
        self.secret = secret
        self.received: list[Received] = []
        self.delay = 0.0
        self._statuses: deque[int] = deque()
        self._lock = threading.Lock()
        self._server: BaseWSGIServer = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}/hooks"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def answer(self, *statuses: int) -> None:
        """Answer the next requests with these statuses, in order."""
        self._statuses.extend(statuses)

    def close(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Record the request, check its signature, answer."""
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        headers["Content-Type"] = environ.get("CONTENT_TYPE", "")
        signed = verify(
            self.secret,
            headers.get("X-Tier0-Signature", ""),
            headers.get("X-Tier0-Timestamp", ""),
            body,
        )
        with self._lock:
            self.received.append(Received(headers, body, signed))
            status = self._statuses.popleft() if self._statuses else 200
        if self.delay:
            time.sleep(self.delay)
        start_response(f"{status} Scripted", [("Content-Type", "text/plain")])
        return [b"ok"]
