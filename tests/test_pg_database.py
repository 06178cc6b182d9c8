"""The Postgres engine's database object: the services' reads and write transactions on a real
Postgres, concurrent writers, and a server that is missing or goes away."""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import Any

import anyio
import pytest

from mcp_memory.errors import DatabaseError
from mcp_memory.storage.postgres.database import PgDatabase
from mcp_memory.storage.postgres.team import setup_team
from mcp_memory.storage.query import Transaction
from tests.postgres import PostgresServer, start_server


@pytest.fixture
def url(postgres: PostgresServer) -> str:
    """The administrator's URL of a fresh database with the team schema."""
    database = postgres.new_database()
    admin = postgres.url(database)
    setup_team(admin, 4)
    return admin


def test_reads_and_writes_run_the_family_modules_sql(url: str) -> None:
    """`?` parameters, RETURNING, rows by position and by column name, and a rolled-back transaction
    that leaves nothing behind."""

    async def main() -> None:
        db = await PgDatabase.open(url)
        try:

            async def store(conn: Transaction) -> int:
                cursor = await conn.execute(
                    "INSERT INTO memories(content, content_hash, created_at, updated_at) VALUES (?, ?, ?, ?) "
                    "RETURNING id",
                    ("uses 100% ninja?", "h", 1.5, 1.5),
                )
                row = await cursor.fetchone()
                await conn.execute("INSERT INTO memory_tags(memory_id, tag) VALUES (?, ?)", (row[0], "build"))
                return int(row[0])

            memory = await db.write(store)
            row = await db.fetchone("SELECT id, content, tags_text FROM memories WHERE id = ?", (memory,))
            assert row is not None
            assert (row[0], row["content"], row["tags_text"]) == (memory, "uses 100% ninja?", "build")

            async def broken(conn: Transaction) -> None:
                await conn.execute("DELETE FROM memories WHERE id = ?", (memory,))
                raise RuntimeError("changed my mind")

            with pytest.raises(RuntimeError):
                await db.write(broken)
            assert await db.scalar("SELECT count(*) FROM memories") == 1
        finally:
            await db.close()

    anyio.run(main)


def test_parameter_lists_are_one_array_with_the_same_answers(url: str) -> None:
    """`IN (?, ...)` and `NOT IN (?, ...)` run as one array parameter (one statement text for any
    length) and answer as the lists would: ids, texts, a NULL in the list, and a `?` or `IN (?)`
    inside quoted text left alone."""
    from mcp_memory.storage.postgres.dialect import translate

    assert translate("SELECT 1 WHERE a IN (?, ?) AND b = ? AND c NOT IN (?)") == (
        "SELECT 1 WHERE a = ANY(%s) AND b = %s AND c <> ALL(%s)",
        ((0, 2), (3, 1)),
    )
    assert (
        translate("SELECT id FROM memories WHERE id IN (?, ?, ?)")[0]
        == translate("SELECT id FROM memories WHERE id IN (?)")[0]
    )

    async def main() -> None:
        db = await PgDatabase.open(url)
        try:

            async def store(conn: Transaction) -> list[int]:
                ids = []
                for text in ("alpha", "beta", "gamma 100%"):
                    cursor = await conn.execute(
                        "INSERT INTO memories(content, content_hash, created_at, updated_at) "
                        "VALUES (?, ?, 1, 1) RETURNING id",
                        (text, text),
                    )
                    ids.append(int((await cursor.fetchone())[0]))
                return ids

            a, b, c = await db.write(store)
            rows = await db.fetchall("SELECT id FROM memories WHERE id IN (?, ?) ORDER BY id", (a, c))
            assert [r[0] for r in rows] == [a, c]
            rows = await db.fetchall(
                "SELECT content FROM memories WHERE content IN (?, ?) AND id NOT IN (?) ORDER BY id",
                ("alpha", "gamma 100%", a),
            )
            assert [r[0] for r in rows] == ["gamma 100%"]
            # NOT IN with a NULL in the list matches nothing, as SQL's lists do.
            assert await db.fetchall("SELECT id FROM memories WHERE id NOT IN (?, ?)", (a, None)) == []
            rows = await db.fetchall("SELECT 'IN (?)', id FROM memories WHERE id IN (?)", (b,))
            assert [tuple(r) for r in rows] == [("IN (?)", b)]
        finally:
            await db.close()

    anyio.run(main)


