"""The database file: modes, WAL, migrations and their checksums, library choice, write retries."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import aiosqlite
import pytest

from mcp_memory.errors import DatabaseError, SchemaTooNew
from mcp_memory.storage import LATEST_SCHEMA_VERSION, Database, choose_sqlite
from mcp_memory.storage.connection import is_busy_error
from mcp_memory.storage.migrations import split_statements

pytestmark = pytest.mark.anyio


async def test_new_database_is_private_wal_and_migrated(tmp_path: Path) -> None:
    """A new database gets a 0700 folder, a 0600 file, WAL mode and the latest schema."""
    path = tmp_path / "nested" / "memory.db"
    db = await Database.open(path)
    try:
        assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert (await db.scalar("PRAGMA journal_mode")) == "wal"
        assert (await db.scalar("PRAGMA foreign_keys")) == 1
        assert (await db.scalar("SELECT max(version) FROM schema_migrations")) == LATEST_SCHEMA_VERSION
        assert (await db.scalar("SELECT vec_version()")).startswith("v")
    finally:
        await db.close()


async def test_existing_world_readable_file_is_tightened(tmp_path: Path) -> None:
    """An existing database file readable by others is made 0600 on open."""
    path = tmp_path / "memory.db"
    path.touch()
    os.chmod(path, 0o644)
    db = await Database.open(path)
    await db.close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


async def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    """Opening a migrated database again leaves one record per migration."""
    path = tmp_path / "memory.db"
    for _ in range(2):
        db = await Database.open(path)
        count = await db.scalar("SELECT count(*) FROM schema_migrations")
        await db.close()
    assert count == LATEST_SCHEMA_VERSION


async def test_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    """A schema version above what this build knows is refused with an upgrade hint."""
    path = tmp_path / "memory.db"
    db = await Database.open(path)

    async def bump(conn: aiosqlite.Connection) -> None:
        await conn.execute(
            "INSERT INTO schema_migrations(version, name, checksum, applied_at) VALUES (?, 'future', 'x', 0)",
            (LATEST_SCHEMA_VERSION + 1,),
        )

    await db.write(bump)
    await db.close()
    with pytest.raises(SchemaTooNew, match="newer mcp-memory"):
        await Database.open(path)


async def test_a_changed_migration_is_detected(tmp_path: Path) -> None:
    """A recorded checksum that differs from the code's migration is reported, not ignored."""
    path = tmp_path / "memory.db"
    db = await Database.open(path)
    await db.execute_script(["UPDATE schema_migrations SET checksum = 'tampered' WHERE version = 1"])
    await db.close()
    with pytest.raises(DatabaseError, match="does not match"):
        await Database.open(path)


async def test_failed_write_rolls_back_everything(tmp_path: Path) -> None:
    """An exception inside a write transaction leaves no partial change."""
    db = await Database.open(tmp_path / "memory.db")

    async def half(conn: aiosqlite.Connection) -> None:
        await conn.execute("INSERT INTO meta(key, value) VALUES ('a', '1')")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await db.write(half)
    assert await db.scalar("SELECT count(*) FROM meta WHERE key = 'a'") == 0
    await db.close()


async def test_a_write_transaction_runs_whole_on_the_writers_thread(tmp_path: Path) -> None:
    """Statements, cursors and their results work as on an aiosqlite connection; a transaction that
    awaits anything but its connection is rolled back with an error naming the fix, and the writer
    keeps working."""
    import asyncio

    db = await Database.open(tmp_path / "memory.db")
    try:

        async def several(conn: aiosqlite.Connection) -> tuple[int | None, int, list[str]]:
            cursor = await conn.execute("INSERT INTO meta(key, value) VALUES ('x', '1')")
            changed = await conn.executemany(
                "INSERT INTO meta(key, value) VALUES (?, ?)", [("y", "2"), ("z", "3")]
            )
            async with conn.execute(
                "SELECT value FROM meta WHERE key IN ('x', 'y', 'z') ORDER BY key"
            ) as rows:
                values = [str(r[0]) for r in await rows.fetchall()]
            assert (await conn.execute_fetchall("SELECT count(*) FROM meta WHERE key = 'z'"))[0][0] == 1
            return cursor.lastrowid, changed.rowcount, values

        rowid, count, values = await db.write(several)
        assert rowid is not None
        assert count == 2
        assert values == ["1", "2", "3"]

        async def wanders(conn: aiosqlite.Connection) -> None:
            await conn.execute("INSERT INTO meta(key, value) VALUES ('w', '1')")
            await asyncio.sleep(0)  # gives control back: it cannot finish in one step

        with pytest.raises(RuntimeError, match=r"before or after Database\.write"):
            await db.write(wanders)
        assert await db.scalar("SELECT count(*) FROM meta WHERE key = 'w'") == 0
        await db.write(lambda conn: conn.execute("INSERT INTO meta(key, value) VALUES ('after', '1')"))
        assert await db.scalar("SELECT value FROM meta WHERE key = 'after'") == "1"
    finally:
        await db.close()


