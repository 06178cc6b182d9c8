"""Export and import: lossless jsonl round trip, the official knowledge-graph server's file, refusals."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from mcp_memory.errors import InvalidInput
from mcp_memory.services.app import App, open_app
from mcp_memory.services.episodes.record import add_step, complete_episode, start_episode
from mcp_memory.services.graph.entities import link_memory, query_graph, upsert_graph
from mcp_memory.services.maintenance.consolidate import set_rules
from mcp_memory.services.memories.changes import delete_memories, update_memory
from mcp_memory.services.memories.pins import set_pinned
from mcp_memory.services.memories.store import get_memories, store_memory
from mcp_memory.services.search.hybrid import search_memories
from mcp_memory.services.transfer.access import user_access
from mcp_memory.services.transfer.exporting import export_memories
from mcp_memory.services.transfer.importing import import_memories
from mcp_memory.views.maintenance import import_view
from tests.conftest import db_digest, fake_loader, make_settings, store_digest

pytestmark = pytest.mark.anyio

SERVER_MEMORY_FIXTURE = (
    "\n".join(
        json.dumps(r)
        for r in [
            {
                "type": "entity",
                "name": "John_Smith",
                "entityType": "person",
                "observations": ["Speaks fluent Spanish", "Graduated in 2019"],
            },
            {
                "type": "entity",
                "name": "Anthropic",
                "entityType": "organization",
                "observations": ["Makes Claude"],
            },
            {"type": "relation", "from": "John_Smith", "to": "Anthropic", "relationType": "works_at"},
            {"type": "relation", "from": "John_Smith", "to": "Anthropic", "relationType": "works_at"},
        ]
    )
    + "\n"
)


async def _fill(app: App) -> None:
    a = (
        await store_memory(app, "Billing uses PostgreSQL", tags=["db"], metadata={"source": "adr-7", "n": 1})
    ).id
    await update_memory(app, a, content="Billing uses PostgreSQL 16", importance=0.9)
    b = (await store_memory(app, "Always squash merge", kind="preference", project="global")).id
    await set_pinned(app, b, True, note="team rule")
    c = (await store_memory(app, "old note", expires_at="in 30 days")).id
    await delete_memories(app, [c])
    await upsert_graph(
        app,
        [{"name": "PostgreSQL", "type": "database", "observations": ["v16", "port 5432"]}],
        [{"from": "billing", "to": "PostgreSQL", "type": "uses"}],
    )
    await link_memory(app, a, ["PostgreSQL", "billing"])
    eid = await start_episode(app, "upgrade postgres", preconditions=["backup taken"], tags=["db"])
    await add_step(app, eid, "pg_upgrade", result="ok", ok=True, files=["ops/upgrade.sh"])
    await complete_episode(app, eid, "success", reward=0.8)
    await set_rules(app, [{"kind": "scratch", "older_than_days": 7, "action": "delete"}])


@pytest.fixture
def app(engine_app: App) -> App:
    """Every test here runs on both engines."""
    return engine_app


@pytest.mark.parametrize("include_vectors", [False, True])
async def test_export_import_export_is_identical(tmp_path: Path, include_vectors: bool) -> None:
    """Export, import into an empty database, export again: the two files are byte-identical."""
    first = make_settings(tmp_path / "one")
    second = make_settings(tmp_path / "two")
    async with open_app(first, loader=fake_loader()) as app:
        await app.load_model()
        await _fill(app)
        tuesdays = await store_memory(app, "Deploys happen on Tuesdays")
        await store_memory(app, "Deploys happen on Thursdays", supersedes=[tuesdays.id])
        one = await export_memories(
            app, str(first.data_dir / "export.jsonl"), include_vectors=include_vectors
        )
    async with open_app(second, loader=fake_loader()) as app:
        await app.load_model()
        result = await import_memories(app, one.path, access=user_access(app))  # another app's folder
        assert (result.imported, result.episodes) == (6, 1)
        two = await export_memories(
            app, str(second.data_dir / "export.jsonl"), include_vectors=include_vectors
        )
        assert Path(one.path).read_bytes() == Path(two.path).read_bytes()
        hits = await search_memories(
            app, "postgresql billing", mode="semantic" if include_vectors else "keyword"
        )
        assert hits.hits[0].memory.content == "Billing uses PostgreSQL 16"
        memory = (await get_memories(app, [hits.hits[0].memory.id], include_history=True)).memories[0]
        assert memory.history[0].content == "Billing uses PostgreSQL"
        assert memory.embedded is include_vectors
        retired = await search_memories(app, "deploys happen", mode="keyword", include_superseded=True)
        by = {h.memory.content: h.memory.superseded_by for h in retired.hits}
        thursdays = next(h.memory.id for h in retired.hits if "Thursdays" in h.memory.content)
        assert by == {"Deploys happen on Thursdays": None, "Deploys happen on Tuesdays": thursdays}
    assert stat.S_IMODE(os.stat(one.path).st_mode) == 0o600


async def test_import_into_a_non_empty_database_skips_identical_and_renumbers(
    tmp_path: Path, app: App
) -> None:
    """Identical memories are skipped; colliding ids get new numbers and links follow them."""
    await _fill(app)
    path = (await export_memories(app, str(app.settings.data_dir / "e.jsonl"))).path
    other = make_settings(tmp_path / "other")
    async with open_app(other, loader=fake_loader()) as target:
        await target.load_model()
        mine = (await store_memory(target, "something else entirely")).id
        result = await import_memories(target, path, access=user_access(target))
        assert (result.imported, result.skipped) == (4, 0)
        assert mine == "m_1"
        ids = {
            h.memory.content: h.memory.id
            for h in (await search_memories(target, "billing", project="*")).hits
        }
        assert ids["Billing uses PostgreSQL 16"] != "m_1"
        again = await import_memories(target, path, access=user_access(target))
        assert (again.imported, again.skipped) == (0, 4)  # the deleted one too: the same record
        graph = await query_graph(target, name="PostgreSQL", depth=1)
        assert [m.content for m in graph.memories] == ["Billing uses PostgreSQL 16"]


async def _table_counts(app: App) -> dict[str, int]:
    listing = (
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'mcp_memory' "
        "AND table_type = 'BASE TABLE' ORDER BY 1"
        if app.db.dialect == "postgres"
        else "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
    )
    tables = [str(r[0]) for r in await app.db.fetchall(listing)]
    return {t: int(await app.db.scalar(f'SELECT count(*) FROM "{t}"')) for t in tables}


async def test_importing_the_same_export_twice_adds_nothing_and_says_so(tmp_path: Path, app: App) -> None:
    """A second import of one export (and an import into the store it came from) writes no row of
    any table, and its summary reports every record as already present."""
    await _fill(app)
    path = (await export_memories(app, str(app.settings.data_dir / "e.jsonl"), include_vectors=True)).path
    before = (await _table_counts(app), await store_digest(app))
    into_origin = await import_memories(app, path)
    assert (await _table_counts(app), await store_digest(app)) == before
    assert into_origin.imported == into_origin.episodes == 0
    other = make_settings(tmp_path / "other")
    async with open_app(other, loader=fake_loader()) as target:
        await target.load_model()
        first = await import_memories(target, path, access=user_access(target))
        assert (first.imported, first.episodes, first.steps) == (4, 1, 1)
        assert first.present == {}
        assert target.db.path is not None
        counts = await _table_counts(target)
        digest = db_digest(target.db.path)
        second = await import_memories(target, path, access=user_access(target))
        assert await _table_counts(target) == counts
        assert db_digest(target.db.path) == digest
    assert (second.imported, second.entities, second.relations, second.episodes) == (0, 0, 0, 0)
    assert second.present == {
        "memories": 4,
        "versions": first.versions,
        "entities": 2,
        "observations": 2,
        "relations": 1,
        "links": 2,
        "episodes": 1,
        "steps": 1,
        "rules": 1,
    }
    out, text = import_view(second)
    assert out.already_present == second.present
    assert "0 memories (4 already present)" in text
    assert "0 episodes (1 already present)" in text
    assert "Nothing new" in text


async def test_an_import_adds_an_episode_the_store_does_not_have(tmp_path: Path, app: App) -> None:
    """A store holding a different episode still gets the export's episode, with its steps."""
    await _fill(app)
    path = (await export_memories(app, str(app.settings.data_dir / "e.jsonl"))).path
    other = make_settings(tmp_path / "other")
    async with open_app(other, loader=fake_loader()) as target:
        await target.load_model()
        mine = await start_episode(target, "rotate the api keys")
        await add_step(target, mine, "vault rotate", ok=True)
        result = await import_memories(target, path, access=user_access(target))
        assert (result.episodes, result.steps) == (1, 1)
        assert "episodes" not in result.present
        tasks = [r[0] for r in await target.db.fetchall("SELECT task FROM episodes ORDER BY id")]
        assert tasks == ["rotate the api keys", "upgrade postgres"]
        assert await target.db.scalar("SELECT count(*) FROM episode_steps") == 2


