"""The memory service: store, duplicates, limits, update with history, delete, recent, projects."""

from __future__ import annotations

import pytest

from mcp_memory.errors import InvalidInput, LimitExceeded, NotFound
from mcp_memory.limits import MAX_CONTENT_BYTES, MAX_TAGS
from mcp_memory.services.app import App
from mcp_memory.services.memories.changes import delete_memories, update_memory
from mcp_memory.services.memories.store import get_memories, recent_memories, store_memory
from tests.conftest import keyword_rows, store_digest, vector_rows

pytestmark = pytest.mark.anyio


@pytest.fixture
def app(engine_app: App) -> App:
    """Every test here runs on both engines."""
    return engine_app


async def test_store_and_get_round_trip(app: App) -> None:
    """A stored memory comes back whole, with normalized tags, its vector and the current project."""
    result = await store_memory(
        app,
        "  Use uv for packaging  ",
        tags=["Tooling", "tooling", " Python "],
        kind="Decision",
        importance=0.8,
        metadata={"source": "review"},
    )
    assert result.status == "created"
    assert result.embedded
    assert result.project == "proj"
    got = await get_memories(app, [result.id])
    memory = got.memories[0]
    assert memory.content == "Use uv for packaging"
    assert memory.tags == ("python", "tooling")
    assert (memory.kind, memory.importance, memory.metadata) == ("decision", 0.8, {"source": "review"})
    assert memory.embedded
    assert memory.version == 1
    assert got.missing == ()


async def test_identical_content_is_a_duplicate_with_merged_tags(app: App) -> None:
    """Storing the same text again returns the first id and adds the new tags."""
    first = await store_memory(app, "The API uses JWT auth", tags=["auth"])
    again = await store_memory(app, "The API uses JWT auth", tags=["security"])
    assert (again.status, again.id, again.duplicate_of) == ("duplicate", first.id, first.id)
    memory = (await get_memories(app, [first.id])).memories[0]
    assert memory.tags == ("auth", "security")
    assert await app.db.scalar("SELECT count(*) FROM memories") == 1


async def test_similar_content_is_always_stored(app: App) -> None:
    """Texts that differ, however slightly, are distinct memories: nothing is silently dropped."""
    a = await store_memory(app, "Caroline: I went to the LGBTQ support group yesterday.")
    b = await store_memory(app, "Caroline: I went to the LGBTQ support group yesterday!")
    assert a.status == b.status == "created"
    assert a.id != b.id


async def test_same_content_in_another_project_is_separate(app: App) -> None:
    """Duplicate detection is per project."""
    a = await store_memory(app, "run make test", project="alpha")
    b = await store_memory(app, "run make test", project="beta")
    assert a.id != b.id
    assert b.status == "created"


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"content": "   "}, InvalidInput, "content is empty"),
        ({"content": "x" * (MAX_CONTENT_BYTES + 1)}, LimitExceeded, "over the limit"),
        ({"content": "ok", "tags": [f"t{i}" for i in range(MAX_TAGS + 1)]}, LimitExceeded, "at most 50"),
        ({"content": "ok", "tags": ["x" * 65]}, LimitExceeded, "at most 64"),
        ({"content": "ok", "metadata": {"k": "v" * 17000}}, LimitExceeded, "16,384"),
        ({"content": "ok", "importance": 1.5}, InvalidInput, "0 \\(trivial\\)"),
        ({"content": "ok", "kind": "Not A Kind!"}, InvalidInput, "kind"),
        ({"content": "ok", "expires_at": "2001-01-01"}, InvalidInput, "in the past"),
        ({"content": "ok", "created_at": "someday"}, InvalidInput, "ISO 8601"),
        ({"content": "ok", "project": "*"}, InvalidInput, "one project"),
    ],
)
async def test_bad_input_is_refused_and_changes_nothing(
    app: App, kwargs: dict, error: type, words: str
) -> None:
    """Each invalid argument raises a clear error and leaves the database byte-for-byte as it was."""
    await store_memory(app, "something already here", tags=["x"])
    before = await store_digest(app)
    with pytest.raises(error, match=words):
        await store_memory(app, **kwargs)
    assert await store_digest(app) == before


async def test_update_keeps_the_previous_version(app: App) -> None:
    """An update bumps the version and the old state is in the history with what changed."""
    stored = await store_memory(app, "Deploys happen on Fridays", tags=["ops"])
    result = await update_memory(app, stored.id, content="Deploys happen on Tuesdays", importance=0.9)
    assert result.version == 2
    assert set(result.changed) == {"content", "importance"}
    assert result.embedded
    memory = (await get_memories(app, [stored.id], include_history=True)).memories[0]
    assert memory.content == "Deploys happen on Tuesdays"
    assert memory.version == 2
    (old,) = memory.history
    assert (old.version, old.content, old.replaced_by) == (1, "Deploys happen on Fridays", "update")
    assert set(old.changed) == {"content", "importance"}


