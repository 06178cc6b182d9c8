"""Retiring a changed fact: `supersedes` on store, `superseded_by` on get, `memory_revert` to bring
one back, `include_superseded` on search; and, without a supersession, the newer of two
contradicting results first with the older marked `outdated_by`."""

from __future__ import annotations

import pytest
from mcp import Client

from mcp_memory.errors import InvalidInput, NotFound
from mcp_memory.services.app import App
from mcp_memory.services.memories.batch import batch_store
from mcp_memory.services.memories.changes import delete_memories
from mcp_memory.services.memories.history import memory_history, revert_memory
from mcp_memory.services.memories.store import get_memories, recent_memories, store_memory
from mcp_memory.services.search.hybrid import search_memories

pytestmark = pytest.mark.anyio

OLD = "The staging database listens on port 5433"
NEW = "The staging database now listens on port 6543"
PRODUCTION = "The production database listens on port 5432"
QUERY = "staging database port"


@pytest.fixture
def app(engine_app: App) -> App:
    """Every service test here runs on both engines."""
    return engine_app


async def _ids(app: App, query: str, **kw: object) -> list[str]:
    found = await search_memories(app, query, min_relevance=0, **kw)  # type: ignore[arg-type]
    return [h.memory.id for h in found.hits]


async def test_a_superseded_memory_leaves_search_and_listings_and_keeps_its_history(app: App) -> None:
    old = await store_memory(app, OLD)
    production = await store_memory(app, PRODUCTION)
    new = await store_memory(app, NEW, supersedes=[old.id])
    assert new.superseded == (old.id,)
    assert new.conflicts == ()  # the memory it retired is not also listed as a conflict
    found = await _ids(app, QUERY)
    assert new.id in found
    assert production.id in found
    assert old.id not in found
    assert old.id not in [m.id for m in await recent_memories(app)]
    got = (await get_memories(app, [old.id])).memories[0]
    assert got.superseded_by == new.id
    assert got.content == OLD
    history = await memory_history(app, old.id)
    assert "supersede" in [v.replaced_by for v in history.versions]
    with_old = await search_memories(app, QUERY, min_relevance=0, include_superseded=True)
    shown = {h.memory.id: h.memory.superseded_by for h in with_old.hits}
    assert shown[old.id] == new.id
    assert shown[new.id] is None


async def test_revert_brings_a_superseded_memory_back(app: App) -> None:
    old = await store_memory(app, OLD)
    await store_memory(app, NEW, supersedes=[old.id])
    retired = (await get_memories(app, [old.id])).memories[0]
    back = await revert_memory(app, old.id, retired.version - 1)
    assert back.superseded_by is None
    assert back.archived_at is None
    assert back.content == OLD
    assert old.id in await _ids(app, QUERY)


async def test_storing_a_retired_fact_again_makes_it_current(app: App) -> None:
    """The fact changed back (5433 -> 6543 -> 5433): the first memory is current again."""
    old = await store_memory(app, OLD)
    await store_memory(app, NEW, supersedes=[old.id])
    again = await store_memory(app, OLD)
    assert again.status == "duplicate"
    assert again.id == old.id
    assert (await get_memories(app, [old.id])).memories[0].superseded_by is None
    assert old.id in await _ids(app, QUERY)


async def test_bad_supersedes_changes_nothing(app: App) -> None:
    old = await store_memory(app, OLD)
    gone = await store_memory(app, "Deploys happen on Tuesdays")
    await delete_memories(app, [gone.id])
    before = await recent_memories(app, limit=50)
    with pytest.raises(NotFound, match="m_999999"):
        await store_memory(app, NEW, supersedes=[old.id, "m_999999"])
    with pytest.raises(NotFound, match=gone.id):
        await store_memory(app, NEW, supersedes=[gone.id])
    with pytest.raises(InvalidInput, match="not a memory id"):
        await store_memory(app, NEW, supersedes=["port 5433"])
    with pytest.raises(InvalidInput, match="list of memory ids"):
        await store_memory(app, NEW, supersedes=old.id)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="the memory this content is"):
        await store_memory(app, OLD, supersedes=[old.id])
    assert await recent_memories(app, limit=50) == before
    assert (await get_memories(app, [old.id])).memories[0].superseded_by is None


async def test_batch_store_supersedes_per_item(app: App) -> None:
    old = await store_memory(app, OLD)
    day = await store_memory(app, "Deploys happen on Tuesdays")
    results = await batch_store(
        app,
        [
            {"content": NEW, "supersedes": [old.id]},
            {"content": "Deploys happen on Thursdays now", "supersedes": ["m_999999"]},
            {"content": "Deploys happen on Thursdays", "supersedes": [day.id]},
        ],
    )
    assert [r.ok for r in results] == [True, False, True]
    assert results[0].superseded == (old.id,)
    assert results[2].superseded == (day.id,)
    assert "m_999999" in (results[1].error or "")
    got = {m.id: m.superseded_by for m in (await get_memories(app, [old.id, day.id])).memories}
    assert got == {old.id: results[0].id, day.id: results[2].id}


