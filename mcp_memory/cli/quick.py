"""`stats`, `recent` and `get` without the server's connection layer: a person typing them should not
wait for asyncio, aiosqlite, anyio and the services to import (0.35 s of a 0.4 s command).

The same service code answers: the reads in `services/memories/records.py` and
`services/maintenance/counts.py` are coroutines over a source that `storage.inline.InlineReader`
(a plain sqlite3 connection) answers at once, run to their end by `run_now`; the same functions in
`cli/output.py` print them. Where the quick path cannot answer exactly as the full one would, it
steps aside (returns None) and the full command runs: no database yet, a schema this version has not
upgraded (the full path migrates it), a file it cannot read, and `recent` with nothing to list (its
hint counts the other projects through the services).
"""

from __future__ import annotations

import argparse
import contextlib
import time
from typing import TYPE_CHECKING, Any

from mcp_memory.cli.output import Output, get_output, recent_output, stats_output
from mcp_memory.config import Settings

if TYPE_CHECKING:
    import sqlite3

    from mcp_memory.storage.library import SqliteLibrary

__all__ = ["QUICK_COMMANDS", "quick_output"]

#: The commands this module answers.
QUICK_COMMANDS = frozenset({"get", "recent", "stats"})
#: `stats` reports the model of a process that has not loaded it, as the full command does
#: (`ModelState.WAITING`; a test compares the two commands' output).
_MODEL_NOT_LOADED = "waiting"


def quick_output(command: str, args: argparse.Namespace, settings: Settings) -> Output | None:
    """The command's output, or None when the full command must answer."""
    if command not in QUICK_COMMANDS:
        return None
    opened = _open(settings)
    if opened is None:
        return None
    conn, library = opened
    try:
        from mcp_memory.storage.inline import InlineReader, run_now

        reader = InlineReader(conn)
        if command == "stats":
            from mcp_memory.services.maintenance.counts import count_store

            return stats_output(
                run_now(
                    count_store(
                        reader,
                        database_path=str(settings.database),
                        sqlite=f"{library.name} {library.version}",
                        embedding_model=settings.embedding_model,
                        model_state=_MODEL_NOT_LOADED,
                        model_problem=None,
                    )
                )
            )
        if command == "recent":
            return _recent(reader, args, settings)
        return _get(reader, args)
    finally:
        conn.close()


def _open(settings: Settings) -> tuple[sqlite3.Connection, SqliteLibrary] | None:
    """A read connection to an existing database at the schema this version writes, else None (and
    always None on a shared Postgres: the full command answers there)."""
    if settings.database_url:
        return None
    path = settings.database
    if not path.is_file():
        return None
    from mcp_memory.storage.counts import schema_version
    from mcp_memory.storage.inline import InlineReader, run_now
    from mcp_memory.storage.library import choose_sqlite, open_plain
    from mcp_memory.storage.migrations import LATEST_SCHEMA_VERSION

    library = choose_sqlite(settings.sqlite)
    try:
        conn: sqlite3.Connection = open_plain(library.module, path, settings.busy_timeout_ms)
    except Exception:  # not a database at all: the full command says what is wrong
        return None
    try:
        version = run_now(schema_version(InlineReader(conn)))
    except Exception:  # not a database of ours, or locked: the full command says what is wrong
        conn.close()
        return None
    if version != LATEST_SCHEMA_VERSION:
        conn.close()
        return None
    return conn, library


def _recent(reader: Any, args: argparse.Namespace, settings: Settings) -> Output | None:
    from mcp_memory.projects import project_from_path
    from mcp_memory.services.memories.records import recent_in
    from mcp_memory.storage.filters import build_filter
    from mcp_memory.storage.inline import run_now

    flt = build_filter(
        default_project=settings.project or project_from_path(settings.cwd), project=args.scope
    )
    found = run_now(recent_in(reader, flt, args.limit))
    return recent_output(found, None) if found else None


def _get(reader: Any, args: argparse.Namespace) -> Output:
    from mcp_memory.services.memories.records import read_memories
    from mcp_memory.storage.access_counts import count_reads_now
    from mcp_memory.storage.inline import run_now

    result, read = run_now(read_memories(reader, args.ids, include_history=args.history))
    if read:
        # Counted as the server counts a read; a busy database does not fail the command over it.
        with contextlib.suppress(Exception):  # access counts are a ranking hint, not data
            count_reads_now(reader.conn, read, time.time())
    return get_output(result, include_history=args.history)