async def test_official_knowledge_graph_file_imports(app: App) -> None:
    """The official server's JSONL (entities and relations) becomes our graph, duplicates ignored;
    importing it again changes nothing."""
    path = app.settings.data_dir / "memory.json"
    path.write_text(SERVER_MEMORY_FIXTURE)
    result = await import_memories(app, str(path), format="server-memory")
    assert (result.entities, result.relations) == (2, 1)
    graph = await query_graph(app, name="John_Smith", depth=1)
    assert {e.name for e in graph.entities} == {"John_Smith", "Anthropic"}
    assert graph.entities[0].observations == ("Speaks fluent Spanish", "Graduated in 2019")
    assert [(r.source, r.type, r.target) for r in graph.relations] == [
        ("John_Smith", "works_at", "Anthropic")
    ]
    before = await store_digest(app)
    again = await import_memories(app, str(path), format="server-memory")
    assert (again.entities, again.relations, again.present) == (0, 0, {"entities": 2, "relations": 2})
    assert await store_digest(app) == before


async def test_refusals_change_nothing(app: App, tmp_path: Path) -> None:
    """Existing files, paths outside home and data dir, non-files and bad JSON are refused."""
    await store_memory(app, "x")
    target = app.settings.data_dir / "out.jsonl"
    await export_memories(app, str(target))
    with pytest.raises(InvalidInput, match="overwrite=true"):
        await export_memories(app, str(target))
    await export_memories(app, str(target), overwrite=True)
    with pytest.raises(InvalidInput, match="outside the folders tools may use"):
        await export_memories(app, "/etc/mcp-memory-test.jsonl")
    with pytest.raises(InvalidInput, match="not a regular file"):
        await import_memories(app, str(app.settings.data_dir))
    bad = app.settings.data_dir / "bad.jsonl"
    bad.write_text('{"type": "header", "format": "mcp-memory", "version": 1}\n{not json}\n')
    before = await store_digest(app)
    with pytest.raises(InvalidInput, match="line 2"):
        await import_memories(app, str(bad))
    with pytest.raises(InvalidInput, match="server-memory"):
        await import_memories(app, str(_write(tmp_path)))
    assert await store_digest(app) == before


