"""The family modules' SQL, as Postgres runs it: `?` parameters become psycopg's `%s` (and a literal
`%` becomes `%%`), rows answer by position and by column name like `sqlite3.Row`."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any, cast

__all__ = ["Row", "bind", "row_factory", "translate"]


#: One parameter list collapsed into an array: (index of its first parameter, how many).
_Group = tuple[int, int]

_MARK = "\x00"  # a parameter, while the statement is rewritten (no SQL text holds a NUL)
_IN_LIST = re.compile(r"\b(NOT\s+)?IN\s*\(\x00(?:\s*,\s*\x00)*\s*\)", re.IGNORECASE)


@functools.lru_cache(maxsize=2048)
def translate(sql: str) -> tuple[str, tuple[_Group, ...]]:
    """`sql` as psycopg runs it: each `?` outside quoted text and comments turned into `%s`, every `%`
    doubled (psycopg reads `%` as the start of a parameter wherever it is), SQLite's planner hint
    `NOT INDEXED` (which changes no result) left out, and each list of parameters `x IN (?, ?, ...)`
    made one array parameter, `x = ANY(%s)` (`NOT IN`: `<> ALL`, the same answer, NULLs included);
    with the parameter groups `bind` folds. A statement then has one text whatever its lists'
    lengths, so Postgres parses and plans it once per connection (psycopg prepares a statement run
    five times) instead of once per length, and a few hundred ids bind as one value."""
    marked = _placeholders(_HINT.sub("", sql))
    groups: list[_Group] = []
    out: list[str] = []
    seen = position = 0
    for match in _IN_LIST.finditer(marked):
        before = marked[position : match.start()]
        seen += before.count(_MARK)
        count = match.group(0).count(_MARK)
        groups.append((seen, count))
        out.append(before)
        out.append(("<> ALL(" if match.group(1) else "= ANY(") + _MARK + ")")
        seen += count
        position = match.end()
    out.append(marked[position:])
    return "".join(out).replace(_MARK, "%s"), tuple(groups)


def bind(groups: Sequence[_Group], parameters: Sequence[Any]) -> list[Any]:
    """`parameters` with each group of `translate` made one list (the array its `ANY` reads)."""
    values = list(parameters)
    for start, count in reversed(groups):
        values[start : start + count] = [values[start : start + count]]
    return values


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
            out.append(_MARK)
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
