"""Which sqlite3 module a connection uses: the standard library's, or sqlean where the standard one
cannot load extensions or is too old. Light on purpose (no connection layer): the command line's
quick commands choose with it too, so they report the SQLite the server uses."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from mcp_memory.errors import DatabaseError

__all__ = ["MIN_SQLITE", "SqliteLibrary", "choose_sqlite", "open_plain"]

#: contentless_delete FTS5 tables need 3.43.
MIN_SQLITE = (3, 43, 0)


@dataclass(frozen=True, slots=True)
class SqliteLibrary:
    """The DB-API module in use (the standard library's sqlite3 or sqlean) and why it was chosen."""

    module: ModuleType
    name: str
    version: str
    reason: str


def choose_sqlite(preference: str = "auto") -> SqliteLibrary:
    """Pick a sqlite3 module that can load extensions and is new enough.

    `auto` prefers the standard library and falls back to sqlean (a drop-in sqlite3 with extension
    loading) when the standard one cannot load extensions, as on the macOS system Python.
    """
    if preference in ("auto", "sqlite3"):
        import sqlite3

        problem = _stdlib_problem(sqlite3)
        if problem is None:
            return SqliteLibrary(sqlite3, "sqlite3", sqlite3.sqlite_version, "standard library")
        if preference == "sqlite3":
            raise DatabaseError(
                f"the standard library's sqlite3 cannot be used: {problem}. "
                "Set MCP_MEMORY_SQLITE=sqlean (or auto) to use the bundled sqlean instead."
            )
        reason = f"standard library sqlite3 unusable ({problem})"
    else:
        reason = "chosen by MCP_MEMORY_SQLITE=sqlean"
    try:
        import sqlean  # type: ignore[import-untyped,unused-ignore]
    except ImportError as exc:  # pragma: no cover - sqlean-py is a dependency
        raise DatabaseError(
            "no usable SQLite: the standard library's cannot load extensions and sqlean-py is not "
            "installed. Reinstall mcp-memory (`uvx mcp-memory-local`), which brings sqlean-py."
        ) from exc
    return SqliteLibrary(sqlean, "sqlean", str(sqlean.sqlite_version), reason)


def _stdlib_problem(sqlite3: ModuleType) -> str | None:
    if not hasattr(sqlite3.Connection, "enable_load_extension"):
        return "built without extension loading"
    if tuple(sqlite3.sqlite_version_info) < MIN_SQLITE:
        return f"SQLite {sqlite3.sqlite_version} is older than 3.43"
    return None


def open_plain(module: Any, path: Path, busy_timeout_ms: int) -> Any:
    """A plain autocommit connection to the database file at `path` through the DB-API `module`,
    rows readable by column name, waiting up to the busy timeout for other writers: what the hooks
    and the command line's quick commands read through (no extension, no migrations)."""
    conn = module.connect(str(path), timeout=busy_timeout_ms / 1000, isolation_level=None)
    conn.row_factory = module.Row
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    return conn