async def test_several_reads_in_one_trip_run_in_order(tmp_path: Path) -> None:
    """fetch_many runs its statements in order on the reader (a TEMP table made by the first is
    there for the next) and returns each one's rows; a failing statement raises."""

    db = await Database.open(tmp_path / "memory.db")
    try:
        rows = await db.fetch_many(
            [
                ("CREATE TEMP TABLE scratch(x)", ()),
                ("INSERT INTO scratch VALUES (?), (?)", (1, 2)),
                ("SELECT x FROM scratch ORDER BY x DESC", ()),
                ("SELECT count(*) FROM schema_migrations", ()),
            ]
        )
        assert [list(r) for r in rows[2]] == [[2], [1]]
        assert rows[3][0][0] >= 1
        with pytest.raises(db.library.module.Error, match="no such table"):
            await db.fetch_many([("SELECT 1", ()), ("SELECT * FROM missing_table", ())])
    finally:
        await db.close()


async def test_unwritable_location_says_what_to_do(tmp_path: Path) -> None:
    """A database path that cannot be created names the setting that moves it."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DatabaseError, match="MCP_MEMORY_DB"):
        await Database.open(blocker / "sub" / "memory.db")


def test_sqlite_choice_falls_back_to_sqlean_when_needed() -> None:
    """auto uses the standard library only if it can load extensions; otherwise sqlean."""
    import sqlite3

    library = choose_sqlite("auto")
    stdlib_ok = hasattr(sqlite3.Connection, "enable_load_extension") and sqlite3.sqlite_version_info >= (
        3,
        43,
    )
    assert library.name == ("sqlite3" if stdlib_ok else "sqlean")
    assert choose_sqlite("sqlean").name == "sqlean"
    if not stdlib_ok:
        with pytest.raises(DatabaseError, match="MCP_MEMORY_SQLITE=sqlean"):
            choose_sqlite("sqlite3")


def test_trigger_bodies_stay_whole_when_splitting() -> None:
    """Splitting a migration keeps a trigger's inner statements inside it."""
    import sqlite3

    sql = (
        "CREATE TABLE a(x);\nCREATE TRIGGER t AFTER DELETE ON a BEGIN\n  DELETE FROM a;\n  SELECT 1;\nEND;\n"
    )
    parts = split_statements(sql, sqlite3.complete_statement)
    assert len(parts) == 2
    assert parts[1].startswith("CREATE TRIGGER")
    assert parts[1].endswith("END;")


def test_busy_errors_are_recognised() -> None:
    """Only lock contention counts as retryable."""
    assert is_busy_error(Exception("database is locked"))
    assert not is_busy_error(Exception("no such table: x"))


async def test_writer_retries_while_another_process_holds_the_lock(tmp_path: Path) -> None:
    """A write that meets another connection's open write transaction waits and then succeeds."""
    import anyio

    path = tmp_path / "memory.db"
    db = await Database.open(path, busy_timeout_ms=50)
    library = choose_sqlite("auto")
    other = library.module.connect(str(path), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")

    async def release() -> None:
        await anyio.sleep(0.4)
        other.execute("COMMIT")

    async def put(conn: aiosqlite.Connection) -> None:
        await conn.execute("INSERT INTO meta(key, value) VALUES ('k', 'v')")

    async with anyio.create_task_group() as tg:
        tg.start_soon(release)
        await db.write(put)
    assert await db.scalar("SELECT value FROM meta WHERE key = 'k'") == "v"
    other.close()
    await db.close()