def _write(tmp_path: Path) -> Path:
    path = tmp_path / "graph.jsonl"
    path.write_text(SERVER_MEMORY_FIXTURE)
    return path


async def test_markdown_export_is_readable(app: App) -> None:
    """The markdown form lists memories by project with their tags, and the graph."""
    await _fill(app)
    result = await export_memories(app, str(app.settings.data_dir / "m.md"), format="markdown")
    text = Path(result.path).read_text()
    assert "## proj" in text
    assert "Billing uses PostgreSQL 16" in text
    assert "#db" in text
    assert "billing —uses→ PostgreSQL" in text
    assert "old note" not in text


async def test_paths_naming_an_unknown_user_are_refused(app: App) -> None:
    """'~nosuchuser/x' cannot be expanded: a clear error, not a crash (found by the fuzz test)."""
    with pytest.raises(InvalidInput, match="cannot expand"):
        await export_memories(app, "~no_such_user_zz9/export.jsonl")
    with pytest.raises(InvalidInput, match="cannot expand"):
        await import_memories(app, "~no_such_user_zz9/export.jsonl")
    with pytest.raises(InvalidInput, match="NUL"):
        await export_memories(app, "bad\x00name.jsonl")


async def test_memories_stored_after_an_import_get_new_ids(tmp_path: Path, app: App) -> None:
    """An import that kept the exported ids leaves the store's id counter past them: the next
    memory and episode stored get fresh ids (on Postgres an identity column does not move by itself)."""
    source = make_settings(tmp_path / "source")
    async with open_app(source, loader=fake_loader()) as origin:
        await origin.load_model()
        await _fill(origin)
        path = (await export_memories(origin, str(source.data_dir / "e.jsonl"))).path
    await import_memories(app, path, access=user_access(app))
    fresh = await store_memory(app, "stored after the import")
    assert fresh.id not in {"m_1", "m_2", "m_3"}
    episode = await start_episode(app, "after the import")
    assert episode != "e_1"
    assert (await get_memories(app, [fresh.id])).memories[0].content == "stored after the import"


async def test_a_file_holding_one_memory_twice_stores_it_once(app: App) -> None:
    """Two records of the same live text in one project (another tool's merge of two exports) become
    one memory; the second counts as present."""
    header = {"type": "header", "format": "mcp-memory", "version": 1}
    same = {"type": "memory", "content": "the build cache lives in /var/cache/ci", "project": "ops"}
    lines = [
        header,
        {**same, "id": "m_1"},
        {**same, "id": "m_2", "created_at": "2026-01-02T00:00:00.000000Z"},
    ]
    path = app.settings.data_dir / "twice.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    result = await import_memories(app, str(path), access=user_access(app))
    assert (result.imported, result.present.get("memories")) == (1, 1)
    found = await search_memories(app, "build cache", project="ops", mode="keyword")
    assert len(found.hits) == 1
