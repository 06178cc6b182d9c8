"""Shared fixtures: settings in a temp folder, a deterministic fake embedder, an in-memory and a file
database, and an in-process MCP client over the real server object."""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from mcp_memory.config import Settings
from mcp_memory.mcp.server import build_server
from mcp_memory.services.app import App, open_app
from tests.postgres import postgres  # noqa: F401 - the session's Postgres, for any test that asks

FAKE_DIM = 64
_WORD = re.compile(r"\w+")
_STOP = {"the", "a", "an", "of", "to", "and", "is", "in", "for", "we", "on", "with", "what", "which", "did"}


class FakeEmbedder:
    """Hashes words into a 64-dimension vector: texts that share words are similar, others are not.
    Deterministic, instant, and shaped like the real model's output (unit float32 blobs)."""

    def __init__(self, model_id: str, dim: int = FAKE_DIM) -> None:
        self.model_id = model_id
        self.dim = dim
        self.checksum = "fake"
        self.calls: list[int] = []

    def embed(self, texts: Sequence[str]) -> list[bytes]:
        self.calls.append(len(texts))
        out = []
        for text in texts:
            vec = [0.0] * self.dim
            for word in _WORD.findall(text.lower()):
                if word in _STOP:
                    continue
                digest = hashlib.md5(word.encode()).digest()  # noqa: S324 - a hash for bucketing, not security
                vec[digest[0] % self.dim] += 1.0 if digest[1] % 2 else -1.0
            norm = sum(v * v for v in vec) ** 0.5 or 1.0
            if norm == 1.0 and not any(vec):
                vec[0] = 1.0
            out.append(struct.pack(f"<{self.dim}f", *(v / norm for v in vec)))
        return out


def fake_loader(dim: int = FAKE_DIM) -> Callable[[Settings], FakeEmbedder]:
    def load(settings: Settings) -> FakeEmbedder:
        return FakeEmbedder(settings.embedding_model, dim)

    return load


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "db_path": tmp_path / "data" / "memory.db",
        "embedding_model": "fake-model",
        "project": "proj",
        "cwd": tmp_path,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test of the protocol (the `client` fixture over `settings`) runs on both engines."""
    if "client" in metafunc.fixturenames and "engine" in metafunc.fixturenames:
        metafunc.parametrize("engine", ["sqlite", "postgres"], indirect=True)


@pytest.fixture
def engine(request: pytest.FixtureRequest) -> str:
    """The engine a test's `settings` choose: 'sqlite' unless parametrized (the protocol tests)."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path, engine: str) -> Settings:
    """Test settings on the SQLite file in tmp_path, or (engine 'postgres') on a fresh team database
    of the session's Postgres, as the member alice."""
    chosen = make_settings(tmp_path)
    if engine == "postgres":
        from tests.postgres import team_database

        urls = team_database(request.getfixturevalue("postgres"), FAKE_DIM, ("alice",))
        chosen = chosen.replace(database_url=urls["alice"])
    return chosen


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[App]:
    """An App on a file database with the fake model loaded."""
    async with open_app(settings, loader=fake_loader()) as opened:
        await opened.load_model()
        yield opened