async def test_update_with_same_values_changes_nothing(app: App) -> None:
    """Updating to the current values keeps the version and records no history."""
    stored = await store_memory(app, "Same", tags=["a"])
    result = await update_memory(app, stored.id, content="Same", tags=["a"])
    assert result.changed == ()
    assert result.version == 1
    assert await app.db.scalar("SELECT count(*) FROM memory_versions") == 0


async def test_update_errors(app: App) -> None:
    """Unknown ids and empty updates are refused with directions."""
    with pytest.raises(NotFound, match="memory_search"):
        await update_memory(app, "m_999", content="x")
    with pytest.raises(NotFound, match="not a memory id"):
        await update_memory(app, "banana", content="x")
    stored = await store_memory(app, "a memory")
    with pytest.raises(InvalidInput, match="nothing to update"):
        await update_memory(app, stored.id)


async def test_delete_hides_the_memory_everywhere(app: App) -> None:
    """A deleted memory leaves get, recent and both indexes, and a second delete reports it missing."""
    keep = await store_memory(app, "keep me")
    gone = await store_memory(app, "delete me")
    result = await delete_memories(app, [gone.id, "m_404"])
    assert (result.deleted, result.deleted_ids, result.missing) == (1, (gone.id,), ("m_404",))
    assert (await get_memories(app, [gone.id])).missing == (gone.id,)
    assert [m.id for m in await recent_memories(app)] == [keep.id]
    assert await keyword_rows(app) == 1
    assert await vector_rows(app) == 1
    assert (await delete_memories(app, [gone.id])).missing == (gone.id,)
    history = await app.db.scalar(
        "SELECT replaced_by FROM memory_versions WHERE memory_id = ?", (int(gone.id[2:]),)
    )
    assert history == "delete"


async def test_recent_is_newest_first_and_scoped(app: App) -> None:
    """recent lists newest first, within the current project plus global memories."""
    a = await store_memory(app, "first", created_at="2024-01-01")
    b = await store_memory(app, "second", created_at="2024-01-02", project="global")
    await store_memory(app, "elsewhere", project="other")
    c = await store_memory(app, "third", created_at="2024-01-03", kind="fact")
    assert [m.id for m in await recent_memories(app)] == [c.id, b.id, a.id]
    assert [m.id for m in await recent_memories(app, kind="fact")] == [c.id]
    assert len(await recent_memories(app, project="*")) == 4
    assert [m.id for m in await recent_memories(app, project="global")] == [b.id]
    with pytest.raises(InvalidInput, match="limit"):
        await recent_memories(app, limit=0)


async def test_expired_memories_are_not_returned(app: App) -> None:
    """A memory past its expiry time is left out of listings."""
    stored = await store_memory(app, "temporary note", expires_at="in 1 hour")
    await app.db.execute_script([f"UPDATE memories SET expires_at = 1 WHERE id = {int(stored.id[2:])}"])
    assert await recent_memories(app) == []


async def test_in_memory_database_works(memory_app: App) -> None:
    """The in-memory database supports the same operations."""
    stored = await store_memory(memory_app, "in memory")
    assert (await get_memories(memory_app, [stored.id])).memories[0].content == "in memory"


async def test_unicode_digits_are_not_ids(app: App) -> None:
    """'²' counts as a digit to Python but is no id: it is reported missing, not a crash."""
    assert (await get_memories(app, ["²", "m_١٢"])).missing == ("²", "m_١٢")
    with pytest.raises(NotFound):
        await update_memory(app, "m_²", content="x")


async def test_visibility_is_checked_everywhere_and_kept_where_it_means_something(app: App) -> None:
    """'private' and 'team' are accepted on both engines (the SQLite file keeps no column for it: every
    memory there is its user's), a Postgres row records the one given, and another value is refused
    with the two to use."""
    private = await store_memory(app, "only mine", visibility="private")
    team = await store_memory(app, "everyone's")
    if app.db.dialect == "postgres":
        rows = await app.db.fetchall("SELECT id, visibility FROM memories ORDER BY id")
        assert [(f"m_{r[0]}", r[1]) for r in rows] == [(private.id, "private"), (team.id, "team")]
    with pytest.raises(InvalidInput, match=r"'team'.*'private'"):
        await store_memory(app, "x", visibility="public")


async def test_visibility_on_the_sqlite_file_changes_nothing(app: App) -> None:
    """The SQLite file is its user's alone: an update asking for a visibility keeps the memory as it
    is (no new version), a bad value is refused, and the memory shows no team fields. (On Postgres:
    tests/test_team_privacy.py.)"""
    if app.db.dialect != "sqlite":
        pytest.skip("the SQLite file's rule")
    stored = await store_memory(app, "the release train leaves on tuesdays", visibility="private")
    before = await store_digest(app)
    result = await update_memory(app, stored.id, visibility="private")
    assert (result.version, result.changed) == (1, ())
    assert await store_digest(app) == before
    with pytest.raises(InvalidInput, match="visibility 'secret' is not valid"):
        await update_memory(app, stored.id, visibility="secret")
    memory = (await get_memories(app, [stored.id])).memories[0]
    assert (memory.visibility, memory.created_by, memory.updated_by) == (None, None, None)
