"""Start the Rasa server with two speed fixes; runs in the Rasa environment (Python 3.10, Rasa 3.6).

    .venv-rasa/bin/python -m bot.rasa_server run -m models/current.tar.gz ...

takes the same arguments as the ``rasa`` command (``web.stack`` starts the server this way).

The fix: Rasa 3.6 checks every custom action's response with ``jsonschema.validate``, which first
validates Rasa's own, constant events schema against the JSON Schema meta-schema, then the
response. The first step costs about 19 ms of CPU per action call on Rasa's single event loop (the
second about 1.5 ms), so every question and button press paid it (docs/benchmarks.md, "Bot turn
latency"). Here the schema is checked once and its validator kept: a valid response passes at
once; an invalid one goes to Rasa's own check, which rejects it with Rasa's own error as before.

The second: every time Rasa reads a conversation from its tracker store it rebuilds each stored
event, and finds each event's class by walking every subclass of ``Event`` (``all_subclasses``,
recursive, with an ``inspect.isabstract`` check per class) until one has the event's type name:
about 7% of the server's CPU under load, growing with the length of conversations. Here the
classes are looked up by name in a table built from the same walk, in the same order (so the
same class wins a shared name); a name not in the table rebuilds it once, so event classes
imported later are still found, and unknown names fail exactly as before.

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


def install_event_lookup() -> None:
    """Make ``Event.resolve_by_type`` find classes by name in a table (idempotent)."""
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    original = Event.resolve_by_type
    if getattr(original, "tier0_table", False):
        return
    table: dict[str, Any] = {}

    def rebuild() -> None:
        """The first class of each type name, in ``all_subclasses`` order (Rasa's own search)."""
        fresh: dict[str, Any] = {}
        for cls in all_subclasses(Event):
            fresh.setdefault(cls.type_name, cls)
        table.clear()
        table.update(fresh)

    def resolve_by_type(type_name: str, default: Any = None) -> Any:
        """The event class named ``type_name``; misses go to Rasa's own lookup after a rebuild."""
        found = table.get(type_name)
        if found is None:
            rebuild()
            found = table.get(type_name)
        return found if found is not None else original(type_name, default)

    resolve_by_type.tier0_table = True  # type: ignore[attr-defined]
    Event.resolve_by_type = staticmethod(resolve_by_type)


def main(argv: list[str] | None = None) -> None:
    """Install the fixes, then run the ``rasa`` command line with ``argv``."""
    from rasa.__main__ import main as rasa_main

    install()
    install_event_lookup()
    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()


if __name__ == "__main__":
    main()
