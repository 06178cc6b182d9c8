"""The database as hooks use it: the standard library's sqlite3, plain SQL, the server's busy timeout.

A hook must start fast, so it opens the file without the server's connection layer (aiosqlite, the
sqlite-vec extension, migrations). It reads memories and writes only its own tables (`hook_sessions`,
`hook_commands`, schema 4); anything that becomes a memory or an episode goes through the services
(`capture`). A database that does not exist yet, or that no server of this version has upgraded, is
left alone: the hook does nothing.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from mcp_memory.config import Settings
from mcp_memory.storage.library import MIN_SQLITE, open_plain

TYPE_CHECKING = False  # typing is not imported at run time: a hook process starts faster
if TYPE_CHECKING:
    from typing import Any

__all__ = ["HookSession", "live_clause", "open_database", "session", "transaction"]

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
    """A connection to the memory database, or None when there is none yet or it predates hooks."""
    path = settings.database
    if not path.exists():
        return None
    conn: sqlite3.Connection = open_plain(_library(settings.sqlite), path, settings.busy_timeout_ms)
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'hook_sessions'"
    ).fetchone()
    if found is None:
        conn.close()
        return None
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction, taken at once (BEGIN IMMEDIATE: waits up to the busy timeout for other
    writers, as the server does), committed on success and rolled back on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def live_clause(alias: str = "m") -> str:
    """Memories a reader should see: not deleted, not archived, not expired (one `?`: now)."""
    return (
        f"{alias}.deleted_at IS NULL AND {alias}.archived_at IS NULL "
        f"AND ({alias}.expires_at IS NULL OR {alias}.expires_at > ?)"
    )


def scope(project: str) -> tuple[str, list[Any]]:
    """A session's memories: its project's and the global ones."""
    return "m.project IN (?, '')", [project]


class HookSession:
    """What the hooks remember of one client session."""

    __slots__ = ("episode_id", "injected", "lessons", "project", "session_id", "started_at", "steps")

    def __init__(
        self,
        session_id: str,
        project: str,
        started_at: float,
        injected: list[int],
        lessons: int,
        episode_id: int | None,
        steps: int,
    ) -> None:
        self.session_id = session_id
        self.project = project
        self.started_at = started_at
        self.injected = injected
        self.lessons = lessons
        self.episode_id = episode_id
        self.steps = steps


def session(conn: sqlite3.Connection, client: str, session_id: str, project: str) -> HookSession:
    """The session's row, created on first sight (a write transaction only then: every later hook of
    the session just reads it, taking no write lock on the prompt path)."""
    read = "SELECT * FROM hook_sessions WHERE session_id = ?"
    row = conn.execute(read, (session_id,)).fetchone()
    if row is None:
        now = time.time()
        with transaction(conn):
            conn.execute(
                "INSERT OR IGNORE INTO hook_sessions(session_id, client, project, started_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (session_id, client, project, now, now),
            )
            row = conn.execute(read, (session_id,)).fetchone()
    return HookSession(
        session_id=session_id,
        project=str(row["project"]),
        started_at=float(row["started_at"]),
        injected=[int(i) for i in json.loads(row["injected"])],
        lessons=int(row["lessons"]),
        episode_id=None if row["episode_id"] is None else int(row["episode_id"]),
        steps=int(row["steps"]),
    )


def note_injected(conn: sqlite3.Connection, session_id: str, ids: Sequence[int]) -> None:
    """Remember which memories entered this session's context, so none comes twice."""
    if not ids:
        return
    with transaction(conn):
        row = conn.execute(
            "SELECT injected FROM hook_sessions WHERE session_id = ?", (session_id,)
        ).fetchone()
        known = json.loads(row["injected"]) if row else []
        merged = list(dict.fromkeys([*known, *ids]))
        conn.execute(
            "UPDATE hook_sessions SET injected = ?, updated_at = ? WHERE session_id = ?",
            (json.dumps(merged), time.time(), session_id),
        )


def forget_old(conn: sqlite3.Connection) -> None:
    """Drop hook rows of sessions untouched for KEEP_DAYS."""
    cutoff = time.time() - KEEP_DAYS * 86400
    with transaction(conn):
        conn.execute(
            "DELETE FROM hook_commands WHERE session_id IN "
            "(SELECT session_id FROM hook_sessions WHERE updated_at < ?)",
            (cutoff,),
        )
        conn.execute("DELETE FROM hook_sessions WHERE updated_at < ?", (cutoff,))
