"""Refused tool arguments through the SDK's client: one line naming the argument, the rule and what to
pass instead; unknown names are errors with the closest real one; nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client, types

from mcp_memory.config import Settings
from tests.conftest import memory_count, store_rows_digest

pytestmark = pytest.mark.anyio


def _reason(result: types.CallToolResult, tool: str) -> str:
    """The refusal's text after the SDK's prefix, which every error of a tool carries."""
    assert result.is_error
    text = "".join(getattr(block, "text", "") for block in result.content)
    prefix = f"Error executing tool {tool}: "
    assert text.startswith(prefix), text
    return text[len(prefix) :]


async def _refused(client: Client, settings: Settings, tool: str, arguments: dict[str, Any]) -> str:
    """Call `tool` with bad arguments over a store holding one memory; the reason, once nothing changed."""
    await client.call_tool("memory_store", {"content": "an existing memory"})
    before, count = store_rows_digest(settings), memory_count(settings)
    reason = _reason(await client.call_tool(tool, arguments), tool)
    assert memory_count(settings) == count
    assert store_rows_digest(settings) == before
    return reason


@pytest.mark.parametrize(
    ("tool", "arguments", "expected"),
    [
        ("memory_store", {"content": ""}, "content must not be empty; pass a string: what to remember"),
        (
            "memory_store",
            {"content": "x", "importance": 5},
            "importance must be between 0 and 1 (got 5); pass a number such as 0.5",
        ),
        (
            "memory_search",
            {"query": "x", "limit": 100000},
            "limit must be between 1 and 100 (got 100000); pass a whole number such as 10",
        ),
        (
            "memory_search",
            {"query": "a" * 4001},
            "query must be at most 4,000 characters (got 4,001); pass a shorter string",
        ),
        ("memory_get", {"ids": []}, "ids must have at least 1 item (got 0); pass a list of strings"),
        ("memory_delete", {"ids": []}, "ids must have at least 1 item (got 0); pass a list of strings"),
        ("memory_get", {"ids": "m_1"}, 'ids must be a list (got "m_1"); pass a list such as ["m_1"]'),
        (
            "memory_context",
            {"token_budget": 10},
            "token_budget must be between 50 and 100,000 (got 10); pass a whole number such as 2000",
        ),
        (
            "memory_search",
            {"query": "x", "mode": "fuzzy"},
            'mode must be one of "hybrid", "semantic", "keyword" (got "fuzzy"); pass "hybrid"',
        ),
        ("memory_store", {}, "content is required; pass a string"),
    ],
)
async def test_a_bad_value_is_one_line_naming_the_argument_rule_and_remedy(
    client: Client, settings: Settings, tool: str, arguments: dict[str, Any], expected: str
) -> None:
    """Each out-of-bounds, empty or mistyped argument is refused in one line without pydantic's dump."""
    reason = await _refused(client, settings, tool, arguments)
    assert "\n" not in reason
    assert "pydantic" not in reason
    assert "validation error" not in reason
    assert reason.startswith(expected), reason


@pytest.mark.parametrize(
    ("tool", "arguments", "expected"),
    [
        (
            "memory_batch_tag",
            {"filter": {"tag_mode": "some", "kind": "note"}, "add": ["x"]},
            'filter.tag_mode must be one of "any", "all" (got "some"); pass "any"',
        ),
        (
            "memory_batch_store",
            {"items": [{"content": "fine"}, {"content": "fine too"}, "not an object"]},
            'items[2] must be an object (got "not an object")',
        ),
        (
            "memory_lifecycle",
            {"rules": [{"action": "delete", "older_than_days": -1}]},
            "rules[0].older_than_days must be at least 0 (got -1); pass a number such as 0",
        ),
    ],
)
async def test_a_bad_nested_value_names_its_path(
    client: Client, settings: Settings, tool: str, arguments: dict[str, Any], expected: str
) -> None:
    """A bad value inside a filter object, a batch item or a rule is named by its path."""
    assert (await _refused(client, settings, tool, arguments)).startswith(expected)


