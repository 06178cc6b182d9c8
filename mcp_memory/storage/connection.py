"""Opening the database: which sqlite3 module, sqlite-vec loading, pragmas, file modes, transactions.

One process holds two connections, each on its own aiosqlite thread: a writer, used under a lock so
that one write transaction runs at a time in this process, and a reader, so searches never wait for a
write (WAL lets them read the last committed state). Other processes (a second client's server, the
CLI) coordinate through SQLite's own locking: writes begin with BEGIN IMMEDIATE, wait up to the busy
timeout, and are retried with backoff a bounded number of times before an error reaches anyone.
"""

from __future__ import annotations

import importlib.util
import os
import random
import sqlite3
import stat
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar, cast

import aiosqlite
import anyio

from mcp_memory.errors import DatabaseError
from mcp_memory.logs import get_logger
from mcp_memory.storage.inline import InlineReader, fetch_each, run_inline, run_now
from mcp_memory.storage.library import SqliteLibrary, choose_sqlite
from mcp_memory.storage.migrations import migrate
from mcp_memory.storage.query import QuerySource, Transaction

__all__ = [
    "Database",
    "Reader",
    "SqliteLibrary",
    "choose_sqlite",
    "connect_plain",
    "is_busy_error",
    "load_vec_extension",
    "vec_extension_path",
]

_log = get_logger(__name__)
_T = TypeVar("_T")

#: Whole-transaction retries after SQLite's own busy timeout has already expired once.
_WRITE_ATTEMPTS = 8


def vec_extension_path() -> str:
    """Where sqlite-vec's loadable extension is, found without importing the package (it imports
    numpy, which costs 0.2 s at start-up)."""
    spec = importlib.util.find_spec("sqlite_vec")
    if spec is None or not spec.submodule_search_locations:
        raise DatabaseError("the sqlite-vec package is not installed; reinstall mcp-memory.")
    return str(Path(next(iter(spec.submodule_search_locations))) / "vec0")


def load_vec_extension(conn: Any) -> None:
    """Load sqlite-vec into a connection, then switch extension loading off again."""
    conn.enable_load_extension(True)
    try:
        conn.load_extension(vec_extension_path())
    finally:
        conn.enable_load_extension(False)


def connect_plain(location: str, library: SqliteLibrary | None = None) -> Any:
    """A plain (synchronous, autocommit) connection with sqlite-vec loaded, for checks and tools
    outside the server's connection pair."""
    library = library or choose_sqlite("auto")
    conn = library.module.connect(location, isolation_level=None)
    load_vec_extension(conn)
    return conn


def is_busy_error(exc: BaseException) -> bool:
    """Whether an exception is SQLite's 'database is locked' / 'busy', which a retry can cure."""
    text = str(exc).lower()
    return "database is locked" in text or "database is busy" in text or "sqlite_busy" in text


def _absolute(path: Path | str) -> Path:
    return Path(path).expanduser().resolve()


def _prepare_file(path: Path) -> None:
    """Create the folder 0700 and the file 0600 before SQLite touches them (it copies the file's mode
    to the -wal and -shm files)."""
    parent = path.parent
    if not parent.exists():
        parent.mkdir(parents=True, mode=0o700, exist_ok=True)
        os.chmod(parent, 0o700)
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        os.chmod(path, 0o600)


async def _on_thread(connection: aiosqlite.Connection, fn: Callable[..., _T], *args: Any) -> _T:
    """`fn(sqlite3_connection, *args)` on the aiosqlite connection's own thread, queued behind its
    other work. aiosqlite has no public way to do this; its internal queue (`_execute`) is used, and
    pyproject caps the version for that. Every write and batched read goes through here."""
    run = cast(Callable[..., Awaitable[_T]], connection._execute)
    return await run(fn, connection._conn, *args)


