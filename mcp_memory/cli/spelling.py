"""The command line's terms for a hint in a message (`mcp_memory.errors`): a tool argument as the flag
that does the same (`min_relevance=0` is `--min-relevance 0`, `dry_run=false` is `--apply`), a tool
as the command that is its twin (`memory_search` is `mcp-memory search`). Flags are looked up in the
parser, in the running command's first, so a flag that does not exist cannot be named."""

from __future__ import annotations

import argparse
import functools
import shlex
from collections.abc import Iterator

from mcp_memory.errors import Argument, Operation

__all__ = ["TWIN_COMMANDS", "CommandLineSpelling"]

#: The command each tool has for a twin: the same service call, the same `--json` as its structured
#: content (`tests/test_twins.py` compares them call by call).
TWIN_COMMANDS: dict[str, str] = {
    "memory_store": "store",
    "memory_search": "search",
    "memory_get": "get",
    "memory_update": "update",
    "memory_delete": "delete",
    "memory_recent": "recent",
    "memory_pin": "pins",
    "memory_unpin": "pins",
    "memory_pins": "pins",
    "graph_query": "graph",
    "memory_batch_tag": "tag",
    "memory_history": "history",
    "memory_revert": "revert",
    "memory_stats": "stats",
    "memory_consolidate": "consolidate",
    "memory_export": "export",
    "memory_import": "import",
    "memory_forget": "forget",
    "memory_reindex": "reindex",
}

#: Tool arguments the parser keeps under another name (`dest`), in the order to look for them (the
#: common `--project` sets the default project, not a scope, so `project` is never it).
_DESTS: dict[str, tuple[str, ...]] = {
    "project": ("scope", "memory_project"),
    "include_history": ("history",),
    "memory_id": ("memory", "memory_id"),
}
#: Arguments whose value the command line says with a flag of its own.
_VALUE_FLAGS: dict[tuple[str, object], str] = {("dry_run", False): "--apply", ("dry_run", True): ""}
#: A filter's fields, as the bulk commands' flags.
_FILTER_FLAGS = {
    "tags": "--where-tag",
    "kind": "--kind",
    "project": "--in",
    "since": "--since",
    "until": "--until",
}
#: Positional arguments, as a person reads them.
_POSITIONAL_WORDS = {"content": "the text argument"}


@functools.cache
def _commands() -> dict[str, argparse.ArgumentParser]:
    from mcp_memory.cli.parser import build_parser

    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


class CommandLineSpelling:
    """Hints as a person types them at the command line, for `command` (the one that was run)."""

    def __init__(self, command: str | None = None) -> None:
        self.command = command

    def _actions(self, command: str | None) -> Iterator[argparse.Action]:
        commands = _commands()
        first = [commands[command]] if command in commands else []
        for parser in [*first, *(p for name, p in commands.items() if name != command)]:
            yield from parser._actions

    def _action(self, name: str, command: str | None) -> argparse.Action | None:
        for dest in _DESTS.get(name, (name,)):
            for action in self._actions(command):
                if action.dest == dest:
                    return action
        return None

    def _spell(self, hint: Argument, command: str | None) -> str:
        if isinstance(hint.value, bool) and (hint.name, hint.value) in _VALUE_FLAGS:
            return _VALUE_FLAGS[(hint.name, hint.value)]
        if hint.name == "filter" and isinstance(hint.value, dict):
            return " ".join(
                f"{_FILTER_FLAGS.get(key, '--' + key)} {shlex.quote(str(v))}"
                for key, value in hint.value.items()
                for v in (value if isinstance(value, list) else [value])
            )
        action = self._action(hint.name, command)
        values = hint.value if isinstance(hint.value, list) else [] if hint.value is None else [hint.value]
        spelled = " ".join(shlex.quote(str(v)) for v in values)
        if action is None or not action.option_strings:  # a positional argument: its value, or its name
            return spelled or _POSITIONAL_WORDS.get(hint.name, hint.name.upper())
        flag = next((o for o in action.option_strings if o.startswith("--")), action.option_strings[0])
        if isinstance(hint.value, bool) or not spelled:
            return flag
        return f"{flag} {spelled}"

    def argument(self, hint: Argument) -> str:
        return self._spell(hint, self.command)

    def operation(self, hint: Operation) -> str:
        command = TWIN_COMMANDS.get(hint.tool)
        if command is None:
            return f"the MCP tool {hint.tool}"
        words = ["mcp-memory", command, *(self._spell(a, command) for a in hint.arguments)]
        return f"`{' '.join(w for w in words if w)}`"
