"""The database as hooks use it: the standard library's sqlite3, the server's busy timeout.

A hook must start fast, so it opens the file without the server's connection layer (aiosqlite, the
sqlite-vec extension, migrations): storage's functions run over it at once (`storage.inline`:
`InlineReader` and `run_now` to read, `write_inline` for a write transaction). It reads memories and
writes only its own tables (`hook_sessions`, `hook_commands`, schema 4: `storage.hook_state`);
anything that becomes a memory or an episode goes through the services (`capture`). A database that
does not exist yet, or that no server of this version has upgraded, is left alone: the hook does
nothing.
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
    from typing import Any

    from mcp_memory.storage.query import Transaction

__all__ = ["HookSession", "open_database", "session"]

#: Hook rows older than this are removed when a session starts.
KEEP_DAYS = 30


def _library(preference: str) -> Any:
    """The standard library's sqlite3 when it is new enough for the keyword index (and not
    overruled by MCP_MEMORY_SQLITE), else the bundled sqlean. Extensions are never needed here."""
    if preference != "sqlean" and sqlite3.sqlite_version_info >= MIN_SQLITE:
        return sqlite3
    import sqlean  # type: ignore[import-untyped,unused-ignore]

    return sqlean


def open_database(settings: Settings) -> sqlite3.Connection | None:
    """A connection to the memory database, or None when there is none yet or it predates hooks.
    None on a shared Postgres too, for now: the hooks read the SQLite file only, so there they stay
    quiet (README, Team memory)."""
    if settings.database_url:
        return None
    path = settings.database
    if not path.exists():
        return None
    conn: sqlite3.Connection = open_plain(_library(settings.sqlite), path, settings.busy_timeout_ms)
    if not run_now(hook_state.has_hook_tables(InlineReader(conn))):
        conn.close()
        return None
    return conn


def session(conn: sqlite3.Connection, client: str, session_id: str, project: str) -> HookSession:
    """The session's row, created on first sight (a write transaction only then: every later hook of
    the session just reads it, taking no write lock on the prompt path)."""
    found = run_now(hook_state.read_session(InlineReader(conn), session_id))
    if found is not None:
        return found
    now = time.time()

    async def add(tx: Transaction) -> HookSession | None:
        await hook_state.add_session(tx, session_id, client, project, now)
        return await hook_state.read_session(tx, session_id)

    found = write_inline(conn, add)
    if found is None:  # pragma: no cover - the row was just written, in the same transaction
        raise RuntimeError(f"the hook session {session_id!r} was not recorded")
    return found


def note_injected(conn: sqlite3.Connection, session_id: str, ids: Sequence[int]) -> None:
    """Remember which memories entered this session's context, so none comes twice."""
    if not ids:
        return

    async def note(tx: Transaction) -> None:
        known = await hook_state.read_injected(tx, session_id)
        await hook_state.set_injected(tx, session_id, list(dict.fromkeys([*known, *ids])), time.time())

    write_inline(conn, note)


def forget_old(conn: sqlite3.Connection) -> None:
    """Drop hook rows of sessions untouched for KEEP_DAYS."""
    cutoff = time.time() - KEEP_DAYS * 86400
    write_inline(conn, lambda tx: hook_state.forget_sessions(tx, cutoff))
