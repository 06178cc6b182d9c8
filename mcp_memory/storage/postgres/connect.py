"""Connecting to Postgres: the URL shown without its password, a bounded connect timeout, the schema
on the search path, and one clear error when the server cannot be reached."""

from __future__ import annotations

import re
from typing import Any

from mcp_memory.errors import DatabaseError

__all__ = [
    "CONNECT_TIMEOUT_S",
    "SCHEMA",
    "connect",
    "describe_url",
    "engine_version",
    "member_url",
    "pgpass_line",
    "probe",
    "psycopg_module",
    "unreachable",
]

#: The schema that holds mcp-memory's tables in the shared database.
SCHEMA = "mcp_memory"

#: Seconds to wait for a connection before saying the database is unreachable.
CONNECT_TIMEOUT_S = 5

_PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*@")


def describe_url(url: str) -> str:
    """`url` without its password, for messages and logs."""
    return _PASSWORD.sub(r"\1***@", url)


def psycopg_module() -> Any:
    """psycopg, or an error saying how to install the `postgres` extra."""
    try:
        import psycopg
    except ImportError as exc:
        raise DatabaseError(
            "a Postgres database URL is set but the Postgres driver is not installed; install the "
            "`postgres` extra (`uv tool install '.[postgres]'` from the checkout) or unset "
            "MCP_MEMORY_DATABASE_URL to use the SQLite file."
        ) from exc
    return psycopg


def connect(
    url: str, *, autocommit: bool = False, timeout_s: int = CONNECT_TIMEOUT_S, options: str = ""
) -> Any:
    """A psycopg connection to `url` with mcp-memory's schema first on the search path (and the
    server settings of `options`, `-c name=value ...`, sent with it); a `DatabaseError` naming the
    server (not the password) when it cannot be reached within `timeout_s` seconds."""
    psycopg = psycopg_module()
    try:
        return psycopg.connect(
            url,
            autocommit=autocommit,
            connect_timeout=timeout_s,
            options=f"-c search_path={SCHEMA},public {options}".strip(),
        )
    except psycopg.OperationalError as exc:
        raise unreachable(url, exc) from exc


def unreachable(url: str, exc: BaseException) -> DatabaseError:
    """The one error for a server that cannot be reached, naming it without its password."""
    reason = " ".join(str(exc).split()) or type(exc).__name__
    return DatabaseError(
        f"the database at {describe_url(url)} is unreachable: {reason}; nothing was changed."
    )


def member_url(admin_url: str, member: str) -> str:
    """`admin_url` for the role `member`, without a password (the member keeps theirs in ~/.pgpass)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(admin_url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{member}@{host}"))


def pgpass_line(url: str, password: str) -> str:
    """The ~/.pgpass line for `url`'s role and `password` (':' and '\\' escaped, as libpq reads them)."""
    from urllib.parse import parse_qs, urlsplit

    parts = urlsplit(url)
    query = parse_qs(parts.query)
    host = parts.hostname or query.get("host", ["localhost"])[0]
    if host.startswith("/"):  # a Unix socket: libpq names the default folder 'localhost', others by path
        host = "*"
    fields = [host, str(parts.port or 5432), parts.path.lstrip("/") or "*", parts.username or "*", password]
    return ":".join(f.replace("\\", "\\\\").replace(":", "\\:") for f in fields)


_REFUSED = ("password authentication failed", "no password supplied", 'role "', "does not exist")


def probe(url: str) -> None:
    """Connect once, straight away, so a refusal says why (libpq's own words: a wrong password, a
    missing ~/.pgpass entry, no such role or database) at once, instead of a pool's timeout."""
    psycopg = psycopg_module()
    try:
        psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S).close()
    except psycopg.OperationalError as exc:
        reason = " ".join(str(exc).split())
        if any(part in reason for part in _REFUSED):
            raise DatabaseError(
                f"the database at {describe_url(url)} refused the connection: {reason}. Check the role "
                "and its password: in the URL, or in ~/.pgpass (chmod 600; its host field must match "
                "the URL's host exactly, its line host:port:database:role:password). Nothing was changed."
            ) from exc
        raise unreachable(url, exc) from exc


async def engine_version(source: Any) -> str:
    """'PostgreSQL 18.6, pgvector 0.8.6': what the stats show where SQLite shows its library."""
    rows = await source.fetchall(
        "SELECT current_setting('server_version'), (SELECT extversion FROM pg_extension WHERE extname = 'vector')"
    )
    server, vector = (rows[0][0], rows[0][1]) if rows else ("?", None)
    return f"PostgreSQL {server}" + (f", pgvector {vector}" if vector else "")