@pytest.fixture(params=["sqlite", "postgres"])
async def engine_app(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[App]:
    """An App with the fake model loaded, once on each engine: the SQLite file, and a fresh team
    database on the session's Postgres (connected as its administrator)."""
    database = None
    if request.param == "postgres":
        from mcp_memory.storage.postgres.database import PgDatabase
        from mcp_memory.storage.postgres.team import setup_team

        server = request.getfixturevalue("postgres")
        url = server.url(server.new_database())
        setup_team(url, FAKE_DIM)
        database = await PgDatabase.open(url)
    async with open_app(settings, loader=fake_loader(), database=database) as opened:  # type: ignore[arg-type]
        await opened.load_model()
        yield opened


@pytest.fixture
async def memory_app(tmp_path: Path) -> AsyncIterator[App]:
    """An App on an in-memory database with the fake model loaded."""
    async with open_app(make_settings(tmp_path, db_path=":memory:"), loader=fake_loader()) as opened:
        await opened.load_model()
        yield opened


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[Client]:
    """An in-process MCP client connected to the real server object (fake model), once on each
    engine (`engine`): the SQLite file, and a fresh team database on the session's Postgres as a
    member."""
    server = build_server(settings, loader=fake_loader())
    async with Client(server, mode="legacy") as connected:
        await wait_for_model(connected)
        yield connected


async def wait_for_model(client: Client, seconds: float = 20.0) -> None:
    """Poll until search runs in hybrid mode (the model loads in the background)."""
    with anyio.fail_after(seconds):
        while True:
            result = await client.call_tool("memory_search", {"query": "warm up"})
            if result.structured_content is not None and "mode_used" not in result.structured_content:
                return
            await anyio.sleep(0.05)


async def store_digest(app: App) -> str:
    """`db_digest` on either engine, through the app's own database: the rows of every memory
    table (read counts left out), and how many memories the keyword and vector indexes hold."""
    digest = hashlib.sha256()
    columns = (
        "id, content, content_hash, kind, importance, metadata, project, pinned, created_at, updated_at, "
        "expires_at, deleted_at, version, embedded, pin_note, archived_at"
    )
    queries = [f"SELECT {columns} FROM memories ORDER BY 1"] + [
        f"SELECT * FROM {table} ORDER BY 1, 2" for table in ("memory_tags", "memory_versions", "meta")
    ]
    if app.db.dialect == "postgres":
        queries += [
            "SELECT id, search::text FROM memories WHERE deleted_at IS NULL ORDER BY 1",
            "SELECT id, embedding::text FROM memories WHERE embedding IS NOT NULL ORDER BY 1",
        ]
    else:
        queries.append("SELECT count(*) FROM memories_fts")
        if app.vector_info is not None:
            queries.append(f"SELECT memory_id FROM {app.vector_info.table} ORDER BY 1")
    for query in queries:
        for row in await app.db.fetchall(query):
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


async def keyword_rows(app: App) -> int:
    """How many memories the keyword index finds words in, on either engine."""
    if app.db.dialect == "postgres":
        sql = "SELECT count(*) FROM memories WHERE deleted_at IS NULL AND search != ''::tsvector"
        return int(await app.db.scalar(sql))
    return int(await app.db.scalar("SELECT count(*) FROM memories_fts"))


async def vector_rows(app: App) -> int:
    """How many memories have a vector, on either engine."""
    assert app.vector_info is not None
    if app.db.dialect == "postgres":
        return int(await app.db.scalar("SELECT count(*) FROM memories WHERE embedding IS NOT NULL"))
    return int(await app.db.scalar(f"SELECT count(*) FROM {app.vector_info.table}"))


#: What a digest reads besides the memories, and the memories' columns it leaves out: read counts,
#: which the server writes a moment after earlier successful reads, so they may land while a later
#: call is being refused.
_DIGEST_TABLES = ("memory_tags", "memory_versions", "meta", "schema_migrations")
_READ_COUNTS = ("access_count", "last_accessed_at")


def _add_rows(digest: Any, run: Callable[[str], Any], columns: Sequence[str], order: str) -> None:
    """Feed `digest` every row of the memories (`columns`, by `order`) and of `_DIGEST_TABLES`,
    read through `run` (a connection's execute)."""
    queries = [f"SELECT {', '.join(columns)} FROM memories ORDER BY {order}"] + [
        f"SELECT * FROM {table} ORDER BY 1, 2" for table in _DIGEST_TABLES
    ]
    for query in queries:
        for row in run(query):
            digest.update(repr(tuple(row)).encode())


def store_rows(settings: Settings, sql: str) -> list[Any]:
    """The rows of `sql` read straight from the store `settings` choose (on Postgres as its member)."""
    if settings.database_url:
        import psycopg

        with psycopg.connect(settings.database_url, options="-c search_path=mcp_memory") as conn:
            return conn.execute(sql).fetchall()
    from mcp_memory.storage.connection import connect_plain

    conn = connect_plain(str(settings.database))
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def store_rows_digest(settings: Settings) -> str:
    """`db_digest` of the store `settings` choose: the SQLite file, or on Postgres the rows of every
    memory table the member reads (read counts left out), with the keyword and vector columns."""
    if not settings.database_url:
        return db_digest(settings.database)
    import psycopg

    digest = hashlib.sha256()
    with psycopg.connect(settings.database_url, options="-c search_path=mcp_memory") as conn:
        columns = [
            f"{r[0]}::text"
            for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'mcp_memory' "
                "AND table_name = 'memories' ORDER BY ordinal_position"
            )
            if r[0] not in _READ_COUNTS
        ]
        _add_rows(digest, conn.execute, columns, "id")
    return digest.hexdigest()


def memory_count(settings: Settings) -> int:
    """How many memory rows (live or deleted) the store `settings` choose holds."""
    return int(store_rows(settings, "SELECT count(*) FROM memories")[0][0])


def db_digest(path: Path) -> str:
    """A hash of everything stored in the database file: rows of every table, and the sizes of the
    keyword and vector indexes. Equal digests mean nothing changed. Read counts (`access_count`,
    `last_accessed_at`) are left out: the server writes them a moment after earlier successful reads,
    so they may land while a later call is being refused."""
    from mcp_memory.storage.connection import connect_plain

    conn = connect_plain(str(path))
    try:
        digest = hashlib.sha256()
        columns = [str(r[1]) for r in conn.execute("PRAGMA table_info(memories)") if r[1] not in _READ_COUNTS]
        _add_rows(digest, conn.execute, columns, "1")
        digest.update(repr(conn.execute("SELECT count(*) FROM memories_fts").fetchone()).encode())
        table = conn.execute("SELECT value FROM meta WHERE key = 'vec_table'").fetchone()
        if table:
            digest.update(repr(conn.execute(f"SELECT count(*) FROM {table[0]}").fetchone()).encode())
        return digest.hexdigest()
    finally:
        conn.close()
