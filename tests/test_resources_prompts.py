"""Resources and prompts through the MCP client."""

from __future__ import annotations

import json

import pytest
from mcp import Client

pytestmark = pytest.mark.anyio


def _text(result: object) -> str:
    return result.contents[0].text  # type: ignore[attr-defined]


async def test_resources_list_and_read(client: Client) -> None:
    """pins, recent, stats and one memory are readable as JSON; an unknown id is an error."""
    stored = await client.call_tool("memory_store", {"content": "Use conventional commits", "tags": ["git"]})
    memory_id = stored.structured_content["id"]  # type: ignore[index]
    await client.call_tool("memory_pin", {"id": memory_id})
    resources = {str(r.uri) for r in (await client.list_resources()).resources}
    assert {"memory://pins", "memory://recent", "memory://stats"} <= resources
    templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
    assert "memory://memory/{id}" in templates
    assert json.loads(_text(await client.read_resource("memory://pins")))[0]["id"] == memory_id
    assert (
        json.loads(_text(await client.read_resource("memory://recent")))[0]["content"]
        == "Use conventional commits"
    )
    assert json.loads(_text(await client.read_resource("memory://stats")))["memories"] == 1
    one = json.loads(_text(await client.read_resource(f"memory://memory/{memory_id}")))
    assert (one["id"], one["tags"]) == (memory_id, ["git"])
    with pytest.raises(Exception, match="no memory m_404"):
        await client.read_resource("memory://memory/m_404")


async def test_prompts_recall_and_save_lessons(client: Client) -> None:
    """recall brings what memory holds for a task; save_lessons tells the agent how to store them."""
    await client.call_tool("memory_store", {"content": "Database migrations run with alembic upgrade head"})
    names = {p.name for p in (await client.list_prompts()).prompts}
    assert names == {"recall", "save_lessons"}
    recalled = await client.get_prompt("recall", {"task": "run the database migrations"})
    text = recalled.messages[0].content.text  # type: ignore[union-attr]
    assert "alembic upgrade head" in text
    assert text.startswith("Task: run the database migrations")
    lessons = await client.get_prompt("save_lessons", {"focus": "the flaky test"})
    assert "memory_store" in lessons.messages[0].content.text  # type: ignore[union-attr]
    assert "the flaky test" in lessons.messages[0].content.text  # type: ignore[union-attr]
