"""The database as hooks use it: the SQLite file through the standard library's sqlite3 with the
server's busy timeout, or a shared Postgres through one psycopg connection.

A hook must start fast, so it opens the database without the server's connection layer (aiosqlite,
the sqlite-vec extension, migrations, a pool): storage's functions run over it at once
(`HookDatabase.reader` with `run_now` to read, `HookDatabase.write` for a write transaction; on
SQLite `storage.inline`, on Postgres the engine's own transaction over the one connection). It reads
memories and writes only its own tables (`hook_sessions`, `hook_commands`: `storage.hook_state`;
on Postgres each member's own rows); anything that becomes a memory or an episode goes through the
services (`capture`). A database that does not exist yet, or that no server of this version has
upgraded, is left alone: the hook does nothing.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence

from mcp_memory.config import Settings
from mcp_memory.storage import hook_state
from mcp_memory.storage.hook_state import HookSession
from mcp_memory.storage.inline import InlineReader, run_now, write_inline
from mcp_memory.storage.library import MIN_SQLITE, open_plain

TYPE_CHECKING = False  # typing is not imported at run time: a hook process starts faster
if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from typing import Any, TypeVar

    from mcp_memory.storage.keywords import KeywordSource
    from mcp_memory.storage.query import Transaction

    _T = TypeVar("_T")

__all__ = ["HookDatabase", "HookSession", "open_database", "session"]

#: Hook rows older than this are removed when a session starts.
KEEP_DAYS = 30


def _library(preference: str) -> Any:
    """The standard library's sqlite3 when it is new enough for the keyword index (and not
    overruled by MCP_MEMORY_SQLITE), else the bundled sqlean. Extensions are never needed here."""
    if preference != "sqlean" and sqlite3.sqlite_version_info >= MIN_SQLITE:
        return sqlite3
    import sqlean  # type: ignore[import-untyped,unused-ignore]

    return sqlean


class HookDatabase:
    """One hook's connection to the memory database, on either engine: `reader` answers the
    storage functions' reads at once, `write` runs a write transaction to its end."""

    def __init__(self, conn: Any, reader: KeywordSource, write: Callable[..., Any]) -> None:
        self.conn = conn
        self.reader = reader
        self._write = write
        self.dialect = reader.dialect

    def write(self, work: Callable[[Transaction], Awaitable[_T]]) -> _T:
        """`work` in one transaction of its own, committed when it returns, rolled back on error."""
        return self._write(work)  # type: ignore[no-any-return]

    def close(self) -> None:
        self.conn.close()


def open_database(settings: Settings) -> HookDatabase | None:
    """A connection to the memory database (the shared Postgres when MCP_MEMORY_DATABASE_URL is
    set, else the SQLite file), or None when there is none yet or it predates hooks. Connecting and
    every statement are bounded by the settings' busy timeout (the client is waiting)."""
    if settings.database_url:
        return _open_postgres(settings.database_url, settings.busy_timeout_ms)
    path = settings.database
    if not path.exists():
        return None
    conn: sqlite3.Connection = open_plain(_library(settings.sqlite), path, settings.busy_timeout_ms)
    database = HookDatabase(conn, InlineReader(conn), lambda work: write_inline(conn, work))
    if not run_now(hook_state.has_hook_tables(database.reader)):
        conn.close()
        return None
    return database


def _open_postgres(url: str, timeout_ms: int) -> HookDatabase | None:
    from contextlib import nullcontext

    from mcp_memory.storage.postgres.session import PgTransaction, open_session, run_transaction

    conn = open_session(url, timeout_ms=timeout_ms)
    database = HookDatabase(
        conn, PgTransaction(conn), lambda work: run_transaction(lambda: nullcontext(conn), work)
    )
    if not run_now(hook_state.has_hook_tables(database.reader)):
        conn.close()
        return None
    return database


def session(conn: HookDatabase, client: str, session_id: str, project: str) -> HookSession:
    """The session's row, created on first sight (a write transaction only then: every later hook of
    the session just reads it, taking no write lock on the prompt path)."""
    found = run_now(hook_state.read_session(conn.reader, session_id))
    if found is not None:
        return found
    now = time.time()

    async def add(tx: Transaction) -> HookSession | None:
        await hook_state.add_session(tx, session_id, client, project, now)
        return await hook_state.read_session(tx, session_id)

    found = conn.write(add)
    if found is None:  # pragma: no cover - the row was just written, in the same transaction
        raise RuntimeError(f"the hook session {session_id!r} was not recorded")
    return found


def note_injected(conn: HookDatabase, session_id: str, ids: Sequence[int]) -> None:
    """Remember which memories entered this session's context, so none comes twice."""
    if not ids:
        return

    async def note(tx: Transaction) -> None:
        known = await hook_state.read_injected(tx, session_id)
        await hook_state.set_injected(tx, session_id, list(dict.fromkeys([*known, *ids])), time.time())

    conn.write(note)


def forget_old(conn: HookDatabase) -> None:
    """Drop hook rows of sessions untouched for KEEP_DAYS."""
    cutoff = time.time() - KEEP_DAYS * 86400
    conn.write(lambda tx: hook_state.forget_sessions(tx, cutoff))
