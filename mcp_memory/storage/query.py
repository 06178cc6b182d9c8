"""The two things storage functions run their SQL on, whatever holds the connection.

`QuerySource` reads: a `Reader` or `Database`, a `Transaction`, or the quick command line's
`InlineReader`. `Transaction` is what `Database.write(work)` hands `work`: it reads like a
`QuerySource` and also writes. Storage functions take one of these two and nothing else, so a
second engine's connection objects can stand in for them without a service noticing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Sequence
from typing import Any, Protocol

__all__ = ["POSTGRES", "SQLITE", "Cursor", "QuerySource", "Transaction"]

#: The engines' names, as `QuerySource.dialect` says them.
SQLITE = "sqlite"
POSTGRES = "postgres"


class QuerySource(Protocol):
    """Runs read queries: the rows of one statement, or of several in one trip. `dialect` names the
    engine ("sqlite" or "postgres"), for the few storage functions whose SQL differs between them."""

    @property
    def dialect(self) -> str: ...

    async def fetchall(self, sql: str, params: Sequence[Any] = (), /) -> list[Any]: ...

    async def fetch_many(self, statements: Sequence[tuple[str, Sequence[Any]]], /) -> list[list[Any]]: ...


class Cursor(Protocol):
    """What a write statement answers: the rows it changed, a new row's id, rows it returned."""

    @property
    def rowcount(self) -> int: ...

    @property
    def lastrowid(self) -> int | None: ...

    async def fetchone(self) -> Any: ...

    async def fetchall(self) -> list[Any]: ...


class Transaction(QuerySource, Protocol):
    """One open write transaction (`Database.write`): reads see its own writes."""

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Awaitable[Cursor]: ...

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Awaitable[Cursor]: ...

    async def execute_fetchall(self, sql: str, parameters: Sequence[Any] = (), /) -> list[Any]: ...
