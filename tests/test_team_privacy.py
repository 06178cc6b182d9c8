"""Team memory's privacy through the services themselves: two members, each with their own app
connected as their own Postgres role, on one shared database. What Alice stores as private reaches
Bob through no search, listing, read, change, history, graph query or export; what she shares does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mcp_memory.errors import InvalidInput, NotFound
from mcp_memory.services.app import App, open_app
from mcp_memory.services.graph.entities import link_memory, query_graph
from mcp_memory.services.memories.changes import delete_memories, update_memory
from mcp_memory.services.memories.history import memory_history
from mcp_memory.services.memories.store import get_memories, recent_memories, store_memory
from mcp_memory.services.search.hybrid import search_memories
from mcp_memory.services.transfer.exporting import export_memories
from mcp_memory.storage.postgres.database import PgDatabase
from mcp_memory.storage.postgres.team import add_member, setup_team
from tests.conftest import FAKE_DIM, fake_loader, make_settings
from tests.postgres import PostgresServer

pytestmark = pytest.mark.anyio

PRIVATE = "the launch codename is BLUEFIN, do not share it yet"
SHARED = "the team builds the service with ninja and clang"


@pytest.fixture
async def members(postgres: PostgresServer, tmp_path: Path) -> AsyncIterator[tuple[App, App]]:
    """Alice's and Bob's apps on one team database, each connected as their own role."""
    database = postgres.new_database()
    admin = postgres.url(database)
    setup_team(admin, FAKE_DIM)
    apps = []
    for name in ("alice", "bob"):
        add_member(admin, name, f"{name}-pw")
        db = await PgDatabase.open(postgres.url(database, name, f"{name}-pw"))
        opened = open_app(make_settings(tmp_path / name), loader=fake_loader(), database=db)  # type: ignore[arg-type]
        app = await opened.__aenter__()
        await app.load_model()
        apps.append((opened, app))
    yield apps[0][1], apps[1][1]
    for opened, _ in reversed(apps):
        await opened.__aexit__(None, None, None)


async def test_a_private_memory_reaches_no_other_member(members: tuple[App, App]) -> None:
    """Bob's searches (every mode), listings, reads, history and export hold nothing of Alice's
    private memory, while her team memory reaches him and both reach her."""
    alice, bob = members
    private = await store_memory(alice, PRIVATE, tags=["bluefin"], visibility="private")
    shared = await store_memory(alice, SHARED, tags=["build"])
    for mode in ("hybrid", "keyword", "semantic"):
        found = await search_memories(bob, "launch codename bluefin", mode=mode, min_relevance=0)
        assert private.id not in [h.memory.id for h in found.hits], mode
    assert [h.memory.id for h in (await search_memories(bob, "ninja clang build")).hits][:1] == [shared.id]
    assert (await get_memories(bob, [private.id])).missing == (private.id,)
    assert [m.id for m in await recent_memories(bob, limit=50)] == [shared.id]
    with pytest.raises(NotFound):
        await memory_history(bob, private.id)
    exported = await export_memories(bob, str(bob.settings.data_dir / "bob.jsonl"))
    text = Path(exported.path).read_text(encoding="utf-8")
    assert "BLUEFIN" not in text.upper()
    assert "bluefin" not in text
    assert "ninja" in text
    mine = await search_memories(alice, "launch codename bluefin", min_relevance=0)
    assert mine.hits[0].memory.id == private.id


async def test_another_member_cannot_change_a_private_memory(members: tuple[App, App]) -> None:
    """Bob's update and delete of Alice's private memory find nothing to change, and it stays hers,
    unchanged."""
    alice, bob = members
    private = await store_memory(alice, PRIVATE, visibility="private")
    with pytest.raises(NotFound):
        await update_memory(bob, private.id, content="overwritten")
    assert (await delete_memories(bob, [private.id])).missing == (private.id,)
    assert (await get_memories(alice, [private.id])).memories[0].content == PRIVATE


async def test_a_private_memorys_graph_links_are_its_owners(members: tuple[App, App]) -> None:
    """An entity both can see lists Alice's private memory among its memories for her, not for Bob."""
    alice, bob = members
    private = await store_memory(alice, PRIVATE, visibility="private")
    shared = await store_memory(alice, SHARED)
    await link_memory(alice, private.id, ["Launch"])
    await link_memory(alice, shared.id, ["Launch"])
    assert {m.id for m in (await query_graph(alice, name="Launch")).memories} == {private.id, shared.id}
    assert {m.id for m in (await query_graph(bob, name="Launch")).memories} == {shared.id}


