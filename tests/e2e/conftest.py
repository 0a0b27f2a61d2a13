"""End-to-end fixtures: the real stack (Rasa server, action server, web app) on the demo."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.stack import demo_environment, free_port
from web.stack import Ports, Stack, running


@pytest.fixture(scope="session")
def stack_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A data dir with the demo help centre for the stack."""
    return demo_environment(tmp_path_factory.mktemp("stack-data"))


@pytest.fixture(scope="module")
def stack(stack_env: dict[str, str]) -> Iterator[Stack]:
    """The three processes, healthy."""
    ports = Ports(web=free_port(), rasa=free_port(), actions=free_port())
    with running(Stack(ports=ports, env=stack_env)) as started:
        yield started
