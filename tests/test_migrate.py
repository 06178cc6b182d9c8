"""`mcp-memory migrate`: the SQLite file into a shared Postgres and back, losslessly (every record an
export holds, the vectors kept), idempotently, owned by the connecting member and private unless asked;
and the command line around it (real model, real processes)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from mcp_memory.errors import InvalidInput, NotFound
from mcp_memory.services.app import App, open_app
from mcp_memory.services.graph.entities import query_graph, upsert_graph
from mcp_memory.services.memories.store import get_memories, store_memory
from mcp_memory.services.search.hybrid import search_memories
from mcp_memory.services.transfer.exporting import export_records
from mcp_memory.services.transfer.migrate import Store, check_ends, copy_store, parse_store
from mcp_memory.storage.postgres.database import PgDatabase
from tests.conftest import FAKE_DIM, fake_loader, make_settings
from tests.postgres import PostgresServer, run_cli, team_database
from tests.test_transfer import _fill

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def _sqlite_app(folder: Path) -> AsyncIterator[App]:
    async with open_app(make_settings(folder), loader=fake_loader()) as app:
        await app.load_model()
        yield app


@asynccontextmanager
async def _postgres_app(url: str, folder: Path) -> AsyncIterator[App]:
    db = await PgDatabase.open(url)
    async with open_app(make_settings(folder), loader=fake_loader(), database=db) as app:  # type: ignore[arg-type]
        await app.load_model()
        yield app


def _team(postgres: PostgresServer, dimension: int = FAKE_DIM) -> dict[str, str]:
    return team_database(postgres, dimension)


def _records(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An export's records without its header (which names the store's model either way)."""
    return [r for r in records if r["type"] != "header"]


