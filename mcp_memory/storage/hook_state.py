"""The hooks' own state (schema 4): `hook_sessions`, one row a client session (its project, the
memories that entered its context, the lessons it stored, the commands already in an episode), and
`hook_commands`, the commands it saw fail and the fixes that followed.

The hooks' rules (how many failures a session keeps, how many lessons, when rows are old) stay in
`mcp_memory.hooks`; these functions only read and write the rows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mcp_memory.storage.query import POSTGRES

if TYPE_CHECKING:
    from mcp_memory.storage.query import QuerySource, Transaction

__all__ = [
    "HookCommand",
    "HookSession",
    "add_command",
    "add_session",
    "commands",
    "count_commands",
    "count_failures",
    "count_lesson",
    "forget_sessions",
    "has_hook_tables",
    "read_injected",
    "read_session",
    "set_injected",
    "set_steps",
    "touch_session",
    "unfixed_failures",
]


# Plain classes, not dataclasses: every hook process imports this module, and a frozen dataclass
# costs about a millisecond of start-up to define.


class HookSession:
    """What the hooks remember of one client session (read-only by convention)."""

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
        #: Row ids of the memories that entered the session's context, in that order.
        self.injected = injected
        self.lessons = lessons
        self.episode_id = episode_id
        #: How many of the session's commands are already steps of an episode.
        self.steps = steps


class HookCommand:
    """A command a session saw: one that failed (`ok` false), or one that worked right after a
    similar failure, which it `fixes` (that failure's id). Read-only by convention."""

    __slots__ = ("command", "fixes", "id", "ok", "output")

    def __init__(self, id: int, command: str, output: str, ok: bool, fixes: int | None) -> None:
        self.id = id
        self.command = command
        self.output = output
        self.ok = ok
        self.fixes = fixes


async def has_hook_tables(source: QuerySource) -> bool:
    """Whether the database has the hooks' tables (a server of this version has upgraded it)."""
    if source.dialect == POSTGRES:
        rows = await source.fetchall("SELECT to_regclass('hook_sessions') IS NOT NULL")
        return bool(rows[0][0])
    rows = await source.fetchall(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'hook_sessions'"
    )
    return bool(rows)


_SESSION = (
    "SELECT session_id, project, started_at, injected, lessons, episode_id, steps "
    "FROM hook_sessions WHERE session_id = ?"
)


async def read_session(source: QuerySource, session_id: str) -> HookSession | None:
    """The session's row, or None before its first hook."""
    rows = await source.fetchall(_SESSION, (session_id,))
    if not rows:
        return None
    row = rows[0]
    return HookSession(
        session_id=str(row[0]),
        project=str(row[1]),
        started_at=float(row[2]),
        injected=[int(i) for i in json.loads(row[3])],
        lessons=int(row[4]),
        episode_id=None if row[5] is None else int(row[5]),
        steps=int(row[6]),
    )


async def add_session(tx: Transaction, session_id: str, client: str, project: str, now: float) -> None:
    """Add the session's row (nothing when another hook of the session just added it)."""
    # On a shared Postgres a session is one member's (its key is the owner and the session id).
    key = "owner, session_id" if tx.dialect == POSTGRES else "session_id"
    await tx.execute(
        "INSERT INTO hook_sessions(session_id, client, project, started_at, updated_at) "
        f"VALUES (?, ?, ?, ?, ?) ON CONFLICT ({key}) DO NOTHING",
        (session_id, client, project, now, now),
    )


async def read_injected(source: QuerySource, session_id: str) -> list[int]:
    """The row ids of the memories that entered the session's context ([] for no such session)."""
    rows = await source.fetchall("SELECT injected FROM hook_sessions WHERE session_id = ?", (session_id,))
    return [int(i) for i in json.loads(rows[0][0])] if rows else []


async def set_injected(tx: Transaction, session_id: str, ids: Sequence[int], now: float) -> None:
    """Record `ids` as the memories that entered the session's context."""
    await tx.execute(
        "UPDATE hook_sessions SET injected = ?, updated_at = ? WHERE session_id = ?",
        (json.dumps(list(ids)), now, session_id),
    )


async def touch_session(tx: Transaction, session_id: str, now: float) -> None:
    """Mark the session as active at `now` (its rows are kept while it is)."""
    await tx.execute("UPDATE hook_sessions SET updated_at = ? WHERE session_id = ?", (now, session_id))


async def count_lesson(tx: Transaction, session_id: str, now: float) -> None:
    """Count one more lesson stored by the session."""
    await tx.execute(
        "UPDATE hook_sessions SET lessons = lessons + 1, updated_at = ? WHERE session_id = ?",
        (now, session_id),
    )


async def set_steps(tx: Transaction, session_id: str, steps: int, now: float) -> None:
    """Record that the session's first `steps` commands are in an episode."""
    await tx.execute(
        "UPDATE hook_sessions SET steps = ?, updated_at = ? WHERE session_id = ?", (steps, now, session_id)
    )


async def forget_sessions(tx: Transaction, untouched_since: float) -> None:
    """Delete the sessions last active before `untouched_since`, with their commands."""
    await tx.execute(
        "DELETE FROM hook_commands WHERE session_id IN "
        "(SELECT session_id FROM hook_sessions WHERE updated_at < ?)",
        (untouched_since,),
    )
    await tx.execute("DELETE FROM hook_sessions WHERE updated_at < ?", (untouched_since,))


async def add_command(
    tx: Transaction, session_id: str, command: str, output: str, *, ok: bool, fixes: int | None, at: float
) -> None:
    """Record a command the session saw (see `HookCommand`)."""
    await tx.execute(
        "INSERT INTO hook_commands(session_id, command, output, ok, fixes, at) VALUES (?, ?, ?, ?, ?, ?)",
        (session_id, command, output, int(ok), fixes, at),
    )


async def count_commands(source: QuerySource, session_id: str) -> int:
    """How many commands the session recorded (failures and fixes)."""
    rows = await source.fetchall("SELECT count(*) FROM hook_commands WHERE session_id = ?", (session_id,))
    return int(rows[0][0])


async def count_failures(source: QuerySource, session_id: str) -> int:
    """How many failing commands the session recorded."""
    rows = await source.fetchall(
        "SELECT count(*) FROM hook_commands WHERE session_id = ? AND ok = 0", (session_id,)
    )
    return int(rows[0][0])


def _command(row: Any) -> HookCommand:
    fixes = row[4]
    return HookCommand(
        int(row[0]), str(row[1]), str(row[2]), bool(row[3]), None if fixes is None else int(fixes)
    )


async def unfixed_failures(source: QuerySource, session_id: str, limit: int) -> list[HookCommand]:
    """The session's latest failing commands that no later command fixed, newest first."""
    rows = await source.fetchall(
        "SELECT c.id, c.command, c.output, c.ok, c.fixes FROM hook_commands c WHERE c.session_id = ? "
        "AND c.ok = 0 AND NOT EXISTS (SELECT 1 FROM hook_commands f WHERE f.fixes = c.id) "
        "ORDER BY c.id DESC LIMIT ?",
        (session_id, limit),
    )
    return [_command(r) for r in rows]


async def commands(source: QuerySource, session_id: str) -> list[HookCommand]:
    """Every command the session recorded, in order."""
    rows = await source.fetchall(
        "SELECT id, command, output, ok, fixes FROM hook_commands WHERE session_id = ? ORDER BY id",
        (session_id,),
    )
    return [_command(r) for r in rows]
