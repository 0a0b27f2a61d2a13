"""The Rasa client: at most ``max_in_flight`` messages with the bot at once, waits inside the timeout."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from kb.config import Settings
from tests.web.chat_helpers import FakeRasa
from web.chat.rasa import BotUnavailable, RasaClient


@pytest.fixture
def slow_rasa() -> Iterator[FakeRasa]:
    """A fake Rasa server that takes 0.3 s per message and counts how many it has at once."""
    rasa = FakeRasa()
    rasa.delay = 0.3
    yield rasa
    rasa.close()


def send_together(client: RasaClient, count: int) -> tuple[list[float], list[Exception]]:
    """``count`` messages sent from as many threads at once; when each finished, and failures."""
    finished: list[float] = []
    failures: list[Exception] = []
    started = time.monotonic()

    def one(i: int) -> None:
        try:
            client.send(sender=f"c{i}", message="hi", metadata={})
            finished.append(time.monotonic() - started)
        except BotUnavailable as error:
            failures.append(error)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(finished), failures


def test_messages_beyond_the_limit_wait_their_turn(slow_rasa: FakeRasa) -> None:
    """With two lines, four messages go two at a time: two finish after ~0.3 s, two after ~0.6 s."""
    finished, failures = send_together(RasaClient(slow_rasa.url, timeout=5, max_in_flight=2), 4)
    assert failures == []
    assert len(slow_rasa.requests) == 4
    assert finished[1] < 0.55 <= finished[2], finished


def test_no_limit_sends_everything_at_once(slow_rasa: FakeRasa) -> None:
    """max_in_flight 0: four messages are all with the bot at once."""
    finished, failures = send_together(RasaClient(slow_rasa.url, timeout=5, max_in_flight=0), 4)
    assert failures == [] and finished[-1] < 0.55, finished


def test_waiting_counts_towards_the_timeout(slow_rasa: FakeRasa) -> None:
    """One line, a 0.45 s timeout: the first message is answered; the others give up in time."""
    finished, failures = send_together(RasaClient(slow_rasa.url, timeout=0.45, max_in_flight=1), 3)
    assert len(finished) == 1 and len(failures) == 2
    assert all("no reply within 0.45 seconds" in str(error) for error in failures)
    assert any("every line to the bot was busy" in str(error) for error in failures)
    assert len(slow_rasa.requests) <= 2  # nobody waited past the timeout and then sent anyway


def test_limit_must_not_be_negative() -> None:
    """A negative limit is refused, in the client and in the settings."""
    with pytest.raises(ValueError, match="max_in_flight"):
        RasaClient("http://127.0.0.1:1", timeout=1, max_in_flight=-1)
    with pytest.raises(ValueError, match="bot_max_in_flight"):
        Settings(bot_max_in_flight=-1)
    assert Settings().bot_max_in_flight == 4