async def test_several_bad_arguments_get_one_line_each(client: Client, settings: Settings) -> None:
    """Two bad arguments give two lines, so one round trip fixes both."""
    reason = await _refused(client, settings, "memory_search", {"query": "", "limit": 0})
    assert reason.splitlines() == [
        "query must not be empty; pass a string: what you are looking for, in words",
        "limit must be between 1 and 100 (got 0); pass a whole number such as 10",
    ]


@pytest.mark.parametrize(
    ("tool", "arguments", "expected"),
    [
        (
            "memory_store",
            {"content": "tagged by mistake", "tag": ["db"]},
            "unknown argument 'tag'; did you mean 'tags'?",
        ),
        (
            "memory_store",
            {"content": "a kind by mistake", "knd": "fact"},
            "unknown argument 'knd'; did you mean 'kind'?",
        ),
        ("memory_search", {"query": "memory", "limt": 3}, "unknown argument 'limt'; did you mean 'limit'?"),
        (
            "memory_batch_tag",
            {"filter": {"knd": "note"}, "add": ["x"]},
            "unknown argument 'filter.knd'; did you mean 'filter.kind'?",
        ),
        (
            "graph_upsert",
            {"entities": [{"name": "billing", "type": "service", "observation": ["runs nightly"]}]},
            "unknown argument 'entities[0].observation'; did you mean 'entities[0].observations'?",
        ),
        (
            "memory_recent",
            {"zzz": 1},
            "unknown argument 'zzz'; this tool takes limit, project, kind, tags",
        ),
    ],
)
async def test_an_unknown_argument_is_refused_with_the_closest_real_one(
    client: Client, settings: Settings, tool: str, arguments: dict[str, Any], expected: str
) -> None:
    """A misspelled or unknown argument, at the top or inside an object, is an error, not dropped."""
    assert await _refused(client, settings, tool, arguments) == expected


async def test_aliased_nested_keys_are_still_accepted(client: Client) -> None:
    """A relation's `from` and `to` (aliases of its fields) are real keys, not unknown ones."""
    result = await client.call_tool(
        "graph_upsert",
        {
            "entities": [{"name": "billing", "type": "service"}, {"name": "postgres", "type": "database"}],
            "relations": [{"from": "billing", "to": "postgres", "type": "uses"}],
        },
    )
    assert not result.is_error, result.content


async def test_a_misspelled_batch_item_field_names_the_real_one(client: Client, settings: Settings) -> None:
    """In a batch, an item with an unknown field is reported with the closest field; the others are stored."""
    before = memory_count(settings)
    result = await client.call_tool(
        "memory_batch_store",
        {"items": [{"content": "kept", "tags": ["a"]}, {"content": "dropped", "tag": ["b"]}]},
    )
    assert not result.is_error
    items = result.structured_content["results"]  # type: ignore[index]
    assert [item["ok"] for item in items] == [True, False]
    assert items[1]["error"] == "unknown field 'tag'; did you mean 'tags'?"
    assert memory_count(settings) == before + 1


def _objects(node: Any) -> list[dict[str, Any]]:
    """Every object schema with named properties inside `node`."""
    if isinstance(node, list):
        return [found for item in node for found in _objects(item)]
    if not isinstance(node, dict):
        return []
    own = [node] if "properties" in node else []
    return own + [found for value in node.values() for found in _objects(value)]


async def test_every_input_schema_refuses_other_properties(client: Client) -> None:
    """Each tool's inputSchema, and every object with properties inside it, says additionalProperties false."""
    for tool in (await client.list_tools()).tools:
        assert tool.input_schema.get("additionalProperties") is False, tool.name
        for found in _objects(tool.input_schema):
            assert found.get("additionalProperties") is False, (tool.name, sorted(found["properties"]))
