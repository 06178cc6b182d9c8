"""What only SQLite answers, for the statistics, the doctor and the timeline: the file's size in
pages, its integrity checks, whether the build has sqlite-vec and FTS5, and its date functions.

A second engine answers these its own way (its database size, its checks, its date functions)
in a module of its own beside this one. Nothing here imports the connection layer: the quick
command line counts with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mcp_memory.storage.query import QuerySource

__all__ = [
    "SIZE_STATEMENTS",
    "TIME_BUCKETS",
    "integrity_problems",
    "probe_fts5",
    "probe_vec_version",
    "time_bucket",
    "vec_version",
]

#: Two statements whose single numbers multiply to the file's size in bytes (pages, page size), for
#: a caller that runs them in its own trip.
SIZE_STATEMENTS: tuple[str, str] = ("PRAGMA page_count", "PRAGMA page_size")

#: The start of a memory's day, week (from Monday) or month, UTC, from `m.created_at` (seconds).
_BUCKETS = {
    "day": "date(m.created_at, 'unixepoch')",
    "week": "date(m.created_at, 'unixepoch', 'weekday 0', '-6 days')",
    "month": "strftime('%Y-%m-01', m.created_at, 'unixepoch')",
}
#: The buckets `time_bucket` knows.
TIME_BUCKETS = frozenset(_BUCKETS)


#: The same buckets in Postgres' terms.
_PG_BUCKETS = {
    "day": "to_char(to_timestamp(m.created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
    "week": "to_char(date_trunc('week', to_timestamp(m.created_at) AT TIME ZONE 'UTC'), 'YYYY-MM-DD')",
    "month": "to_char(to_timestamp(m.created_at) AT TIME ZONE 'UTC', 'YYYY-MM-01')",
}


def time_bucket(bucket: str, dialect: str = "sqlite") -> str:
    """The SQL expression of the `bucket` ('day', 'week' or 'month') a memory `m` was stored in, as
    'YYYY-MM-DD', in `dialect`; KeyError for another bucket."""
    return (_PG_BUCKETS if dialect == "postgres" else _BUCKETS)[bucket]


async def integrity_problems(source: QuerySource, *, quick: bool = False) -> list[str]:
    """SQLite's integrity check (`quick_check` when `quick`): ['ok'] for a sound file, else its
    findings."""
    rows = await source.fetchall("PRAGMA quick_check" if quick else "PRAGMA integrity_check")
    return [str(r[0]) for r in rows]


async def vec_version(source: QuerySource) -> Any:
    """The loaded sqlite-vec extension's version (raises when it is not loaded)."""
    rows = await source.fetchall("SELECT vec_version()")
    return rows[0][0] if rows else None


def probe_vec_version(conn: Any) -> Any:
    """`vec_version` on a plain sqlite3 connection (raises when the extension is not loaded)."""
    return conn.execute("SELECT vec_version()").fetchone()[0]


def probe_fts5(conn: Any) -> None:
    """Create a scratch FTS5 table on a plain connection (raises when the build lacks FTS5)."""
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='porter unicode61')")