class Reader:
    """Read queries on one connection (each aiosqlite connection has a thread of its own)."""

    dialect = "sqlite"

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._reader = connection

    async def fetchall(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
        """Rows of one read query."""
        return list(await self._reader.execute_fetchall(sql, params))

    #: `fetchall` under an aiosqlite connection's name, so a `Reader` is a
    #: `mcp_memory.storage.query.QuerySource`.
    execute_fetchall = fetchall

    async def fetchone(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any | None:
        """The first row of one read query, or None."""
        async with self._reader.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def scalar(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        """The first column of the first row, or None."""
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def run(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        """`work(connection)` on this reader's thread, in one trip: for reads with computing between
        them (a search's last stage, run with `storage.inline.run_now` over an `InlineReader`). It
        must only read."""
        return await _on_thread(self._reader, work)

    async def run_reads(self, reads: Callable[[QuerySource], Coroutine[Any, Any, _T]]) -> _T:
        """`reads(source)` in one trip to this reader's thread, over a source answering at once
        (`mcp_memory.storage.inline.InlineReader`): for reads with computing between them, such as a
        search's last stage. It must only read."""

        def work(conn: sqlite3.Connection) -> _T:
            return run_now(reads(InlineReader(conn)))

        return await self.run(work)

    async def read_snapshot(self, reads: Callable[[QuerySource], Coroutine[Any, Any, _T]]) -> _T:
        """`reads(source)` as `run_reads`, inside one read transaction: every statement sees the
        database as it was at the first, whatever other connections commit meanwhile (an export
        reads a dozen tables that must agree)."""

        def work(conn: sqlite3.Connection) -> _T:
            conn.execute("BEGIN")
            try:
                return run_now(reads(InlineReader(conn)))
            finally:
                conn.execute("ROLLBACK")  # it only read

        return await self.run(work)

    async def fetch_many(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[list[Any]]:
        """Several statements in order in one trip to the connection's thread (each awaited
        statement is a round trip of its own: ~70 microseconds idle, more beside a search); the
        rows of each. A failure stops there and raises."""
        return await _on_thread(self._reader, fetch_each, statements)


class Database(Reader):
    """A writer and two reader connections to one SQLite file (one connection for `:memory:`).

    Reads go to the first reader; `second_reader` is the second, for a query that should not wait behind
    another: a search's vector stage re-scores there while its keyword stage runs on the first (SQLite
    releases the GIL while it steps, so the two use both cores)."""

    def __init__(
        self,
        path: Path | None,
        library: SqliteLibrary,
        writer: aiosqlite.Connection,
        readers: tuple[aiosqlite.Connection, aiosqlite.Connection],
    ) -> None:
        super().__init__(readers[0])
        self.path = path
        self.library = library
        self._writer = writer
        self._second = readers[1]
        self.second_reader = Reader(readers[1])
        self._write_lock = anyio.Lock()
        #: Names of TEMP tables made on the reader connection (by features that need scratch space).
        self.temp_tables: set[str] = set()

    @classmethod
    async def open(cls, path: Path | str, *, sqlite: str = "auto", busy_timeout_ms: int = 5000) -> Database:
        """Open (creating if needed) the database at `path`, or an in-memory one for ':memory:'."""
        library = choose_sqlite(sqlite)
        memory = str(path) == ":memory:"
        file_path = None if memory else _absolute(path)
        if file_path is not None:
            try:
                _prepare_file(file_path)
            except OSError as exc:
                raise DatabaseError(
                    f"cannot create the database at {file_path}: {exc.strerror or exc}. "
                    "Set MCP_MEMORY_DB (or --db) to a writable path."
                ) from exc
        location = ":memory:" if file_path is None else str(file_path)
        vec_extension_path()  # fail early, with its message, if sqlite-vec is missing

        def connector() -> Any:
            conn = library.module.connect(
                location, timeout=busy_timeout_ms / 1000, isolation_level=None, check_same_thread=False
            )
            conn.row_factory = library.module.Row
            load_vec_extension(conn)
            for pragma in (
                f"PRAGMA busy_timeout = {int(busy_timeout_ms)}",
                "PRAGMA foreign_keys = ON",
                # FULL: a write the client saw acknowledged survives power loss, not only a crash.
                "PRAGMA synchronous = FULL",
                "PRAGMA temp_store = MEMORY",
                "PRAGMA cache_size = -4000",
                # No memory map: pages read through it count in the process's RSS (bench/README.md),
                # while the page cache outside it is the kernel's to reclaim; with the two-stage
                # search the difference in speed was noise.
                "PRAGMA mmap_size = 0",
            ):
                conn.execute(pragma)
            return conn

        try:
            writer = aiosqlite.Connection(connector, 64)
            await writer
            if file_path is not None:
                row = await (await writer.execute("PRAGMA journal_mode = WAL")).fetchone()
                if row is None or str(row[0]).lower() != "wal":
                    raise DatabaseError(
                        f"could not switch {file_path} to WAL mode; is it on a network share?"
                    )
                reader = aiosqlite.Connection(connector, 64)
                await reader
                second = aiosqlite.Connection(connector, 64)
                await second
                # It reads vectors scattered over the file, which a cache barely helps.
                await second.execute("PRAGMA cache_size = -2000")
            else:
                reader = second = writer
        except DatabaseError:
            raise
        except Exception as exc:
            raise DatabaseError(
                f"cannot open the database at {location} with {library.name} {library.version}: {exc}. "
                "`mcp-memory doctor` checks the file and the SQLite extension."
            ) from exc
        db = cls(file_path, library, writer, (reader, second))
        try:
            await migrate(db, library.module.complete_statement)
        except BaseException:
            await db.close()
            raise
        return db

    async def close(self) -> None:
        """Close the connections; safe to call twice."""
        connections = (self._reader, self._second, self._writer)
        for conn in {id(c): c for c in connections}.values():
            try:
                await conn.close()
            except Exception as exc:  # pragma: no cover - closing a broken connection
                _log.debug("close failed", error=str(exc))

    # -- writes --------------------------------------------------------------------------------------

    def _transaction(self, conn: sqlite3.Connection, work: Callable[[Transaction], Awaitable[_T]]) -> _T:
        """One write transaction, on the writer's thread (`mcp_memory.storage.inline`)."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = run_inline(conn, work)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return result

    async def write(self, work: Callable[[Transaction], Awaitable[_T]]) -> _T:
        """Run `work` inside one write transaction, committed when it returns, rolled back if it
        raises. The transaction runs whole on the writer's thread, one hop from the event loop
        (`mcp_memory.storage.inline`), and finishes even if the caller is cancelled meanwhile. When another
        process holds the write lock past the busy timeout, the whole transaction is retried with
        jittered backoff, so 'database is locked' reaches no client unless the database stays locked
        for a long time."""
        delay = 0.05
        for attempt in range(1, _WRITE_ATTEMPTS + 1):
            try:
                async with self._write_lock:
                    with anyio.CancelScope(shield=True):
                        return await _on_thread(self._writer, self._transaction, work)
            except Exception as exc:
                if not is_busy_error(exc) or attempt == _WRITE_ATTEMPTS:
                    if is_busy_error(exc):
                        raise DatabaseError(
                            "the database stayed locked by another process for too long; "
                            "try again, and check for a stuck process with `mcp-memory doctor`."
                        ) from exc
                    raise
                _log.info("database busy, retrying write", attempt=attempt)
                await anyio.sleep(delay * (0.5 + random.random()))  # noqa: S311 - jitter, not crypto
                delay = min(delay * 2, 2.0)
        raise AssertionError("unreachable")  # pragma: no cover

    async def execute_script(self, statements: Iterable[str]) -> None:
        """Run statements in one write transaction (used by maintenance and tests)."""

        async def work(conn: Transaction) -> None:
            for sql in statements:
                await conn.execute(sql)

        await self.write(work)
