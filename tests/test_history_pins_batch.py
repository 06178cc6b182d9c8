"""History (versions, revert, forget), pins, similar and timeline, and batch operations."""

from __future__ import annotations

import pytest

from mcp_memory.errors import InvalidInput, LimitExceeded, NotFound
from mcp_memory.services.app import App
from mcp_memory.services.memories.batch import batch_delete, batch_store, batch_tag
from mcp_memory.services.memories.changes import delete_memories, update_memory
from mcp_memory.services.memories.history import forget_memories, memory_history, revert_memory
from mcp_memory.services.memories.pins import list_pins, set_pinned
from mcp_memory.services.memories.store import get_memories, recent_memories, store_memory
from mcp_memory.services.search.browse import similar_memories, timeline
from mcp_memory.services.search.hybrid import search_memories
from tests.conftest import keyword_rows, vector_rows

pytestmark = pytest.mark.anyio


@pytest.fixture
def app(engine_app: App) -> App:
    """Every test here runs on both engines."""
    return engine_app


async def test_history_lists_versions_and_revert_restores_one(app: App) -> None:
    """Each update adds a version; reverting restores the old state as a new version."""
    mid = (await store_memory(app, "port is 8080", tags=["net"])).id
    await update_memory(app, mid, content="port is 9090")
    await update_memory(app, mid, tags=["net", "config"])
    history = await memory_history(app, mid)
    assert [v.version for v in history.versions] == [3, 2, 1]
    assert history.versions[1].changed == ("tags",)
    assert history.versions[2].content == "port is 8080"
    restored = await revert_memory(app, mid, 1)
    assert (restored.content, restored.tags, restored.version) == ("port is 8080", ("net",), 4)
    assert [h.memory.id for h in (await search_memories(app, "8080")).hits] == [mid]
    with pytest.raises(InvalidInput, match="already equals"):
        await revert_memory(app, mid, 1)
    with pytest.raises(NotFound, match="memory_history"):
        await revert_memory(app, mid, 99)


async def test_revert_undoes_a_delete(app: App) -> None:
    """A deleted memory comes back, searchable again, by reverting to its last version."""
    mid = (await store_memory(app, "the vpn needs okta")).id
    await delete_memories(app, [mid])
    assert (await memory_history(app, mid)).deleted
    restored = await revert_memory(app, mid, 1)
    assert restored.content == "the vpn needs okta"
    assert [h.memory.id for h in (await search_memories(app, "okta vpn")).hits] == [mid]


async def test_forget_is_permanent_and_dry_run_by_default(app: App) -> None:
    """forget reports first; with dry_run=False rows, history and index entries are gone for good."""
    keep = (await store_memory(app, "keep this", tags=["a"])).id
    gone = (await store_memory(app, "forget this secret", tags=["tmp"])).id
    await update_memory(app, gone, content="forget this secret, edited")
    preview = await forget_memories(app, flt={"tags": ["tmp"]})
    assert (preview.dry_run, preview.count, preview.sample) == (True, 1, (gone,))
    assert (await get_memories(app, [gone])).memories
    done = await forget_memories(app, ids=[gone, "m_999"], dry_run=False)
    assert (done.count, done.missing) == (1, ("m_999",))
    assert (
        await app.db.scalar("SELECT count(*) FROM memory_versions WHERE memory_id = ?", (int(gone[2:]),)) == 0
    )
    assert await keyword_rows(app) == 1
    with pytest.raises(NotFound):
        await memory_history(app, gone)
    assert [m.id for m in await recent_memories(app)] == [keep]
    with pytest.raises(InvalidInput, match="filter is empty"):
        await forget_memories(app, flt={})
    with pytest.raises(InvalidInput, match="not both"):
        await forget_memories(app, ids=[keep], flt={"tags": ["a"]})


async def test_pins(app: App) -> None:
    """Pinning keeps a note; pins lists pinned memories; unpinning clears both."""
    a = (await store_memory(app, "always use pnpm")).id
    await store_memory(app, "not pinned")
    pinned = await set_pinned(app, a, True, note="team rule")
    assert (pinned.pinned, pinned.pin_note) == (True, "team rule")
    assert [m.id for m in await list_pins(app)] == [a]
    unpinned = await set_pinned(app, a, False)
    assert (unpinned.pinned, unpinned.pin_note) == (False, None)
    assert await list_pins(app) == []
    with pytest.raises(NotFound):
        await set_pinned(app, "m_404", True)


async def test_similar_excludes_itself_and_ranks_by_meaning(app: App) -> None:
    """similar returns neighbours of a memory, nearest first, never the memory itself."""
    base = (await store_memory(app, "redis cache eviction policy is allkeys-lru")).id
    near = (await store_memory(app, "the redis cache uses allkeys-lru eviction")).id
    await store_memory(app, "lunch is at noon")
    hits = await similar_memories(app, base, limit=5)
    assert hits[0].memory.id == near
    assert base not in [h.memory.id for h in hits]


