"""The family modules' SQL, as Postgres runs it: `?` parameters become psycopg's `%s` (and a literal
`%` becomes `%%`), rows answer by position and by column name like `sqlite3.Row`."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any, cast

__all__ = ["Row", "row_factory", "to_postgres"]


@functools.lru_cache(maxsize=2048)
def to_postgres(sql: str) -> str:
    """`sql` with each `?` outside quoted text and comments turned into `%s`, every `%` doubled
    (psycopg reads `%` as the start of a parameter wherever it is), and SQLite's planner hint
    `NOT INDEXED` (which changes no result) left out."""
    return _placeholders(_HINT.sub("", sql))


_HINT = re.compile(r"\s+NOT INDEXED\b")


def _placeholders(sql: str) -> str:
    out: list[str] = []
    quote: str | None = None
    i = 0
    while i < len(sql):
        char = sql[i]
        if quote is None and sql.startswith("--", i):
            end = sql.find("\n", i)
            end = len(sql) if end < 0 else end
            out.append(sql[i:end].replace("%", "%%"))
            i = end
            continue
        if char == "%":
            out.append("%%")
        elif quote is not None:
            out.append(char)
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
            out.append(char)
        elif char == "?":
            out.append("%s")
        else:
            out.append(char)
        i += 1
    return "".join(out)


class Row(tuple[Any, ...]):
    """A row of a query: a tuple that also answers `row["column"]` and `keys()`, as sqlite3.Row."""

    __slots__ = ()
    _names: dict[str, int]

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._names[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


def row_factory(cursor: Any) -> Any:
    """A psycopg row factory making `Row`s named after the cursor's columns."""
    description: Sequence[Any] | None = cursor.description
    if description is None:
        return tuple
    names = {column.name: index for index, column in enumerate(description)}
    row_type = type("Row", (Row,), {"__slots__": (), "_names": names})

    def make(values: Sequence[Any]) -> Row:
        return cast(Row, row_type(values))

    return make


def register_vectors(conn: Any) -> None:
    """On `conn`: numpy float32 arrays bind as pgvector `vector` values (pgvector's own dumpers), and
    `vector` values read back as little-endian float32 bytes, the blobs the SQLite engine stores, so
    the code reading vectors is the same on both engines."""
    import numpy as np
    from pgvector.psycopg.vector import register_vector_info
    from psycopg.adapt import Loader
    from psycopg.pq import Format
    from psycopg.types import TypeInfo

    info = TypeInfo.fetch(conn, "vector")
    register_vector_info(conn, info)

    class TextLoader(Loader):
        format = Format.TEXT

        def load(self, data: Any) -> bytes:
            text = bytes(data).decode("ascii").strip("[]")
            return np.array([float(x) for x in text.split(",")] if text else [], dtype="<f4").tobytes()

    class BinaryLoader(Loader):
        format = Format.BINARY

        def load(self, data: Any) -> bytes:
            # vector_send: dimensions (int16), unused (int16), then the numbers as big-endian float4.
            return np.frombuffer(bytes(data), dtype=">f4", offset=4).astype("<f4").tobytes()

    assert info is not None
    conn.adapters.register_loader(info.oid, TextLoader)
    conn.adapters.register_loader(info.oid, BinaryLoader)
