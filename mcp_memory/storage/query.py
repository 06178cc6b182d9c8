"""What helpers that read inside and outside a write transaction take."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

__all__ = ["QuerySource"]


class QuerySource(Protocol):
    """What runs a read query: a `Reader` or `Database`, or an aiosqlite connection inside a write
    transaction. Helpers that serve both take this instead of checking which one they were given."""

    async def execute_fetchall(self, sql: str, parameters: Sequence[Any], /) -> Iterable[Any]: ...
