"""Changed facts: a new memory that states another value for a stored one says so (`conflicts`);
look-alikes about other things do not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mcp import Client

from mcp_memory.services.app import App
from mcp_memory.services.memories.changes import update_memory
from mcp_memory.services.memories.fact_changes import changes_fact
from mcp_memory.services.memories.store import store_memory

pytestmark = pytest.mark.anyio

FIXTURE = Path(__file__).resolve().parent.parent / "bench" / "fixtures" / "fact_changes.jsonl"
CASES = [json.loads(line) for line in FIXTURE.read_text().splitlines() if line.strip()]

OLD = "The staging database listens on port 5433"
NEW = "The staging database now listens on port 6543"
PRODUCTION = "The production database listens on port 5432"


@pytest.mark.parametrize("case", CASES, ids=[f"{c['changed']}:{c['newer'][:40]}" for c in CASES])
def test_the_fixture_cases(case: dict[str, object]) -> None:
    """Each changed fact of the fixture is seen as changed and each look-alike is not."""
    assert changes_fact(str(case["older"]), str(case["newer"])) is case["changed"]


def test_a_designated_number_names_the_subject() -> None:
    """ "Ticket 142" and "ticket 143" are two tickets, not two values of one."""
    assert not changes_fact("Ticket 142 is assigned to Alice", "Ticket 143 is assigned to Bob")
    assert not changes_fact("Sprint 12 ends on Friday", "Sprint 13 ends on Monday")
    assert changes_fact("Ticket 142 is assigned to Alice", "Ticket 142 is now assigned to Bob")
    assert changes_fact("Sprint 12 ends on Friday", "Sprint 12 now ends on Monday")


def test_an_addition_or_a_restatement_changes_nothing() -> None:
    assert not changes_fact(OLD, OLD + "; backups run nightly")
    assert not changes_fact(OLD, OLD.upper())
    assert not changes_fact(
        "Errors are reported to Sentry", "Errors are now also reported to Datadog and Sentry"
    )
    assert changes_fact("Feature flags are on in staging", "Feature flags are off in staging")


@pytest.fixture
def app(engine_app: App) -> App:
    """Every service test here runs on both engines."""
    return engine_app


async def test_store_lists_the_memory_it_contradicts(app: App) -> None:
    old = await store_memory(app, OLD)
    production = await store_memory(app, PRODUCTION)
    assert old.conflicts == ()
    assert production.conflicts == ()
    new = await store_memory(app, NEW)
    assert new.status == "created"
    assert [(c.id, c.content) for c in new.conflicts] == [(old.id, OLD)]
    assert new.conflicts[0].created_at > 0


async def test_no_conflict_across_projects_or_with_a_duplicate(app: App) -> None:
    await store_memory(app, OLD, project="other")
    assert (await store_memory(app, NEW)).conflicts == ()
    again = await store_memory(app, NEW)
    assert again.status == "duplicate"
    assert again.conflicts == ()


async def test_update_lists_the_memories_its_new_content_contradicts(app: App) -> None:
    old = await store_memory(app, OLD)
    other = await store_memory(app, "The staging cache listens on port 6379")
    updated = await update_memory(app, other.id, content=NEW)
    assert [c.id for c in updated.conflicts] == [old.id]
    retagged = await update_memory(app, other.id, tags=["db"])
    assert retagged.conflicts == ()  # only new content is compared


async def test_the_agent_is_told_in_the_structured_result(client: Client) -> None:
    """Claude Code shows the model only the structured content: the conflicts and what to do are
    in it, and the text says the same."""
    first = await client.call_tool("memory_store", {"content": OLD})
    old_id = first.structured_content["id"]  # type: ignore[index]
    result = await client.call_tool("memory_store", {"content": NEW})
    body = result.structured_content
    assert body is not None
    assert not result.is_error
    assert [c["id"] for c in body["conflicts"]] == [old_id]
    assert body["conflicts"][0]["content"] == OLD
    assert body["conflicts"][0]["created_at"]
    assert old_id in body["notice"]
    assert "supersedes" in body["notice"]
    text = result.content[0].text  # type: ignore[union-attr]
    assert old_id in text
    assert OLD in text
    plain = await client.call_tool("memory_store", {"content": "Use pnpm in the web workspace"})
    assert "conflicts" not in plain.structured_content  # type: ignore[operator]


async def test_a_batch_store_lists_what_each_new_memory_contradicts(app: App) -> None:
    """memory_batch_store reports each new memory's conflicts as memory_store does: the stored fact it
    changes, a changed fact earlier in the same batch; not a look-alike about another thing, not a
    duplicate, not what the item supersedes; and the view tells the agent what to do."""
    from mcp_memory.services.memories.batch import batch_store
    from mcp_memory.views.batch import batch_store_view

    old = await store_memory(app, OLD)
    await store_memory(app, PRODUCTION)
    deploys = "Deploys to production happen on Tuesdays"
    results = await batch_store(
        app,
        [
            {"content": NEW},
            {"content": "The billing service retries webhooks three times"},
            {"content": OLD},
            {"content": deploys},
            {"content": "Deploys to production now happen on Thursdays"},
        ],
    )
    assert [r.ok for r in results] == [True] * 5
    assert [c.id for c in results[0].conflicts] == [old.id]  # not the production look-alike
    assert results[1].conflicts == ()
    assert results[2].status == "duplicate"
    assert results[2].conflicts == ()
    assert [c.content for c in results[4].conflicts] == [deploys]
    retiring = await batch_store(
        app, [{"content": "The staging database listens on port 7000 since the move", "supersedes": [old.id]}]
    )
    assert old.id not in [c.id for c in retiring[0].conflicts]  # the one it supersedes
    out, text = batch_store_view(results)
    assert out.results[0].conflicts is not None
    assert out.results[0].conflicts[0].id == old.id
    assert f"item 0 ({results[0].id}):" in text
    assert f"supersedes=['{old.id}']" in text
