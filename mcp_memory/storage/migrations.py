"""Numbered schema migrations. Each runs in one transaction together with its record and checksum;
a database made by a newer mcp-memory is refused rather than guessed at.

The vector table is not here: it belongs to the embedding model, so `mcp_memory.storage.vectors` creates
it when the model is known (and schema 3 converts the sqlite-vec `vec0` table of schemas 1-2).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

from mcp_memory.errors import DatabaseError, SchemaTooNew
from mcp_memory.storage.vector_tables import convert_vec0_table

if TYPE_CHECKING:
    from mcp_memory.storage.query import Transaction

__all__ = [
    "LATEST_SCHEMA_VERSION",
    "MIGRATIONS",
    "Migration",
    "TransactionRunner",
    "migrate",
    "split_statements",
]

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step: its number, a name for humans, its SQL, and a step in Python run after the
    SQL in the same transaction when the SQL alone cannot say it (named in `name`, so the checksum
    covers it)."""

    version: int
    name: str
    sql: str
    upgrade: Callable[[Transaction], Awaitable[None]] | None = None

    @property
    def checksum(self) -> str:
        if self.upgrade is None:
            return hashlib.sha256(self.sql.encode()).hexdigest()
        return hashlib.sha256((self.sql + "\n-- upgrade: " + self.name).encode()).hexdigest()


_V1 = """
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE memories (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    content TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'note',
    importance REAL NOT NULL DEFAULT 0.5 CHECK (importance >= 0 AND importance <= 1),
    metadata TEXT NOT NULL DEFAULT '{}',
    project TEXT NOT NULL DEFAULT '',
    pinned INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    last_accessed_at REAL,
    access_count INTEGER NOT NULL DEFAULT 0,
    expires_at REAL,
    deleted_at REAL,
    version INTEGER NOT NULL DEFAULT 1,
    embedded INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX memories_by_hash ON memories(project, content_hash) WHERE deleted_at IS NULL;
CREATE INDEX memories_by_project_time ON memories(project, created_at) WHERE deleted_at IS NULL;
CREATE INDEX memories_by_time ON memories(created_at) WHERE deleted_at IS NULL;
CREATE INDEX memories_by_kind ON memories(kind, created_at) WHERE deleted_at IS NULL;
CREATE INDEX memories_pending ON memories(id) WHERE embedded = 0 AND deleted_at IS NULL;

CREATE TABLE memory_tags (
    memory_id INTEGER NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (tag, memory_id)
) WITHOUT ROWID;
CREATE INDEX memory_tags_by_memory ON memory_tags(memory_id, tag);

CREATE TABLE memory_versions (
    memory_id INTEGER NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    content TEXT NOT NULL,
    tags TEXT NOT NULL,
    kind TEXT NOT NULL,
    importance REAL NOT NULL,
    metadata TEXT NOT NULL,
    valid_from REAL NOT NULL,
    replaced_at REAL NOT NULL,
    replaced_by TEXT NOT NULL,
    changed TEXT NOT NULL,
    PRIMARY KEY (memory_id, version)
) WITHOUT ROWID;

CREATE VIRTUAL TABLE memories_fts USING fts5(
    content,
    tags,
    tokenize = 'porter unicode61 remove_diacritics 2',
    content = '',
    contentless_delete = 1
);

CREATE TRIGGER memories_fts_on_delete AFTER DELETE ON memories BEGIN
    DELETE FROM memories_fts WHERE rowid = old.id;
END;
"""

_V2 = """
ALTER TABLE memories ADD COLUMN pin_note TEXT;
ALTER TABLE memories ADD COLUMN archived_at REAL;

CREATE TABLE entities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    type TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);

CREATE TABLE observations (
    entity_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
    content TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (entity_id, content)
) WITHOUT ROWID;

CREATE TABLE relations (
    from_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    to_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
    created_at REAL NOT NULL,
    PRIMARY KEY (from_id, type, to_id)
) WITHOUT ROWID;
CREATE INDEX relations_by_target ON relations(to_id, from_id);

CREATE TABLE memory_entities (
    memory_id INTEGER NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
    entity_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
    PRIMARY KEY (entity_id, memory_id)
) WITHOUT ROWID;
CREATE INDEX memory_entities_by_memory ON memory_entities(memory_id, entity_id);

CREATE TABLE episodes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task TEXT NOT NULL,
    context TEXT NOT NULL DEFAULT '',
    preconditions TEXT NOT NULL DEFAULT '[]',
    project TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '[]',
    outcome TEXT,
    reward REAL,
    lesson TEXT,
    reflection TEXT,
    lesson_memory_id INTEGER REFERENCES memories(id) ON DELETE SET NULL,
    started_at REAL NOT NULL,
    completed_at REAL,
    embedding BLOB,
    embedding_model TEXT
);
CREATE INDEX episodes_by_project ON episodes(project, completed_at);

CREATE TABLE episode_steps (
    episode_id INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
    step INTEGER NOT NULL,
    action TEXT NOT NULL,
    result TEXT,
    ok INTEGER,
    files TEXT NOT NULL DEFAULT '[]',
    created_at REAL NOT NULL,
    PRIMARY KEY (episode_id, step)
) WITHOUT ROWID;

CREATE TABLE lifecycle_rules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT,
    tag TEXT,
    project TEXT,
    older_than_days REAL NOT NULL,
    importance_below REAL,
    action TEXT NOT NULL CHECK (action IN ('delete', 'archive')),
    created_at REAL NOT NULL
);
"""

