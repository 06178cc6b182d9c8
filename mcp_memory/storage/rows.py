"""Reading memory rows: the columns a memory is built from, one memory's row by id, and counting a read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mcp_memory.storage.ids import LIVE
from mcp_memory.storage.query import POSTGRES, QuerySource

__all__ = [
    "ACCESS_UPDATE",
    "MEMORY_COLUMNS",
    "TEAM_COLUMNS",
    "fetch_memory_row",
    "has_column",
    "memory_columns",
]

#: The columns of `memories` that a `Memory` is built from, in the order services read them.
MEMORY_COLUMNS = (
    "id, content, kind, importance, metadata, project, pinned, created_at, updated_at, "
    "last_accessed_at, access_count, expires_at, version, embedded, pin_note, archived_at, superseded_by"
)

#: What a shared Postgres adds to a memory's row: who may read it, and who stored and last changed
#: it (the engine fills the two names: `mcp_memory.storage.postgres.schema`).
TEAM_COLUMNS = "visibility, created_by, updated_by"


def has_column(row: Any, name: str) -> bool:
    """Whether a row of either engine has the column `name` (a sqlite3.Row's `in` looks at values)."""
    return name in row.keys()  # noqa: SIM118


def memory_columns(dialect: str) -> str:
    """`MEMORY_COLUMNS`, with `TEAM_COLUMNS` on Postgres."""
    return f"{MEMORY_COLUMNS}, {TEAM_COLUMNS}" if dialect == POSTGRES else MEMORY_COLUMNS


#: Counting one read of a memory (parameters: when, row id). The server writes these in batches,
#: never on a read's path (`App.flush_access`); the command line's quick `get` at once.
ACCESS_UPDATE = "UPDATE memories SET access_count = access_count + 1, last_accessed_at = ? WHERE id = ?"


async def fetch_memory_row(
    source: QuerySource, rowid: int, *, extra: Sequence[str] = (), live_only: bool = False
) -> Any | None:
    """One memory's row by rowid: `MEMORY_COLUMNS` plus the `extra` columns named (e.g. `content_hash`,
    `deleted_at`); None when there is no such row or, with `live_only`, when it is deleted. Works on a
    `Database` and on a connection inside a write transaction."""
    if not all(name.isidentifier() for name in extra):
        raise ValueError(f"bad column names {list(extra)!r}")
    columns = ", ".join((memory_columns(source.dialect), *extra))
    condition = f" AND {LIVE}" if live_only else ""
    rows = await source.fetchall(f"SELECT {columns} FROM memories WHERE id = ?{condition}", (rowid,))
    return next(iter(rows), None)
