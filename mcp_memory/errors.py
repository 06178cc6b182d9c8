"""The errors the services raise: one base class, one line each, every message says what to do next.

Tools turn them into isError results and the CLI into a one-line message and exit code 1. Anything
else that escapes a service is a bug and is reported as such.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DatabaseError",
    "InvalidInput",
    "LimitExceeded",
    "MemoryServerError",
    "ModelMismatch",
    "ModelUnavailable",
    "NotFound",
    "SchemaTooNew",
]


class MemoryServerError(Exception):
    """Base of every error mcp-memory reports to a user; the message is the whole explanation."""


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
