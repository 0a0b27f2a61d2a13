"""The long-polling notifier: wake on notify, re-check on a timer, time out, forget idle conversations."""

from __future__ import annotations

import threading
import time

import pytest

from web import live
from web.live import Notifier


class Flag:
    """A condition another thread makes true, counting how often it was checked."""

    def __init__(self) -> None:
        self.value = False
        self.checks = 0

    def __call__(self) -> bool:
        """Whether it is set."""
        self.checks += 1
        return self.value


def later(seconds: float, action: object) -> threading.Thread:
    """Run ``action`` in a thread after ``seconds``."""

    def run() -> None:
        time.sleep(seconds)
        action()  # type: ignore[operator]

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_ready_at_once_returns_without_waiting() -> None:
    """Something already there: True straight away, checked once."""
    notifier = Notifier()
    flag = Flag()
    flag.value = True
    started = time.monotonic()
    assert notifier.wait(1, timeout=5, ready=flag) is True
    assert time.monotonic() - started < 1.0  # far below the 5 s it would otherwise wait
    assert flag.checks == 1
    assert notifier.waiting() == {}


def test_times_out_when_nothing_happens() -> None:
    """Never ready: False after the timeout (not much sooner, not much later)."""
    notifier = Notifier()
    flag = Flag()
    started = time.monotonic()
    assert notifier.wait(1, timeout=0.3, ready=flag, poll_interval=0.1) is False
    waited = time.monotonic() - started
    assert 0.28 <= waited < 1.0
    assert flag.checks >= 3  # the timer re-checks while waiting
    assert notifier.waiting() == {}


def test_notify_from_another_thread_wakes_the_waiter_at_once() -> None:
    """A notify wakes it long before the poll interval would have."""
    notifier = Notifier()
    flag = Flag()

    def write() -> None:
        flag.value = True
        notifier.notify(7)

    started = time.monotonic()
    thread = later(0.1, write)
    assert notifier.wait(7, timeout=10, ready=flag, poll_interval=30) is True
    assert time.monotonic() - started < 1.0
    thread.join()


def test_notify_for_another_conversation_does_not_wake() -> None:
    """Only the conversation's own waiters are woken."""
    notifier = Notifier()
    flag = Flag()
    later(0.05, lambda: notifier.notify(2))
    assert notifier.wait(1, timeout=0.3, ready=flag, poll_interval=30) is False
    assert flag.checks == 2  # once at the start, once more when the time is up


def test_changes_without_notify_are_seen_by_the_timer() -> None:
    """Another process writes (no notify here): seen within the poll interval."""
    notifier = Notifier()
    flag = Flag()
    started = time.monotonic()
    later(0.1, lambda: setattr(flag, "value", True))
    assert notifier.wait(3, timeout=5, ready=flag, poll_interval=0.1) is True
    assert time.monotonic() - started < 2.0  # far below the 5 s timeout


def test_a_notify_between_check_and_sleep_is_not_lost() -> None:
    """The write lands while ready() runs: the waiter must not sleep through it."""
    notifier = Notifier()
    state = {"value": False, "checks": 0}

    def ready() -> bool:
        state["checks"] += 1
        if state["checks"] == 1:
            state["value"] = True  # the write happens now, after we read "not ready"
            notifier.notify(4)
            return False
        return bool(state["value"])

    started = time.monotonic()
    assert notifier.wait(4, timeout=10, ready=ready, poll_interval=30) is True
    assert time.monotonic() - started < 1.0


def test_many_waiters_all_wake_and_leave_nothing_behind() -> None:
    """Twenty waiters on one conversation all wake on one notify; then no channel is left."""
    notifier = Notifier()
    flag = Flag()
    results: list[bool] = []
    lock = threading.Lock()

    def waiter() -> None:
        woke = notifier.wait(9, timeout=10, ready=lambda: flag.value, poll_interval=30)
        with lock:
            results.append(woke)

    threads = [threading.Thread(target=waiter) for _ in range(20)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 5
    while notifier.waiting().get(9, 0) < 20 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert notifier.waiting() == {9: 20}
    flag.value = True
    notifier.notify(9)
    for thread in threads:
        thread.join(timeout=5)
    assert results == [True] * 20
    assert notifier.waiting() == {}


def test_an_error_in_ready_still_unregisters() -> None:
    """ready() raising propagates and leaves no waiter behind."""
    notifier = Notifier()

    def broken() -> bool:
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError, match="database went away"):
        notifier.wait(5, timeout=1, ready=broken)
    assert notifier.waiting() == {}


def test_bad_poll_interval_is_refused() -> None:
    """A zero interval would spin."""
    with pytest.raises(ValueError, match="poll_interval"):
        Notifier().wait(1, timeout=1, ready=lambda: False, poll_interval=0)


def test_module_functions_share_one_notifier() -> None:
    """web.live.notify wakes web.live.wait (what the views use)."""
    flag = Flag()

    def write() -> None:
        flag.value = True
        live.notify(123_456)

    later(0.05, write)
    assert live.wait(123_456, timeout=5, ready=flag, poll_interval=30) is True
    assert 123_456 not in live.waiting()


def test_beyond_the_limit_a_long_poll_is_answered_at_once() -> None:
    """With two waiting, a third request checks once and returns; a freed place can be taken."""
    notifier = Notifier(max_waiting=2)
    flag = Flag()
    threads = [
        threading.Thread(
            target=notifier.wait,
            args=(conversation,),
            kwargs={"timeout": 10, "ready": lambda: flag.value, "poll_interval": 30},
        )
        for conversation in (1, 2)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 5
    while sum(notifier.waiting().values()) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    third = Flag()
    started = time.monotonic()
    assert notifier.wait(3, timeout=10, ready=third, poll_interval=30) is False
    assert time.monotonic() - started < 1 and third.checks == 1
    assert notifier.wait(3, timeout=10, ready=lambda: True) is True  # news is still delivered
    assert notifier.waiting() == {1: 1, 2: 1}
    flag.value = True
    notifier.notify(1)
    threads[0].join(timeout=5)
    started = time.monotonic()
    assert notifier.wait(3, timeout=0.3, ready=lambda: False, poll_interval=30) is False
    assert time.monotonic() - started >= 0.25  # it waited: a place was free again
    notifier.notify(2)
    threads[1].join(timeout=5)
    assert notifier.waiting() == {}


def test_the_app_sets_the_process_limit_from_settings(tmp_path: object) -> None:
    """create_app applies TIER0_LONG_POLL_MAX; a negative limit is refused."""
    from kb.config import Settings
    from web import create_app

    before = live._notifier.max_waiting
    try:
        create_app(settings=Settings(data_dir=tmp_path, long_poll_max=5))  # type: ignore[arg-type]
        assert live._notifier.max_waiting == 5
    finally:
        live.limit(before)
    assert Settings().long_poll_max == 32
    with pytest.raises(ValueError, match="max_waiting"):
        live.limit(-1)
