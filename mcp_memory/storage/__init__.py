"""Storage: the SQLite file (connections, extension loading, pragmas, migrations), the vector, code and
keyword indexes, the filters shared by queries, and backup.

Knows nothing of tools, the CLI or the services; may import only the foundations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mcp_memory.storage.connection import Database, Reader
    from mcp_memory.storage.library import SqliteLibrary, choose_sqlite
    from mcp_memory.storage.migrations import LATEST_SCHEMA_VERSION
    from mcp_memory.storage.query import QuerySource

__all__ = ["LATEST_SCHEMA_VERSION", "Database", "QuerySource", "Reader", "SqliteLibrary", "choose_sqlite"]

#: Where each name lives. Imported on first use, so that importing a light module of this package
#: (`rows`, `filters`, `inline`, `library`) does not import the connection layer (aiosqlite, asyncio).
_HOMES = {
    "Database": "connection",
    "Reader": "connection",
    "SqliteLibrary": "library",
    "choose_sqlite": "library",
    "LATEST_SCHEMA_VERSION": "migrations",
    "QuerySource": "query",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
