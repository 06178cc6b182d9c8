"""A write transaction in one hop to the writer's thread.

Write transactions are coroutines over an `aiosqlite.Connection` (`Database.write(work)`), and each
statement they await is a round trip between the event loop and the connection's thread: about
70 microseconds each on an idle machine, more beside a search, so a store's ten statements spent
more time travelling than in SQLite. `run_inline` instead runs the whole coroutine inside the
connection's thread, with `InlineConnection` standing in for the aiosqlite connection: the same
methods, answered at once from the `sqlite3` connection underneath, so every `await` completes
without suspending and one `send` finishes the transaction.

A transaction awaiting anything else (a sleep, another thread) could not finish that way; it is
rolled back and reported as a programming error rather than left half done.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Coroutine, Generator, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

if TYPE_CHECKING:
    from mcp_memory.storage.query import Transaction

__all__ = [
    "InlineConnection",
    "InlineCursor",
    "InlineReader",
    "fetch_each",
    "run_inline",
    "run_now",
    "write_inline",
]

_T = TypeVar("_T")


class InlineCursor:
    """The parts of aiosqlite's cursor that write transactions use."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()


class _Ready(Generic[_T]):
    """An awaitable, and async context manager, whose result is already there."""

    __slots__ = ("_value",)

    def __init__(self, value: _T) -> None:
        self._value = value

    def __await__(self) -> Generator[Any, None, _T]:
        yield from ()  # a generator that finishes on its first step, with the value
        return self._value

    async def __aenter__(self) -> _T:
        return self._value

    async def __aexit__(self, *exc: object) -> None:
        return None


class InlineConnection:
    """The parts of `aiosqlite.Connection` that write transactions use, run on the calling thread."""

    __slots__ = ("_conn",)
    dialect = "sqlite"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> _Ready[InlineCursor]:
        return _Ready(InlineCursor(self._conn.execute(sql, parameters)))

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> _Ready[InlineCursor]:
        return _Ready(InlineCursor(self._conn.executemany(sql, parameters)))

    async def execute_fetchall(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
        return self._conn.execute(sql, parameters).fetchall()

    fetchall = execute_fetchall  # so that a transaction is a `mcp_memory.storage.query.QuerySource`

    async def fetch_many(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[list[Any]]:
        return fetch_each(self._conn, statements)


def run_now(
    coroutine: Coroutine[Any, Any, _T],
    *,
    refusal: str = "the work awaited something other than its database connection",
) -> _T:
    """Run a coroutine that never suspends (every await answered at once, as by `InlineConnection`
    and `InlineReader`) to its end on this thread, without an event loop. Raises RuntimeError with
    `refusal` if it awaits anything else."""
    try:
        coroutine.send(None)
    except StopIteration as finished:
        return cast(_T, finished.value)
    coroutine.close()
    raise RuntimeError(refusal)


def run_inline(conn: sqlite3.Connection, work: Callable[[Transaction], Awaitable[_T]]) -> _T:
    """Run `work` to its end on this thread over `conn` (see the module's note). Raises RuntimeError
    if it awaits anything but the connection."""

    async def whole() -> _T:
        return await work(InlineConnection(conn))

    return run_now(
        whole(),
        refusal="a write transaction awaited something other than its database connection; do that "
        "work before or after Database.write",
    )


def write_inline(conn: sqlite3.Connection, work: Callable[[Transaction], Awaitable[_T]]) -> _T:
    """`run_inline` in a write transaction of its own over the autocommit connection `conn`, taken at
    once (BEGIN IMMEDIATE: it waits up to the connection's busy timeout for other writers, as
    `Database.write` does), committed when `work` returns and rolled back on any error: how a process
    without the server's connection layer (a client hook) writes."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = run_inline(conn, work)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return result


def fetch_each(conn: sqlite3.Connection, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[list[Any]]:
    """The rows of each statement, in order, on `conn` (a failure stops there and raises)."""
    return [conn.execute(sql, params).fetchall() for sql, params in statements]


class InlineReader:
    """The read methods of `mcp_memory.storage.Reader` over a plain sqlite3 connection, answered at
    once: the services' read coroutines run over it with `run_now` (the command line's quick
    commands: no event loop, no aiosqlite)."""

    dialect = "sqlite"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        #: Names of TEMP tables made on the connection (as `Database.temp_tables`: the keyword
        #: statistics' scratch tables).
        self.temp_tables: set[str] = set()

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self.conn.execute(sql, params).fetchall()

    execute_fetchall = fetchall

    async def fetch_many(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[list[Any]]:
        return fetch_each(self.conn, statements)