async def test_without_supersession_the_newer_result_comes_first(app: App) -> None:
    """Both stay stored, both answer; the newer one leads and the older one names it."""
    old = await store_memory(app, OLD, created_at="2026-01-05")
    production = await store_memory(app, PRODUCTION, created_at="2026-02-01")
    new = await store_memory(app, NEW)
    hits = (await search_memories(app, QUERY, min_relevance=0)).hits
    ids = [h.memory.id for h in hits]
    assert ids.index(new.id) < ids.index(old.id)
    marks = {h.memory.id: h.outdated_by for h in hits}
    assert marks[old.id] == new.id
    assert marks[new.id] is None
    assert marks.get(production.id) is None
    older = next(h for h in hits if h.memory.id == old.id)
    newer = next(h for h in hits if h.memory.id == new.id)
    assert older.relevance <= newer.relevance
    assert any(new.id in w for w in older.why)


async def test_days_of_the_week_change_too(app: App) -> None:
    old = await store_memory(app, "Deploys happen on Tuesdays", created_at="2026-03-01")
    new = await store_memory(app, "Deploys now happen on Thursdays")
    assert [c.id for c in new.conflicts] == [old.id]
    hits = (await search_memories(app, "which day do deploys happen", min_relevance=0)).hits
    assert hits[0].memory.id == new.id
    assert {h.memory.id: h.outdated_by for h in hits}[old.id] == new.id


async def test_the_tools_say_so(client: Client) -> None:
    first = await client.call_tool("memory_store", {"content": OLD})
    old_id = first.structured_content["id"]  # type: ignore[index]
    second = await client.call_tool("memory_store", {"content": NEW, "supersedes": [old_id]})
    assert second.structured_content["superseded"] == [old_id]  # type: ignore[index]
    assert "supersedes" in second.content[0].text  # type: ignore[union-attr]
    got = await client.call_tool("memory_get", {"ids": [old_id]})
    assert got.structured_content["memories"][0]["superseded_by"] == second.structured_content["id"]  # type: ignore[index]
    found = await client.call_tool("memory_search", {"query": QUERY, "include_superseded": True})
    assert old_id in [r["id"] for r in found.structured_content["results"]]  # type: ignore[index]
    bad = await client.call_tool("memory_store", {"content": "x y z", "supersedes": ["m_424242"]})
    assert bad.is_error
    assert "m_424242" in bad.content[0].text


async def test_context_shows_only_the_newer_statement_with_a_note(app: App) -> None:
    from mcp_memory.services.search.context import build_context

    old = await store_memory(app, OLD, created_at="2026-01-05")
    new = await store_memory(app, NEW)
    retired = await store_memory(app, "Deploys happen on Tuesdays")
    await store_memory(app, "Deploys happen on Thursdays", supersedes=[retired.id])
    block = await build_context(app, query="staging database port")
    assert new.id in block.ids
    assert old.id not in block.ids
    assert f"replaces the older {old.id}" in block.text
    assert "5433" not in block.text
    days = await build_context(app, query="which day do deploys happen")
    assert "Thursdays" in days.text
    assert "Tuesdays" not in days.text


async def test_consolidation_proposes_supersessions_and_retires_only_when_asked(app: App) -> None:
    """Both texts are shown in a dry run, which changes nothing; applied, the older is retired
    (history kept, revertible); a pinned older memory and a look-alike are left alone."""
    from mcp_memory.services.maintenance.consolidate import consolidate
    from mcp_memory.services.memories.pins import set_pinned

    old = await store_memory(app, OLD, created_at="2026-01-05")
    await store_memory(app, PRODUCTION, created_at="2026-01-06")
    new = await store_memory(app, NEW)
    pinned = await store_memory(app, "Deploys happen on Tuesdays", created_at="2026-01-07")
    await set_pinned(app, pinned.id, True)
    await store_memory(app, "Deploys now happen on Thursdays")
    dry = await consolidate(app)
    assert [(s.older, s.newer) for s in dry.supersessions] == [(old.id, new.id)]
    assert dry.supersessions[0].older_content == OLD
    assert dry.supersessions[0].newer_content == NEW
    assert (await get_memories(app, [old.id])).memories[0].superseded_by is None
    done = await consolidate(app, dry_run=False)
    assert [(s.older, s.newer) for s in done.supersessions] == [(old.id, new.id)]
    retired = (await get_memories(app, [old.id])).memories[0]
    assert retired.superseded_by == new.id
    assert old.id not in await _ids(app, QUERY)
    assert (await get_memories(app, [pinned.id])).memories[0].superseded_by is None
    assert (await consolidate(app)).supersessions == ()
    back = await revert_memory(app, old.id, retired.version - 1)
    assert back.superseded_by is None
    # Brought back by a person: consolidation does not propose retiring it again.
    assert (await consolidate(app)).supersessions == ()
    assert old.id in await _ids(app, QUERY)


async def test_a_memory_retired_by_supersedes_and_brought_back_is_not_proposed_again(app: App) -> None:
    """Retired by `supersedes` on store, reverted: consolidation leaves it current, and still
    proposes other supersessions."""
    from mcp_memory.services.maintenance.consolidate import consolidate

    old = await store_memory(app, OLD, created_at="2026-01-05")
    new = await store_memory(app, NEW, supersedes=[old.id])
    retired = (await get_memories(app, [old.id])).memories[0]
    assert retired.superseded_by == new.id
    await revert_memory(app, old.id, retired.version - 1)
    tuesday = await store_memory(app, "Deploys happen on Tuesdays", created_at="2026-01-07")
    thursday = await store_memory(app, "Deploys now happen on Thursdays")
    proposed = [(s.older, s.newer) for s in (await consolidate(app)).supersessions]
    assert proposed == [(tuesday.id, thursday.id)]
