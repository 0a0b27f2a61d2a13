"""Start the Rasa server with one speed fix; runs in the Rasa environment (Python 3.10, Rasa 3.6).

    .venv-rasa/bin/python -m bot.rasa_server run -m models/current.tar.gz ...

takes the same arguments as the ``rasa`` command (``web.stack`` starts the server this way).

The fix: Rasa 3.6 checks every custom action's response with ``jsonschema.validate``, which first
validates Rasa's own, constant events schema against the JSON Schema meta-schema, then the
response. The first step costs about 19 ms of CPU per action call on Rasa's single event loop (the
second about 1.5 ms), so every question and button press paid it (docs/benchmarks.md, "Bot turn
latency"). Here the schema is checked once and its validator kept: a valid response passes at
once; an invalid one goes to Rasa's own check, which rejects it with Rasa's own error as before.
This module imports nothing from Tier0 and only Rasa and jsonschema from outside the standard
library.
"""

from __future__ import annotations

import sys
from functools import cache
from typing import Any


@cache
def response_validator() -> Any:
    """A jsonschema validator for Rasa's action-server response schema, checked once."""
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def install() -> None:
    """Make Rasa validate action-server responses with the cached validator (idempotent)."""
    from rasa.core.actions.action import RemoteAction

    original = RemoteAction._validate_action_result
    if getattr(original, "tier0_cached", False):
        return

    def validate_action_result(self: Any, result: dict[str, Any]) -> bool:
        """Valid responses pass with the cached validator; Rasa's own check explains the rest."""
        if response_validator().is_valid(result):
            return True
        return bool(original(self, result))

    validate_action_result.tier0_cached = True  # type: ignore[attr-defined]
    RemoteAction._validate_action_result = validate_action_result


def main(argv: list[str] | None = None) -> None:
    """Install the fix, then run the ``rasa`` command line with ``argv``."""
    from rasa.__main__ import main as rasa_main

    install()
    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()


if __name__ == "__main__":
    main()
