"""Consolidation: near-duplicate merging, expiry, lifecycle rules; dry run first, pins protected."""

from __future__ import annotations

from typing import Any

import pytest

from mcp_memory.errors import InvalidInput
from mcp_memory.services.app import App
from mcp_memory.services.maintenance.consolidate import consolidate, get_rules, set_rules
from mcp_memory.services.memories.history import memory_history, revert_memory
from mcp_memory.services.memories.pins import set_pinned
from mcp_memory.services.memories.store import get_memories, recent_memories, store_memory
from mcp_memory.services.search.hybrid import search_memories

pytestmark = pytest.mark.anyio


@pytest.fixture
def app(engine_app: App) -> App:
    """Every test here runs on both engines."""
    return engine_app


async def test_dry_run_reports_and_changes_nothing_then_merge_keeps_tags(app: App) -> None:
    """Near-duplicates are reported in a dry run; the real run keeps one with every tag, the other is
    deleted with a version saying where it went."""
    a = (await store_memory(app, "use ruff for linting python code", tags=["lint"], importance=0.8)).id
    b = (await store_memory(app, "Use ruff for linting Python code!", tags=["python"])).id
    other = (await store_memory(app, "deploys happen on tuesday")).id
    preview = await consolidate(app)
    assert preview.dry_run
    assert [(m.survivor, m.merged) for m in preview.merges] == [(a, (b,))]
    assert len(await recent_memories(app)) == 3
    done = await consolidate(app, dry_run=False)
    assert [(m.survivor, m.merged) for m in done.merges] == [(a, (b,))]
    survivor = (await get_memories(app, [a])).memories[0]
    assert survivor.tags == ("lint", "python")
    assert {m.id for m in await recent_memories(app)} == {a, other}
    history = await memory_history(app, b)
    assert history.deleted
    assert history.versions[1].changed == (f"merged into {a} (similarity ≥ {done.merges[0].similarity})",)
    await revert_memory(app, b, history.versions[1].version)
    assert len(await recent_memories(app)) == 3


async def test_pinned_memories_are_never_merged_away_or_expired(app: App) -> None:
    """A pinned near-duplicate survives the merge; a pinned expired memory stays."""
    plain = (await store_memory(app, "the api key rotates monthly", importance=0.9)).id
    pinned = (await store_memory(app, "The API key rotates monthly.")).id
    await set_pinned(app, pinned, True)
    report = await consolidate(app, dry_run=False)
    assert [(m.survivor, m.merged) for m in report.merges] == [(pinned, (plain,))]
    keep = (await store_memory(app, "temporary but pinned", expires_at="in 1 hour")).id
    await set_pinned(app, keep, True)
    await app.db.execute_script([f"UPDATE memories SET expires_at = 1 WHERE id = {int(keep[2:])}"])
    report = await consolidate(app, dry_run=False)
    assert keep not in report.expired


async def test_expired_memories_are_removed(app: App) -> None:
    """Memories past expiry are reported and then deleted."""
    gone = (await store_memory(app, "scratch note", expires_at="in 1 hour")).id
    await app.db.execute_script([f"UPDATE memories SET expires_at = 1 WHERE id = {int(gone[2:])}"])
    assert (await consolidate(app)).expired == (gone,)
    await consolidate(app, dry_run=False)
    assert (await memory_history(app, gone)).deleted


async def test_lifecycle_rules_delete_and_archive(app: App) -> None:
    """Rules are stored; delete removes, archive hides from search but memory_get still returns it."""
    rules = await set_rules(
        app,
        [
            {"kind": "scratch", "older_than_days": 7, "action": "delete"},
            {"importance_below": 0.2, "older_than_days": 90, "action": "archive"},
        ],
    )
    assert [r.describe() for r in await get_rules(app)] == [r.describe() for r in rules]
    old_scratch = (await store_memory(app, "scratch idea", kind="scratch", created_at="30 days ago")).id
    new_scratch = (await store_memory(app, "fresh scratch idea", kind="scratch")).id
    old_minor = (await store_memory(app, "minor old trivia", importance=0.1, created_at="200 days ago")).id
    report = await consolidate(app, dry_run=False)
    assert {(r.action, r.ids) for r in report.rules} == {
        ("delete", (old_scratch,)),
        ("archive", (old_minor,)),
    }
    remaining = {m.id for m in await recent_memories(app, project="*")}
    assert remaining == {new_scratch}
    assert (await search_memories(app, "trivia")).hits == ()
    archived = (await get_memories(app, [old_minor])).memories[0]
    assert archived.archived_at is not None
    with pytest.raises(InvalidInput, match="action"):
        await set_rules(app, [{"older_than_days": 1, "action": "shred"}])
    assert await set_rules(app, []) == []


async def test_dry_run_shows_both_texts_and_what_survives(app: App) -> None:
    """Each proposed merge carries the survivor's text and every merged text with its similarity."""
    a = (await store_memory(app, "Use ruff for linting Python code", importance=0.9)).id
    b = (await store_memory(app, "use ruff for linting python code.")).id
    (merge,) = (await consolidate(app)).merges
    assert (merge.survivor, merge.survivor_content) == (a, "Use ruff for linting Python code")
    assert [(m.id, m.content) for m in merge.merged_memories] == [(b, "use ruff for linting python code.")]
    assert merge.merged_memories[0].similarity >= merge.similarity


async def test_similar_memories_with_different_numbers_are_not_merged(app: App) -> None:
    """Two memories the model finds near-identical but that differ in a number are both kept: the
    older one is retired in favour of the newer (a changed fact), never merged into it."""
    old = await store_memory(app, "The API rate limit is 60 requests per minute", created_at="2026-01-02")
    new = await store_memory(app, "The API rate limit is 600 requests per minute")
    report = await consolidate(app, similarity=0.5, dry_run=False)
    assert report.merges == ()
    assert [(s.older, s.newer) for s in report.supersessions] == [(old.id, new.id)]
    kept = (await get_memories(app, [old.id, new.id])).memories
    assert [(m.content, m.superseded_by) for m in kept] == [
        ("The API rate limit is 60 requests per minute", new.id),
        ("The API rate limit is 600 requests per minute", None),
    ]


async def test_a_memory_changed_after_the_plan_is_not_merged(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A memory edited between the plan and the apply transaction is merged only if it still adds
    nothing to the survivor: here it gained a time, so both stay."""
    from mcp_memory.services.memories.changes import update_memory

    a = (await store_memory(app, "deploys happen on tuesday", importance=0.9)).id
    b = (await store_memory(app, "Deploys happen on Tuesday.")).id
    assert [m.merged for m in (await consolidate(app)).merges] == [(b,)]
    write = app.db.write
    edited = False

    async def edit_first(work: Any) -> Any:
        nonlocal edited
        if not edited:  # the consolidation's apply: another client edits b just before it
            edited = True
            monkeypatch.setattr(app.db, "write", write)
            await update_memory(app, b, content="Deploys happen on Tuesday at 10:00.")
        return await write(work)

    monkeypatch.setattr(app.db, "write", edit_first)
    done = await consolidate(app, dry_run=False)
    assert edited
    assert [m.merged for m in done.merges] == [(b,)]  # what was planned
    assert {m.id for m in await recent_memories(app)} == {a, b}  # what was done: nothing lost
