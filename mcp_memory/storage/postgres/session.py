"""One connection's statements and transactions on Postgres, without an event loop: what the
server's pool runs on its worker threads (`database.PgDatabase`) and what a client hook runs over
its one connection (`mcp_memory.hooks.db`). Nothing here imports anyio or numpy, so a hook starts
fast.
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any, TypeVar

from mcp_memory.errors import DatabaseError
from mcp_memory.logs import get_logger
from mcp_memory.storage.inline import run_now
from mcp_memory.storage.postgres.connect import connect, psycopg_module
from mcp_memory.storage.postgres.dialect import bind, row_factory, translate
from mcp_memory.storage.query import POSTGRES, Transaction

__all__ = ["WRITE_ATTEMPTS", "PgCursor", "PgTransaction", "open_session", "run_transaction"]

_T = TypeVar("_T")
_log = get_logger(__name__)

#: Attempts of one write transaction that keeps losing to other writers.
WRITE_ATTEMPTS = 8


class PgCursor:
    """What a statement answers, read at once from psycopg's cursor (`mcp_memory.storage.query.Cursor`)."""

    __slots__ = ("_rows", "rowcount")

    def __init__(self, cursor: Any) -> None:
        self.rowcount: int = cursor.rowcount
        self._rows: list[Any] = cursor.fetchall() if cursor.description is not None else []

    @property
    def lastrowid(self) -> int | None:
        """Postgres has no last row id; statements that need the new id say `RETURNING id`."""
        return None

    async def fetchone(self) -> Any:
        return self._rows[0] if self._rows else None

    async def fetchall(self) -> list[Any]:
        return list(self._rows)


class _Ready:
    __slots__ = ("_value",)

    def __init__(self, value: Any) -> None:
        self._value = value

    def __await__(self) -> Any:
        yield from ()
        return self._value


class PgTransaction:
    """One open transaction on a psycopg connection, as the services' write coroutines use it."""

    __slots__ = ("__weakref__", "_conn", "temp_tables")
    dialect = POSTGRES

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        #: As `PgDatabase.temp_tables` (a `KeywordSource`): the Postgres engine makes none.
        self.temp_tables: set[str] = set()

    def _run(self, sql: str, parameters: Sequence[Any]) -> Any:
        text, groups = translate(sql)
        values = bind(groups, parameters) if groups else parameters
        return self._conn.execute(text, values or None, binary=True)

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> Any:
        return _Ready(PgCursor(self._run(sql, parameters)))

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> Any:
        text, groups = translate(sql)
        with self._conn.cursor() as cursor:
            cursor.executemany(text, [bind(groups, row) if groups else row for row in parameters])
            return _Ready(PgCursor(cursor))

    async def execute_fetchall(self, sql: str, parameters: Sequence[Any] = ()) -> list[Any]:
        return list(self._run(sql, parameters).fetchall())

    fetchall = execute_fetchall

    async def fetch_many(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[list[Any]]:
        if len(statements) < 2:
            return [list(self._run(sql, params).fetchall()) for sql, params in statements]
        # Pipelined: every statement is sent before the first answer is awaited, one round trip.
        with self._conn.pipeline():
            cursors = [self._run(sql, params) for sql, params in statements]
        return [list(cursor.fetchall()) for cursor in cursors]


def run_transaction(
    connection: Callable[[], AbstractContextManager[Any]], work: Callable[[Transaction], Awaitable[_T]]
) -> _T:
    """Run `work` to its end in one transaction on a connection `connection()` lends, committed when
    it returns, rolled back if it raises, and run again from the start (a few times, after a growing
    random pause) when it loses to a concurrent writer: the server's pool and a hook's one
    connection alike."""
    psycopg = psycopg_module()
    delay = 0.02
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            with connection() as conn, conn.transaction():

                async def whole(conn: Any = conn) -> _T:
                    return await work(PgTransaction(conn))

                return run_now(
                    whole(),
                    refusal="a write transaction awaited something other than its database "
                    "connection; do that work before or after Database.write",
                )
        except (psycopg.errors.SerializationFailure, psycopg.errors.DeadlockDetected) as exc:
            if attempt == WRITE_ATTEMPTS:
                raise DatabaseError(
                    "the write kept conflicting with other writers; nothing was changed, try again."
                ) from exc
            _log.info("write conflicted with another writer, retrying", attempt=attempt)
            time.sleep(delay * (0.5 + random.random()))  # noqa: S311 - jitter, not crypto
            delay = min(delay * 2, 1.0)
    raise AssertionError("unreachable")  # pragma: no cover


def open_session(url: str, *, timeout_ms: int) -> Any:
    """One connection to `url` for a process that runs a few statements and ends (a client hook):
    reads in autocommit and write transactions serializable as in the pool, connecting and each
    statement bounded by `timeout_ms`, the settings sent with the connection (no trip of their own)
    and no vector adapters (a hook reads no vector, and numpy would cost its start)."""
    seconds = max(1, -(-timeout_ms // 1000))
    conn = connect(url, autocommit=True, timeout_s=seconds, options=f"-c statement_timeout={int(timeout_ms)}")
    conn.isolation_level = psycopg_module().IsolationLevel.SERIALIZABLE
    conn.row_factory = row_factory
    return conn
