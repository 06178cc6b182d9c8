"""Public memory ids, and the condition that makes a memory row live: each written once, here.

A memory's public id is 'm_<row id>'. Every place that turns a row id into a public id or back
uses these functions; every query that keeps only live memories uses `LIVE` (or `live(alias)`).
"""

from __future__ import annotations

__all__ = ["LIVE", "format_id", "live", "parse_id", "rowid_of"]

#: The SQL condition of a memory that is not deleted (column of `memories`, unqualified).
LIVE = "deleted_at IS NULL"


def live(alias: str) -> str:
    """`LIVE` for the memories table under `alias` in a join (e.g. `live("m")`)."""
    if not alias.isidentifier():
        raise ValueError(f"bad table alias {alias!r}")
    return f"{alias}.{LIVE}"


def format_id(rowid: int) -> str:
    """The public id of a memory row: 'm_<n>'."""
    return f"m_{rowid}"


def parse_id(memory_id: str) -> int | None:
    """The row id in 'm_12' (or '12'), or None when it is not an id at all."""
    text = memory_id.strip()
    if text.startswith("m_"):
        text = text[2:]
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        return None
    return int(text)


def rowid_of(memory_id: str) -> int:
    """The row id of an id this program made itself ('m_12'); ValueError for anything else.
    Input from a user goes through `parse_id`, which answers None instead."""
    rowid = parse_id(memory_id)
    if rowid is None:
        raise ValueError(f"not a memory id: {memory_id!r}")
    return rowid
