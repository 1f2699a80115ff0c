"""Agent adapters: one per agent type, looked up by the ``--type`` name."""

from __future__ import annotations

from .base import Adapter

ALIASES = {"claude-code": "claude", "generic": "custom"}


def known_types() -> dict[str, type[Adapter]]:
    from .aider import AiderAdapter
    from .claude import ClaudeAdapter
    from .demo import DemoAdapter

    return {"claude": ClaudeAdapter, "aider": AiderAdapter, "demo": DemoAdapter, "custom": Adapter}


def get_adapter(name: str) -> Adapter:
    """The adapter for an agent type; ``ValueError`` naming the known types otherwise."""
    types = known_types()
    key = ALIASES.get(name, name)
    if key not in types:
        raise ValueError(
            f"unknown agent type {name!r}; expected one of: {', '.join(sorted(types))}"
        )
    return types[key]()
