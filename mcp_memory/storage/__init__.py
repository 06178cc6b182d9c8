"""Storage: the SQLite file, its indexes, and every SQL statement the package runs, behind typed
functions per family.

- The file: `connection` (the `Database`, its writer and two readers, pragmas), `library` (which
  sqlite3 module), `inline` (a transaction in one hop; the quick CLI's `InlineReader`), `migrations`,
  `backup`, `sqlite_facts` (what only SQLite answers: size, integrity, build, date functions).
- What every query shares: `query` (`QuerySource`, `Transaction`), `ids` (public ids, the live-memory
  condition), `filters` (scope, kind, tags, time as SQL), `rows` (the columns a memory is built from).
- The families: `memories` (rows and tags), `history`, `pins`, `graph`, `episodes`, `counts`,
  `consolidation`, `listings`, `search_rows`, `embedding_rows`, `access_counts`.
- The indexes: keywords (`keyword_rows`, the FTS5 rows a write keeps in step; `keywords`, the query
  planner; `bm25`, the ranked queries), vectors (`vector_tables`, `vectors`) and the binary codes held
  in memory (`binary_codes`).
- `postgres/`: the second engine, a shared Postgres with pgvector (`connect`, `database`, `dialect`,
  `schema`, `team`), behind the same functions.

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