def test_concurrent_read_then_write_transactions_lose_no_update(url: str) -> None:
    """Two databases (two servers) each add 1 to the same value 40 times, reading it first: the
    transactions are serializable and retried, so the value ends at 80."""

    async def bump(db: PgDatabase) -> None:
        async def work(conn: Transaction) -> None:
            rows = await conn.fetchall("SELECT value FROM meta WHERE key = 'counter'")
            await conn.execute("UPDATE meta SET value = ? WHERE key = 'counter'", (str(int(rows[0][0]) + 1),))

        for _ in range(40):
            await db.write(work)

    def server(results: list[Any]) -> None:
        async def main() -> None:
            db = await PgDatabase.open(url)
            try:
                await bump(db)
            finally:
                await db.close()

        try:
            anyio.run(main)
        except BaseException as exc:  # reported to the test below
            results.append(exc)

    async def seed() -> None:
        db = await PgDatabase.open(url)
        await db.execute_script(["INSERT INTO meta(key, value) VALUES ('counter', '0')"])
        await db.close()

    anyio.run(seed)
    failures: list[Any] = []
    threads = [threading.Thread(target=server, args=(failures,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []

    async def final() -> Any:
        db = await PgDatabase.open(url)
        try:
            return await db.scalar("SELECT value FROM meta WHERE key = 'counter'")
        finally:
            await db.close()

    assert anyio.run(final) == "80"


def test_a_database_without_the_schema_says_to_run_setup(postgres: PostgresServer) -> None:
    """Opening a database nobody set up names the command that sets it up."""
    url = postgres.url(postgres.new_database())
    with pytest.raises(DatabaseError, match="team setup"):
        anyio.run(PgDatabase.open, url)


def test_an_unreachable_server_is_a_clear_error() -> None:
    """Opening a URL where no server listens fails within the connect timeout, naming the host."""
    with pytest.raises(DatabaseError, match=r"127\.0\.0\.1.*unreachable"):
        anyio.run(PgDatabase.open, "postgresql://alice:pw@127.0.0.1:1/memory")


def test_a_refused_connection_says_why_at_once(postgres: PostgresServer) -> None:
    """A role the server does not know is refused with libpq's reason and where a password belongs,
    not after a pool's timeout as 'unreachable'; the password never appears."""
    url = postgres.url(postgres.new_database(), "nobody", "s3cret-pw")
    with pytest.raises(DatabaseError) as refused:
        anyio.run(PgDatabase.open, url)
    message = str(refused.value)
    assert "refused the connection" in message
    assert 'role "nobody" does not exist' in message
    assert "~/.pgpass" in message
    assert "s3cret-pw" not in message


def test_the_server_stopped_and_started_under_a_live_database() -> None:
    """While the server is down a call fails with a clear error and changes nothing; once it is back
    the same database object reconnects and works, without being reopened."""
    folder = Path(tempfile.mkdtemp(prefix="mcp-memory-postgres-restart-"))
    server = start_server(folder / "data", delete=True)
    try:
        database = server.new_database()
        url = server.url(database)
        setup_team(url, 4)

        async def main() -> None:
            db = await PgDatabase.open(url)
            try:
                assert await db.scalar("SELECT count(*) FROM memories") == 0
                async with anyio.create_task_group() as group:  # the pool opens all its connections
                    for _ in range(4):
                        group.start_soon(db.scalar, "SELECT pg_sleep(0.3)")
                server.pause()
                with pytest.raises(DatabaseError, match="unreachable"):
                    await db.execute_script(["INSERT INTO meta(key, value) VALUES ('lost', 'x')"])
                server.resume()
                assert await db.scalar("SELECT count(*) FROM meta WHERE key = 'lost'") == 0
                # The pool's other connections are from before the restart: reads and writes drop
                # them for new ones, and none of these calls fails.
                for _ in range(4):
                    assert await db.scalar("SELECT count(*) FROM memories") == 0
                for n in range(4):
                    await db.execute_script([f"INSERT INTO meta(key, value) VALUES ('back{n}', 'x')"])
                assert await db.scalar("SELECT count(*) FROM meta WHERE key LIKE 'back%'") == 4
            finally:
                await db.close()

        anyio.run(main)
    finally:
        server.stop()
