"""The Postgres engine's `Database`: the same reads and write transactions as the SQLite one
(`mcp_memory.storage.connection.Database`), over a pool of psycopg connections.

A write transaction is the same coroutine the SQLite engine runs: here it runs whole on a worker
thread over one pooled connection, every await answered at once by the synchronous driver
(`mcp_memory.storage.inline.run_now`), so the services' transactions need no second, asynchronous
version. A transaction that loses a race with another writer (serialization failure, deadlock) is
retried from the start; one that fails because the server went away reports it and changed nothing.
After the server comes back the next call reconnects: a read that finds its pooled connection
broken runs again once on a fresh one (a read changes nothing, so running it again is safe), and a
write checks its connection before it begins (a write that failed part-way is never run twice on a
guess); reads pay no checking trip of their own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from mcp_memory.errors import DatabaseError
from mcp_memory.storage.inline import run_now
from mcp_memory.storage.postgres.connect import (
    CONNECT_TIMEOUT_S,
    SCHEMA,
    describe_url,
    probe,
    psycopg_module,
    unreachable,
)
from mcp_memory.storage.postgres.dialect import register_vectors, row_factory
from mcp_memory.storage.postgres.schema import MIGRATIONS
from mcp_memory.storage.postgres.session import PgCursor, PgTransaction, run_transaction
from mcp_memory.storage.query import POSTGRES, QuerySource, Transaction

__all__ = ["PgCursor", "PgDatabase", "PgTransaction"]

_T = TypeVar("_T")

#: Longest a statement may run before the server cancels it (milliseconds).
STATEMENT_TIMEOUT_MS = 30_000


def _configure(conn: Any) -> None:
    """Each pooled connection: reads in autocommit (each its own snapshot, nothing left open), and
    write transactions serializable, so two servers' read-then-write steps (a duplicate check, a
    version number) cannot interleave: one of them fails to commit and runs again."""
    psycopg = psycopg_module()
    conn.autocommit = True
    conn.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
    conn.row_factory = row_factory
    if conn.execute("SELECT to_regtype('vector')").fetchone()[0] is not None:
        register_vectors(conn)  # else `open` finds no schema and says to run `team setup`
    conn.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}")
    # pgvector 0.8: an HNSW scan with a filter keeps walking until it has enough rows that pass.
    conn.execute("SET hnsw.iterative_scan = relaxed_order")
    conn.execute(f"SET search_path = {SCHEMA}, public")


class PgDatabase:
    """A pool of connections to one Postgres database, as one member (the URL's role)."""

    dialect = POSTGRES

    def __init__(self, url: str, pool: Any) -> None:
        self.url = url
        self.path = None
        self._pool = pool
        self.temp_tables: set[str] = set()
        #: One pool serves every read; a search's two stages share it (the SQLite engine's second reader).
        self.second_reader = self

    @classmethod
    async def open(cls, url: str, *, max_size: int = 4) -> PgDatabase:
        """Connect to the database at `url` (checking that `mcp-memory team setup` made its schema)."""
        psycopg_module()  # the extra's message, if the driver is missing
        from psycopg_pool import ConnectionPool

        def start() -> Any:
            probe(url)
            pool = ConnectionPool(
                url,
                min_size=1,
                max_size=max_size,
                timeout=CONNECT_TIMEOUT_S,
                kwargs={"connect_timeout": CONNECT_TIMEOUT_S},
                configure=_configure,
                open=False,
            )
            try:
                pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
            except Exception as exc:
                pool.close()
                raise unreachable(url, exc) from exc
            return pool

        db = cls(url, await anyio.to_thread.run_sync(start))
        if await db.scalar("SELECT to_regclass(?)", (f"{SCHEMA}.schema_migrations",)) is None:
            await db.close()
            raise DatabaseError(
                f"the database at {describe_url(url)} has no mcp-memory schema; an administrator runs "
                "`mcp-memory team setup --database-url ADMIN_URL` once."
            )
        version = await db.scalar(f"SELECT coalesce(max(version), 0) FROM {SCHEMA}.schema_migrations")
        latest = max(m.version for m in MIGRATIONS)
        if int(version or 0) < latest:
            await db.close()
            raise DatabaseError(
                f"the database at {describe_url(url)} has schema version {version}; this mcp-memory needs "
                f"{latest}. An administrator runs `mcp-memory team setup --database-url ADMIN_URL` again "
                "(it applies only the missing steps, keeping every memory)."
            )
        return db

    async def close(self) -> None:
        """Close the pool; safe to call twice."""
        await anyio.to_thread.run_sync(self._pool.close)

    # -- reads ---------------------------------------------------------------------------------------

    def _run(self, work: Callable[[Any], _T]) -> _T:
        """`work` (reads only) over a pooled connection; once more on another when the first failed
        as a lost connection does (one from before the server restarted)."""
        for attempt in (1, 2):
            conn: Any = None
            try:
                with self._pool.connection() as conn:
                    return work(conn)
            except Exception as exc:
                if not _is_gone(exc):
                    raise
                if attempt == 2 or conn is None:  # no connection came: the pool waited its timeout
                    raise unreachable(self.url, exc) from exc
                # The pool drops the broken connection as it takes it back; the others it holds are
                # likely from before the restart too: it pings each and drops those that are lost.
                self._pool.check()
        raise AssertionError("unreachable")  # pragma: no cover

    async def run_reads(self, reads: Callable[[QuerySource], Coroutine[Any, Any, _T]]) -> _T:
        """`reads(source)` in one trip to a worker thread, over one pooled connection answering at
        once: for reads with computing between them (a search's last stage). It must only read."""

        def work(conn: Any) -> _T:
            return run_now(reads(PgTransaction(conn)))

        return await anyio.to_thread.run_sync(self._run, work)

    async def read_snapshot(self, reads: Callable[[QuerySource], Coroutine[Any, Any, _T]]) -> _T:
        """`reads(source)` as `run_reads`, inside one repeatable-read, read-only transaction: every
        statement sees the database as it was at the first."""

        def work(conn: Any) -> _T:
            with conn.transaction():
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                return run_now(reads(PgTransaction(conn)))

        return await anyio.to_thread.run_sync(self._run, work)

    async def fetch_many(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[list[Any]]:
        """The rows of each statement, in one trip to the pool."""
        return await self.run_reads(lambda source: source.fetch_many(statements))

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Rows of one read query."""
        return (await self.fetch_many([(sql, params)]))[0]

    execute_fetchall = fetchall

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Any | None:
        """The first row of one read query, or None."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row, or None."""
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    # -- writes --------------------------------------------------------------------------------------

    @contextmanager
    def _checked(self) -> Iterator[Any]:
        """A pooled connection that answered a ping just now: a broken one (the server restarted
        since it was opened) is dropped for a new one before a write begins."""
        from psycopg_pool import ConnectionPool

        with self._pool.connection() as conn:
            try:
                ConnectionPool.check_connection(conn)
            except psycopg_module().OperationalError:
                pass  # returned broken, so the pool drops it (and the others lost with it, below)
            else:
                yield conn
                return
        self._pool.check()
        with self._pool.connection() as conn:
            yield conn

    def _transaction(self, work: Callable[[Transaction], Awaitable[_T]]) -> _T:
        try:
            return run_transaction(self._checked, work)
        except Exception as exc:
            if _is_gone(exc):
                raise unreachable(self.url, exc) from exc
            raise

    async def write(self, work: Callable[[Transaction], Awaitable[_T]]) -> _T:
        """Run `work` inside one transaction, committed when it returns, rolled back if it raises,
        retried from the start when it loses to a concurrent writer. It finishes even if the caller
        is cancelled meanwhile."""
        with anyio.CancelScope(shield=True):
            return await anyio.to_thread.run_sync(self._transaction, work)
        raise AssertionError("unreachable")  # pragma: no cover - a shielded scope swallows nothing

    async def execute_script(self, statements: Iterable[str]) -> None:
        """Run statements in one write transaction."""

        async def work(conn: Transaction) -> None:
            for sql in statements:
                await conn.execute(sql)

        await self.write(work)


def _is_gone(exc: BaseException) -> bool:
    """Whether `exc` says the server cannot be reached (as opposed to a bad statement)."""
    psycopg = psycopg_module()
    from psycopg_pool import PoolTimeout

    return isinstance(exc, (psycopg.OperationalError, PoolTimeout)) and not isinstance(
        exc,
        (psycopg.errors.SerializationFailure, psycopg.errors.DeadlockDetected, psycopg.errors.QueryCanceled),
    )