_V3 = """
CREATE TABLE vector_changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    memory_id INTEGER NOT NULL
);
"""

_V4 = """
CREATE TABLE hook_sessions (
    session_id TEXT PRIMARY KEY,
    client TEXT NOT NULL,
    project TEXT NOT NULL,
    started_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    injected TEXT NOT NULL DEFAULT '[]',
    lessons INTEGER NOT NULL DEFAULT 0,
    episode_id INTEGER,
    steps INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE hook_commands (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    command TEXT NOT NULL,
    output TEXT NOT NULL DEFAULT '',
    ok INTEGER NOT NULL,
    fixes INTEGER,
    at REAL NOT NULL
);
CREATE INDEX hook_commands_by_session ON hook_commands(session_id, id);
"""

_V5 = """
ALTER TABLE memories ADD COLUMN superseded_by INTEGER;
"""


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "memories, tags, versions, keyword index", _V1),
    Migration(2, "pins, archive, knowledge graph, episodes, lifecycle rules", _V2),
    Migration(
        3,
        "vector change log; vec0 vectors moved to a plain table with binary codes",
        _V3,
        convert_vec0_table,
    ),
    Migration(4, "client hook sessions and the commands they saw fail", _V4),
    Migration(5, "a memory retired by a newer one names it (superseded_by)", _V5),
)
LATEST_SCHEMA_VERSION = MIGRATIONS[-1].version


def split_statements(sql: str, complete: object) -> list[str]:
    """Split a script into statements, keeping trigger bodies whole (`complete` is the sqlite3
    module's complete_statement)."""
    statements: list[str] = []
    buffer = ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if buffer.strip() and complete(buffer):  # type: ignore[operator]
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        raise ValueError(f"incomplete SQL statement in migration: {buffer.strip()[:60]}")
    return statements


class TransactionRunner(Protocol):
    """What migrations need of a `Database`: running a write transaction."""

    async def write(self, work: Callable[[Transaction], Awaitable[_T]]) -> _T: ...


async def migrate(db: TransactionRunner, complete_statement: Callable[[str], bool]) -> int:
    """Bring the schema to the latest version; returns the version it is at. `complete_statement` is
    the sqlite3 module's, to split the migrations' SQL into statements."""

    async def ensure_table(conn: Transaction) -> None:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at REAL NOT NULL)"
        )

    await db.write(ensure_table)

    async def applied(conn: Transaction) -> dict[int, str]:
        rows = await conn.execute_fetchall("SELECT version, checksum FROM schema_migrations")
        return {int(r[0]): str(r[1]) for r in rows}

    # Read and apply under one write transaction each, so two processes starting at once cannot
    # both apply the same step.
    current = await db.write(applied)
    newest = max(current, default=0)
    if newest > LATEST_SCHEMA_VERSION:
        raise SchemaTooNew(
            f"this database has schema version {newest}, made by a newer mcp-memory; this one knows up to "
            f"{LATEST_SCHEMA_VERSION}. Upgrade (`uvx mcp-memory-local@latest`) or point MCP_MEMORY_DB elsewhere."
        )
    for migration in MIGRATIONS:
        recorded = current.get(migration.version)
        if recorded is not None:
            if recorded != migration.checksum:
                raise DatabaseError(
                    f"schema migration {migration.version} ({migration.name}) recorded in the database does "
                    "not match this version's definition; the file was changed by another tool. "
                    "Back it up and run `mcp-memory doctor`."
                )
            continue

        async def apply(conn: Transaction, m: Migration = migration) -> bool:
            rows = await conn.execute_fetchall(
                "SELECT 1 FROM schema_migrations WHERE version = ?", (m.version,)
            )
            if rows:
                return False  # another process applied it while we waited
            for statement in split_statements(m.sql, complete_statement):
                await conn.execute(statement)
            if m.upgrade is not None:
                await m.upgrade(conn)
            await conn.execute(
                "INSERT INTO schema_migrations(version, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
                (m.version, m.name, m.checksum, time.time()),
            )
            return True

        await db.write(apply)
    return LATEST_SCHEMA_VERSION
