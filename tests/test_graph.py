"""The knowledge graph: upsert, link, query within depth, delete, and extraction without an LLM."""

from __future__ import annotations

import pytest

from mcp_memory.errors import InvalidInput, NotFound
from mcp_memory.services.app import App
from mcp_memory.services.graph.entities import delete_graph, link_memory, query_graph, upsert_graph
from mcp_memory.services.graph.extraction import build_graph, extract_entities
from mcp_memory.services.memories.history import forget_memories
from mcp_memory.services.memories.store import store_memory

pytestmark = pytest.mark.anyio


async def _chain(app: App) -> None:
    await upsert_graph(
        app,
        entities=[
            {
                "name": "billing-service",
                "type": "service",
                "observations": ["written in Go", "owns invoices"],
            },
            {"name": "PostgreSQL", "type": "database", "observations": ["version 16"]},
            {"name": "Alice", "type": "person", "observations": []},
        ],
        relations=[
            {"from": "billing-service", "to": "PostgreSQL", "type": "uses"},
            {"from": "Alice", "to": "billing-service", "type": "maintains"},
            {"from": "PostgreSQL", "to": "backup-job", "type": "backed up by"},
        ],
    )


@pytest.fixture
def app(engine_app: App) -> App:
    """Every test here runs on both engines."""
    return engine_app


async def test_upsert_dedupes_and_adds_observations(app: App) -> None:
    """Re-upserting an entity adds only new observations; a relation to a missing entity creates it."""
    await _chain(app)
    again = await upsert_graph(
        app,
        entities=[
            {"name": "postgresql", "type": "database", "observations": ["version 16", "runs on port 5432"]}
        ],
        relations=[{"from": "billing-service", "to": "PostgreSQL", "type": "uses"}],
    )
    assert (again.entities_created, again.observations_added, again.relations_created) == (0, 1, 0)
    graph = await query_graph(app, name="PostgreSQL", depth=0)
    assert graph.entities[0].observations == ("version 16", "runs on port 5432")
    backup = await query_graph(app, name="backup-job", depth=0)
    assert backup.entities[0].type == "unknown"


async def test_query_walks_depth_in_both_directions(app: App) -> None:
    """depth counts hops along relations either way; relations among the returned entities come along."""
    await _chain(app)
    one = await query_graph(app, name="billing-service", depth=1)
    assert {e.name for e in one.entities} == {"billing-service", "PostgreSQL", "Alice"}
    assert len(one.relations) == 2
    two = await query_graph(app, name="Alice", depth=2)
    assert {e.name for e in two.entities} == {"Alice", "billing-service", "PostgreSQL"}
    three = await query_graph(app, name="Alice", depth=3)
    assert "backup-job" in {e.name for e in three.entities}
    found = await query_graph(app, query="invoices", depth=0)
    assert [e.name for e in found.entities] == ["billing-service"]
    with pytest.raises(NotFound, match="no entity"):
        await query_graph(app, name="nobody")
    with pytest.raises(InvalidInput, match="exactly one"):
        await query_graph(app, name="Alice", query="x")
    with pytest.raises(InvalidInput, match="depth"):
        await query_graph(app, name="Alice", depth=9)


async def test_memories_link_to_entities_and_come_back_in_queries(app: App) -> None:
    """A linked memory appears with its entities; forgetting it removes the link."""
    await _chain(app)
    mid = (await store_memory(app, "Billing invoices moved to PostgreSQL 16 in March")).id
    links, created = await link_memory(app, mid, ["billing-service", "PostgreSQL", "March migration"])
    assert (links, created) == (3, 1)
    graph = await query_graph(app, memory_id=mid, depth=0)
    assert {e.name for e in graph.entities} == {"billing-service", "PostgreSQL", "March migration"}
    assert [m.id for m in graph.memories] == [mid]
    await forget_memories(app, ids=[mid], dry_run=False)
    assert (await query_graph(app, name="PostgreSQL", depth=0)).memories == ()


async def test_delete_entities_relations_and_observations(app: App) -> None:
    """Deleting an entity removes its relations; single observations and relations can go alone."""
    await _chain(app)
    result = await delete_graph(
        app,
        entities=["Alice"],
        relations=[{"from": "PostgreSQL", "to": "backup-job", "type": "backed up by"}],
        observations=[{"name": "billing-service", "observations": ["written in Go", "not there"]}],
    )
    assert (result.entities, result.relations, result.observations) == (1, 1, 1)
    graph = await query_graph(app, name="billing-service", depth=2)
    assert {e.name for e in graph.entities} == {"billing-service", "PostgreSQL"}
    assert graph.entities[0].observations == ("owns invoices",)


def test_extraction_finds_code_paths_urls_packages_and_names() -> None:
    """Identifiers, file paths, URLs, packages and capitalised names are recognised; plain words are not."""
    found = extract_entities(
        "Caroline fixed parse_config() in src/app/config.py after reading https://docs.python.org/3/library/json.html. "
        "Run `pip install httpx` and use the HttpClient class. The build uses Docker Compose."
    )
    assert found["https://docs.python.org/3/library/json.html"] == "url"
    assert found["src/app/config.py"] == "file"
    assert found["httpx"] == "package"
    assert found["parse_config"] == "identifier"
    assert found["HttpClient"] == "identifier"
    assert found["Caroline"] == "name"
    assert found["Docker Compose"] == "name"
    assert "The" not in found
    assert "fixed" not in found


async def test_build_links_memories_to_extracted_entities(app: App) -> None:
    """graph_build creates entities once and links every memory that mentions them."""
    a = (await store_memory(app, "The retry logic lives in worker/retry.py and uses BackoffPolicy")).id
    b = (await store_memory(app, "BackoffPolicy caps retries at five")).id
    result = await build_graph(app)
    assert result.memories == 2
    assert result.links >= 3
    graph = await query_graph(app, name="BackoffPolicy", depth=0)
    assert {m.id for m in graph.memories} == {a, b}
    again = await build_graph(app)
    assert (again.entities_created, again.links) == (0, 0)
