"""The vector tables' layout: their names, the statements that create, drop and activate them, and
what `meta` records of them. Everything here runs inside the caller's transaction (a
`mcp_memory.storage.query.Transaction`), so migrations use it without the `Database` (`mcp_memory.storage.vectors`
builds the index's reads and writes on top)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mcp_memory.errors import DatabaseError
from mcp_memory.storage.query import POSTGRES

if TYPE_CHECKING:
    from mcp_memory.storage.query import QuerySource, Transaction

__all__ = [
    "CHANGES_KEPT",
    "VectorIndexInfo",
    "activate_vector_table",
    "codes_table",
    "convert_vec0_table",
    "create_vector_table",
    "drop_leftover_vector_table",
    "drop_vector_table",
    "read_meta",
    "table_statements",
]

_KEYS = ("embedding_model", "embedding_dim", "embedding_checksum", "vec_table")


@dataclass(frozen=True, slots=True)
class VectorIndexInfo:
    """What `meta` says about the vectors."""

    model: str
    dim: int
    checksum: str
    table: str


async def read_meta(source: QuerySource) -> VectorIndexInfo | None:
    """What `meta` records of the vectors (model, dimension, checksum, table), or None before the
    first vector; from a `Database` or from a connection inside a transaction."""
    sql = f"SELECT key, value FROM meta WHERE key IN ({', '.join('?' * len(_KEYS))})"
    rows = await source.fetchall(sql, _KEYS)
    values = {str(r[0]): str(r[1]) for r in rows}
    if "vec_table" not in values:
        return None
    return VectorIndexInfo(
        model=values.get("embedding_model", ""),
        dim=int(values.get("embedding_dim", "0")),
        checksum=values.get("embedding_checksum", ""),
        table=checked_table(values["vec_table"], source.dialect),
    )


_OUR_TABLES = re.compile(r"^memories_vec(_[0-9]{1,9})?$")


def checked_table(name: str, dialect: str) -> str:
    """The vector table's name as recorded, once it is one this program makes: it is pasted into
    SQL. On a shared Postgres, whose `meta` every member may write, the name is never read from it
    (the vectors are the memory row's column, seen through one fixed view)."""
    if dialect == POSTGRES:
        return "memory_vectors"
    if not _OUR_TABLES.match(name):
        raise DatabaseError(
            f"the vector table recorded in the database ({name[:40]!r}) is not one mcp-memory makes; "
            "another tool changed the meta table. Restore a backup, or run `mcp-memory reindex`."
        )
    return name


#: Change-log entries kept; a process further behind than this reloads its codes.
CHANGES_KEPT = 50_000


def codes_table(table: str) -> str:
    """The table of binary codes and filter columns beside the float vectors of `table`."""
    return f"{table}_codes"


def table_statements(table: str) -> list[str]:
    """The float vectors' table, the codes table beside it, and their triggers.

    The codes (48 bytes for 384 dimensions) and the filter columns (project, kind, created_at, the
    memory's) sit in their own table so that loading them reads a few megabytes, not every float
    vector's page. Deleting a float vector deletes its code; every change to a code is logged."""
    if not table.replace("_", "").isalnum():
        raise ValueError(f"bad table name {table!r}")
    codes = codes_table(table)
    statements = [
        f"CREATE TABLE {table} (memory_id INTEGER PRIMARY KEY, embedding BLOB NOT NULL)",
        f"CREATE TABLE {codes} (memory_id INTEGER PRIMARY KEY, code BLOB NOT NULL, "
        "project TEXT NOT NULL DEFAULT '', kind TEXT NOT NULL DEFAULT 'note', created_at REAL NOT NULL DEFAULT 0)",
        f"CREATE TRIGGER {table}_drop_code AFTER DELETE ON {table} BEGIN "
        f"DELETE FROM {codes} WHERE memory_id = old.memory_id; END",
    ]
    for event, row in (("INSERT", "new"), ("UPDATE", "new"), ("DELETE", "old")):
        statements.append(
            f"CREATE TRIGGER {codes}_log_{event.lower()} AFTER {event} ON {codes} BEGIN "
            f"INSERT INTO vector_changes(memory_id) VALUES ({row}.memory_id); END"
        )
    return statements


async def create_vector_table(conn: Transaction, table: str, dim: int) -> None:
    """Create an empty vector table (inside the caller's transaction). The dimension is checked on
    every write against `meta`."""
    del dim
    for statement in table_statements(table):
        await conn.execute(statement)


async def drop_vector_table(conn: Transaction, table: str) -> None:
    """Drop a vector table, its codes, their triggers and the delete trigger on memories (inside the
    caller's transaction)."""
    await conn.execute("DROP TRIGGER IF EXISTS memories_vec_on_delete")
    await drop_leftover_vector_table(conn, table)


async def drop_leftover_vector_table(conn: Transaction, table: str) -> None:
    """Drop a vector table that is not the live one (an interrupted reindex's) and its codes,
    leaving the live table's delete trigger alone (inside the caller's transaction)."""
    await conn.execute(f"DROP TABLE IF EXISTS {table}")
    await conn.execute(f"DROP TABLE IF EXISTS {codes_table(table)}")


async def activate_vector_table(conn: Transaction, table: str, model: str, dim: int, checksum: str) -> None:
    """Make `table` the live vector index for `model` (inside the caller's transaction)."""
    await conn.execute("DROP TRIGGER IF EXISTS memories_vec_on_delete")
    await conn.execute(
        "CREATE TRIGGER memories_vec_on_delete AFTER DELETE ON memories BEGIN "
        f"DELETE FROM {table} WHERE memory_id = old.id; END"
    )
    await conn.executemany(
        "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [
            ("embedding_model", model),
            ("embedding_dim", str(dim)),
            ("embedding_checksum", checksum),
            ("vec_table", table),
        ],
    )


async def convert_vec0_table(conn: Transaction) -> None:
    """Schema 3: move the vectors of a sqlite-vec `vec0` table (schemas 1-2) into the plain table
    with binary codes, under a new name, inside the migration's transaction."""
    info = await read_meta(conn)
    if info is None:
        return
    old = info.table
    kind = list(await conn.execute_fetchall("SELECT sql FROM sqlite_master WHERE name = ?", (old,)))
    if not kind or not str(kind[0][0]).upper().startswith("CREATE VIRTUAL TABLE"):
        return
    new = f"memories_vec_{int(old.rsplit('_', 1)[1]) + 1}"
    await create_vector_table(conn, new, info.dim)
    await conn.execute(f"INSERT INTO {new}(memory_id, embedding) SELECT memory_id, embedding FROM {old}")
    await conn.execute(
        f"INSERT INTO {codes_table(new)}(memory_id, code, project, kind, created_at) "
        f"SELECT memory_id, vec_quantize_binary(embedding), coalesce(project, ''), "
        f"coalesce(kind, 'note'), coalesce(created_at, 0) FROM {old}"
    )
    await drop_vector_table(conn, old)
    await activate_vector_table(conn, new, info.model, info.dim, info.checksum)