async def test_timeline_buckets_by_day_week_month(app: App) -> None:
    """timeline counts memories per bucket, newest first, with the most important on top."""
    await store_memory(app, "a", created_at="2024-03-04T10:00:00Z", importance=0.2)
    top = (await store_memory(app, "b", created_at="2024-03-04T11:00:00Z", importance=0.9)).id
    await store_memory(app, "c", created_at="2024-03-06T10:00:00Z")
    await store_memory(app, "d", created_at="2024-04-01T10:00:00Z")
    days = await timeline(app, bucket="day")
    assert [(b.start, b.count) for b in days] == [("2024-04-01", 1), ("2024-03-06", 1), ("2024-03-04", 2)]
    assert days[2].top[0].id == top
    weeks = await timeline(app, bucket="week")
    assert [(b.start, b.count) for b in weeks] == [("2024-04-01", 1), ("2024-03-04", 3)]
    months = await timeline(app, bucket="month", since="2024-03-05")
    assert [(b.start, b.count) for b in months] == [("2024-04-01", 1), ("2024-03-01", 1)]
    with pytest.raises(InvalidInput, match="day, week or month"):
        await timeline(app, bucket="year")


async def test_batch_store_reports_bad_items_and_stores_the_rest(app: App) -> None:
    """Bad items are reported in place; good ones are stored, embedded, and duplicates recognised."""
    results = await batch_store(
        app,
        [
            {"content": "first fact", "tags": ["x"]},
            {"content": "   "},
            {"content": "second fact", "importance": 7},
            {"content": "first fact"},
            {"text": "wrong field"},
            {"content": "third fact", "kind": "decision"},
        ],
    )
    assert [r.ok for r in results] == [True, False, False, True, False, True]
    assert results[3].status == "duplicate"
    assert results[3].id == results[0].id
    assert "content is empty" in (results[1].error or "")
    assert "importance" in (results[2].error or "")
    assert "unknown field" in (results[4].error or "")
    stored = await get_memories(app, [results[0].id or "", results[5].id or ""])
    assert all(m.embedded for m in stored.memories)
    with pytest.raises(LimitExceeded, match="at most 1000"):
        await batch_store(app, [{"content": str(i)} for i in range(1001)])


async def test_a_batch_indexes_every_new_memory_and_merges_repeats_within_it(app: App) -> None:
    """The keyword and vector indexes are written once per batch: each new memory must still be in
    both, and a repeat later in the same batch merges its tags (keyword index included)."""
    results = await batch_store(
        app,
        [
            {"content": "zebra crossing near the office", "tags": ["walk"]},
            {"content": "quokka photos from the trip"},
            {"content": "zebra crossing near the office", "tags": ["safety"]},
        ],
    )
    assert [r.status for r in results] == ["created", "created", "duplicate"]
    assert results[2].id == results[0].id
    (memory,) = (await get_memories(app, [results[0].id or ""])).memories
    assert sorted(memory.tags) == ["safety", "walk"]
    assert memory.embedded
    for word, wanted in (("zebra", results[0].id), ("quokka", results[1].id), ("safety", results[0].id)):
        found = await search_memories(app, word, mode="keyword")
        matched = [h.memory.id for h in found.hits if any(w.startswith("words") for w in h.why)]
        assert matched == [wanted]
    assert await keyword_rows(app) == 2
    assert await vector_rows(app) == 2
    semantic = await search_memories(app, "quokka photos from the trip", mode="semantic")
    assert semantic.hits[0].memory.id == results[1].id


async def test_batch_tag_and_delete_by_filter(app: App) -> None:
    """Tags are added and removed by filter; deletes are dry runs unless dry_run=False."""
    ids = [(await store_memory(app, f"log line {i}", tags=["log"])).id for i in range(3)]
    other = (await store_memory(app, "unrelated", tags=["keep"])).id
    tagged = await batch_tag(app, flt={"tags": ["log"]}, add=["old"], remove=["log"])
    assert tagged.count == 3
    assert (await get_memories(app, [ids[0]])).memories[0].tags == ("old",)
    preview = await batch_delete(app, flt={"tags": ["old"]})
    assert (preview.dry_run, preview.count) == (True, 3)
    assert len(await recent_memories(app)) == 4
    done = await batch_delete(app, flt={"tags": ["old"]}, dry_run=False)
    assert done.count == 3
    assert [m.id for m in await recent_memories(app)] == [other]
    with pytest.raises(InvalidInput, match="nothing to do"):
        await batch_tag(app, ids=[other])