async def test_a_team_memory_is_shared_and_a_bad_visibility_is_refused(members: tuple[App, App]) -> None:
    """A memory stored without a visibility is the team's (Bob reads it); a visibility that is
    neither 'team' nor 'private' is refused before anything is written."""
    alice, bob = members
    shared = await store_memory(alice, SHARED)
    assert (await get_memories(bob, [shared.id])).memories[0].content == SHARED
    with pytest.raises(InvalidInput, match="visibility"):
        await store_memory(alice, "x", visibility="everyone")
    assert len(await recent_memories(alice, limit=50)) == 1


async def test_sharing_and_unsharing_a_memory_and_who_wrote_it(members: tuple[App, App]) -> None:
    """Alice shares a private memory with the team, Bob then sees and changes it, and the memory and
    its history name who stored it and who wrote each version; Bob cannot make it private (it is
    Alice's), Alice can, and then it is gone from Bob's reads again."""
    alice, bob = members
    note = await store_memory(alice, PRIVATE, visibility="private")
    assert (await get_memories(bob, [note.id])).missing == (note.id,)
    shared = await update_memory(alice, note.id, visibility="team")
    assert shared.changed == ("visibility",)
    seen = (await get_memories(bob, [note.id])).memories[0]
    assert (seen.visibility, seen.created_by, seen.updated_by) == ("team", "alice", "alice")
    await update_memory(bob, note.id, content=PRIVATE + " (until the keynote)")
    with pytest.raises(InvalidInput, match="only its owner can make it private"):
        await update_memory(bob, note.id, visibility="private")
    changed = (await get_memories(alice, [note.id])).memories[0]
    assert (changed.created_by, changed.updated_by, changed.version) == ("alice", "bob", 3)
    history = await memory_history(alice, note.id)
    assert [v.version for v in history.versions] == [3, 2, 1]
    assert dict(history.authors) == {1: "alice", 2: "alice", 3: "bob"}
    assert [v.changed_by for v in history.versions[1:]] == ["bob", "alice"]
    await update_memory(alice, note.id, visibility="private")
    assert (await get_memories(bob, [note.id])).missing == (note.id,)
    found = await search_memories(bob, "launch codename keynote", min_relevance=0)
    assert note.id not in [h.memory.id for h in found.hits]


async def test_reading_a_memory_does_not_make_the_reader_its_author(members: tuple[App, App]) -> None:
    """Counting Bob's reads of Alice's team memory (an UPDATE of the row) leaves updated_by alone."""
    alice, bob = members
    stored = await store_memory(alice, SHARED)
    await get_memories(bob, [stored.id])
    await bob.flush_access()
    memory = (await get_memories(alice, [stored.id])).memories[0]
    assert memory.access_count >= 1
    assert memory.updated_by == "alice"


async def test_episodes_follow_the_visibility_setting_and_their_lesson_too(members: tuple[App, App]) -> None:
    """With MCP_MEMORY_VISIBILITY=private, Alice's episode is hers alone, and so is the lesson memory
    its completion stores; Bob sees neither."""
    from mcp_memory.services.episodes.record import complete_episode, list_episodes, start_episode

    alice, bob = members
    alice.settings = alice.settings.replace(visibility="private")
    episode = await start_episode(alice, "rotate the BLUEFIN signing key")
    done = await complete_episode(alice, episode, "success", lesson="BLUEFIN keys rotate with the vault CLI")
    assert episode not in [e.id for e in await list_episodes(bob, project="*")]
    lessons = await search_memories(bob, "bluefin signing key vault", min_relevance=0, project="*")
    assert lessons.hits == ()
    mine = await search_memories(alice, "bluefin signing key vault", min_relevance=0, project="*")
    assert done.lesson_memory_id in [h.memory.id for h in mine.hits]


