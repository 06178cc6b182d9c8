"""The errors the services raise: one base class, one line each, every message says what to do next.

Tools turn them into isError results and the CLI into a one-line message and exit code 1. Anything
else that escapes a service is a bug and is reported as such.

What to do next is data, not wording: a message is text with hints in it (an `Argument` to pass, an
`Operation` to use), and each interface spells a hint in its own terms when it shows the message. A
tool's caller reads `min_relevance=0` and `memory_search`; a person at the command line reads
`--min-relevance 0` and `mcp-memory search`. Service notices (an empty search's) are `Message`s too.

    raise NotFound(f"no memory {memory_id}; ", Operation("memory_search"), " finds ids.")
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "TOOL_SPELLING",
    "Argument",
    "ConfigError",
    "DatabaseError",
    "Hint",
    "InvalidInput",
    "LimitExceeded",
    "MemoryServerError",
    "Message",
    "ModelMismatch",
    "ModelUnavailable",
    "NotFound",
    "Operation",
    "SchemaTooNew",
    "Spelling",
]


@dataclass(frozen=True, slots=True)
class Argument:
    """Pass this argument, with this value (None: the argument itself, as where to put something)."""

    name: str
    value: object = None


@dataclass(frozen=True, slots=True)
class Operation:
    """Use this tool (named as the tools are), with these arguments."""

    tool: str
    arguments: tuple[Argument, ...] = ()


Hint = Argument | Operation


class Spelling(Protocol):
    """How one interface words a hint."""

    def argument(self, hint: Argument) -> str: ...

    def operation(self, hint: Operation) -> str: ...


def _tool_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, str | list | dict) else str(value)


class _ToolSpelling:
    """A tool's caller's terms: arguments as `name=value`, operations by their tool names."""

    def argument(self, hint: Argument) -> str:
        return f"`{hint.name}`" if hint.value is None else f"{hint.name}={_tool_value(hint.value)}"

    def operation(self, hint: Operation) -> str:
        if not hint.arguments:
            return hint.tool
        return f"{hint.tool} with {', '.join(self.argument(a) for a in hint.arguments)}"


#: The tools' spelling; also what `str()` of a message or an error gives (logs, isError results).
TOOL_SPELLING: Spelling = _ToolSpelling()


@dataclass(frozen=True, slots=True)
class Message:
    """Text with hints in it, spelled by whoever shows it."""

    parts: tuple[str | Argument | Operation, ...]

    @classmethod
    def of(cls, *parts: str | Argument | Operation) -> Message:
        return cls(tuple(parts))

    @property
    def hints(self) -> tuple[Argument | Operation, ...]:
        """The hints, as data: what to pass or use next."""
        return tuple(p for p in self.parts if not isinstance(p, str))

    def spelled(self, spelling: Spelling = TOOL_SPELLING) -> str:
        return "".join(
            p
            if isinstance(p, str)
            else spelling.argument(p)
            if isinstance(p, Argument)
            else spelling.operation(p)
            for p in self.parts
        )

    def then(self, other: Message | str) -> Message:
        """This message, a space, and `other`."""
        tail = other.parts if isinstance(other, Message) else (other,)
        return Message((*self.parts, " ", *tail))

    def __str__(self) -> str:
        return self.spelled()


class MemoryServerError(Exception):
    """Base of every error mcp-memory reports to a user; the message is the whole explanation.
    `str()` spells its hints as the tools do; `message.spelled(...)` in another interface's terms."""

    def __init__(self, *parts: str | Argument | Operation) -> None:
        self.message = Message(parts)
        super().__init__(str(self.message))


class InvalidInput(MemoryServerError):
    """An argument is malformed (empty content, an unparseable date, an unknown mode)."""


class LimitExceeded(InvalidInput):
    """An argument is over a documented size limit."""


class NotFound(MemoryServerError):
    """An id names no memory."""


class ConfigError(MemoryServerError):
    """A setting is invalid."""


class DatabaseError(MemoryServerError):
    """The database cannot be opened or used."""


class SchemaTooNew(DatabaseError):
    """The database was made by a newer mcp-memory than this one."""


class ModelMismatch(MemoryServerError):
    """The configured embedding model is not the one the stored vectors were made with."""


class ModelUnavailable(MemoryServerError):
    """The embedding model is still loading, or failed to load."""