async def test_the_file_into_postgres_and_back_loses_nothing(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    """Every record (memories deleted and live, versions, pins, tags, metadata, times, the graph,
    episodes with steps, rules) and every vector arrive in Postgres and come back into a new file
    equal; nothing is embedded again; a second run adds nothing."""
    urls = _team(postgres)
    async with _sqlite_app(tmp_path / "laptop") as laptop:
        await _fill(laptop)
        original = _records(await export_records(laptop, include_vectors=True))
        async with _postgres_app(urls["alice"], tmp_path / "alice") as shared:
            migrated = await copy_store(laptop, shared, visibility="team")
            assert migrated.result.imported == 4  # with the episode's lesson
            assert migrated.result.vectors_kept == 3  # the live memories; a deleted one has none
            assert migrated.visibility == "team"
            assert _records(await export_records(shared, include_vectors=True)) == original
            again = await copy_store(laptop, shared, visibility="team")
            assert (again.result.imported, again.result.episodes, again.result.entities) == (0, 0, 0)
            assert again.result.present["memories"] == 4
            async with _sqlite_app(tmp_path / "desktop") as desktop:
                back = await copy_store(shared, desktop, visibility="team")
                assert back.visibility is None
                assert back.result.vectors_kept == 3
                assert _records(await export_records(desktop, include_vectors=True)) == original
                hits = await search_memories(desktop, "billing postgresql", mode="semantic")
                assert hits.hits[0].memory.content == "Billing uses PostgreSQL 16"


async def test_a_migration_is_private_to_its_member_unless_asked(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    """Alice's migrated memories are hers alone by default, and her knowledge graph stays out of the
    team's shared graph; Bob's, migrated with team visibility, are everyone's. Each is owned by (and
    names) the member who migrated it."""
    urls = _team(postgres)
    async with _sqlite_app(tmp_path / "a") as mine, _sqlite_app(tmp_path / "b") as his:
        await store_memory(mine, "alice keeps her ssh keys in a hardware token")
        await upsert_graph(mine, [{"name": "YubiKey", "type": "device", "observations": ["alice's 5C"]}], [])
        await store_memory(his, "the team deploys with the release script on fridays")
        async with (
            _postgres_app(urls["alice"], tmp_path / "alice") as alice,
            _postgres_app(urls["bob"], tmp_path / "bob") as bob,
        ):
            private = await copy_store(mine, alice, visibility="private")
            assert any("knowledge graph (1 entities" in p for p in private.result.problems)
            with pytest.raises(NotFound):
                await query_graph(bob, name="YubiKey")
            await copy_store(his, bob, visibility="team")
            bob_sees = await search_memories(bob, "ssh keys hardware token deploys", min_relevance=0)
            assert [h.memory.content for h in bob_sees.hits] == [
                "the team deploys with the release script on fridays"
            ]
            alice_sees = await search_memories(alice, "ssh keys hardware token deploys", min_relevance=0)
            assert len(alice_sees.hits) == 2
            found = {
                m.content: m
                for m in (await get_memories(alice, [h.memory.id for h in alice_sees.hits])).memories
            }
            assert found["alice keeps her ssh keys in a hardware token"].visibility == "private"
            assert found["alice keeps her ssh keys in a hardware token"].created_by == "alice"
            assert found["the team deploys with the release script on fridays"].created_by == "bob"


def test_the_ends_of_a_migration_are_checked(tmp_path: Path) -> None:
    """A store into itself, a missing source file, a folder as target and an unknown URL scheme are
    refused before anything is opened."""
    file = tmp_path / "memory.db"
    sqlite3.connect(file).close()
    with pytest.raises(InvalidInput, match="the same store"):
        check_ends(parse_store(str(file)), parse_store(str(file)))
    with pytest.raises(InvalidInput, match="no database file"):
        check_ends(parse_store(str(tmp_path / "missing.db")), parse_store("postgresql://x@h/db"))
    with pytest.raises(InvalidInput, match="is a folder"):
        check_ends(parse_store("postgresql://x@h/db"), parse_store(str(tmp_path)))
    with pytest.raises(InvalidInput, match="mysql:// is not a database this migrates"):
        parse_store("mysql://root@localhost/memory")
    assert parse_store("postgres://a@b/c") == Store(url="postgres://a@b/c")


_cli = run_cli


@pytest.mark.e2e
def test_migrate_on_the_command_line(tmp_path: Path, postgres: PostgresServer) -> None:
    """The user's file into the team database (`migrate --to URL`), found there by search with the
    vectors kept, and the team database into a new file on another machine (`--from URL --to PATH`)."""
    urls = _team(postgres, 384)
    stored = _cli(tmp_path, "store", "the staging cluster is in eu-west-3", "-t", "infra")
    assert stored.returncode == 0, stored.stderr
    moved = _cli(tmp_path, "--json", "migrate", "--to", urls["alice"])
    assert moved.returncode == 0, moved.stderr
    report = json.loads(moved.stdout)
    assert (report["imported"], report["vectors_kept"], report["embedded"]) == (1, 1, 0)
    assert report["visibility"] == "private"
    assert "alice-pw" not in moved.stdout
    # Again, with the URL already the configured store (as the README's steps have it): the source is
    # still this machine's file, and nothing new is written.
    text = _cli(tmp_path, "migrate", "--to", urls["alice"], url=urls["alice"]).stdout
    assert "0 memories (1 already present)" in text, text
    found = json.loads(
        _cli(
            tmp_path, "--json", "search", "where is staging", "--min-relevance", "0", url=urls["alice"]
        ).stdout
    )
    assert found["results"][0]["content"] == "the staging cluster is in eu-west-3"
    other = tmp_path / "desktop" / "memory.db"
    back = _cli(tmp_path, "migrate", "--from", urls["alice"], "--to", str(other))
    assert back.returncode == 0, back.stderr
    assert "Copied from" in back.stdout
    assert "1 memory," in back.stdout
    rows = sqlite3.connect(other).execute("SELECT content FROM memories").fetchall()
    assert rows == [("the staging cluster is in eu-west-3",)]
    same = _cli(tmp_path, "migrate", "--to", str(tmp_path / "data" / "memory.db"))
    assert same.returncode != 0
    assert "the same store" in same.stderr