async def test_an_identical_memory_with_other_readers_is_not_a_duplicate(members: tuple[App, App]) -> None:
    """Alice's private copy of Bob's team memory is a memory of her own (merging into Bob's would
    share her private tag with the team), while her team copy is the duplicate it is."""
    alice, bob = members
    shared = await store_memory(bob, SHARED, tags=["build"])
    mine = await store_memory(alice, SHARED, tags=["bluefin"], visibility="private")
    assert (mine.status, mine.duplicate_of) == ("created", None)
    assert (await get_memories(bob, [shared.id])).memories[0].tags == ("build",)
    again = await store_memory(alice, SHARED, tags=["toolchain"])
    assert (again.status, again.duplicate_of) == ("duplicate", shared.id)
    assert (await store_memory(alice, SHARED, visibility="private")).duplicate_of == mine.id


async def test_consolidation_merges_only_memories_with_the_same_readers(members: tuple[App, App]) -> None:
    """Alice's consolidation merges the team's two copies with each other and her two private copies
    with each other, never a private one into a team one (its tags would reach the team) or a team
    one into a private one (the team would lose it)."""
    from mcp_memory.services.maintenance.consolidate import consolidate

    alice, bob = members
    team_copies = [await store_memory(bob, text, tags=["build"]) for text in (SHARED, SHARED + "!")]
    private_copies = [
        await store_memory(alice, text, tags=["bluefin"], visibility="private")
        for text in (SHARED + ".", SHARED + "?")
    ]
    report = await consolidate(alice, dry_run=False)
    groups = sorted(sorted([m.survivor, *m.merged]) for m in report.merges)
    assert groups == sorted([sorted(m.id for m in team_copies), sorted(m.id for m in private_copies)])
    seen = await get_memories(bob, [m.id for m in team_copies])
    assert all("bluefin" not in m.tags for m in seen.memories)
    assert len(seen.memories) == 1  # one team copy survives, for Bob too
    assert len((await get_memories(alice, [m.id for m in private_copies])).memories) == 1


async def test_a_members_lifecycle_rules_reach_only_their_own_memories(members: tuple[App, App]) -> None:
    """Alice's rule deleting scratch notes deletes hers, not the scratch note Bob shared."""
    from mcp_memory.services.maintenance.consolidate import consolidate, set_rules

    alice, bob = members
    bobs = await store_memory(bob, "scratch: the staging deploy took 4 minutes", kind="scratch")
    alices = await store_memory(alice, "scratch: my local build took 9 minutes", kind="scratch")
    await set_rules(alice, [{"action": "delete", "older_than_days": 0, "kind": "scratch"}])
    report = await consolidate(alice, dry_run=False)
    assert [ids for r in report.rules for ids in r.ids] == [alices.id]
    assert (await get_memories(bob, [bobs.id])).memories[0].id == bobs.id
    assert (await get_memories(alice, [alices.id])).missing == (alices.id,)


async def test_graph_build_takes_no_name_from_a_private_memory_into_the_teams_graph(
    members: tuple[App, App],
) -> None:
    """Building the graph from Alice's private memory adds none of its names to the shared entities
    (Bob would read them); it links her memory to the entities the team's memories made."""
    from mcp_memory.services.graph.extraction import build_graph

    alice, bob = members
    await store_memory(bob, "Deploys go through the Gatekeeper service")
    private = await store_memory(
        alice, "Project Zephyrhawk ships through the Gatekeeper service", visibility="private"
    )
    await build_graph(bob)
    await build_graph(alice)
    names = " ".join(str(r[0]) for r in await bob.db.fetchall("SELECT name FROM entities")).lower()
    assert "gatekeeper" in names
    assert "zephyrhawk" not in names
    linked = await query_graph(alice, name="Gatekeeper")
    assert private.id in {m.id for m in linked.memories}
    assert private.id not in {m.id for m in (await query_graph(bob, name="Gatekeeper")).memories}
