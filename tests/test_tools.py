"""The MCP surface through the SDK's client: tool definitions, results, errors, start-up, roots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, types

from mcp_memory.config import Settings
from mcp_memory.mcp.server import build_server
from tests.conftest import FakeEmbedder, make_settings, store_rows_digest, wait_for_model

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parent.parent
# The contract: every tool name in ../shared/CATALOGUE.md, in its order.
CATALOGUE = [
    "memory_store", "memory_search", "memory_get", "memory_update", "memory_delete", "memory_recent",
    "memory_similar", "memory_timeline", "memory_context",
    "memory_pin", "memory_unpin", "memory_pins",
    "graph_upsert", "graph_link", "graph_query", "graph_delete", "graph_build",
    "episode_start", "episode_step", "episode_complete", "episode_search", "episode_patterns",
    "memory_batch_store", "memory_batch_tag", "memory_batch_delete",
    "memory_history", "memory_revert",
    "memory_stats", "memory_health", "memory_consolidate", "memory_lifecycle", "memory_export", "memory_import",
    "memory_forget", "memory_reindex",
]  # fmt: skip
CORE = CATALOGUE[:12]


async def _tools(client: Client) -> list[types.Tool]:
    return list((await client.list_tools()).tools)


async def test_tools_json_matches_tools_list(client: Client) -> None:
    """tools.json is the server's tools/list; regenerate it with `mcp-memory tools --json > tools.json`."""
    listed = [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in await _tools(client)]
    stored = json.loads((ROOT / "tools.json").read_text())
    assert stored == {"tools": listed}, (
        "tools.json is stale: run `uv run mcp-memory tools --json > tools.json`"
    )


async def test_every_tool_is_described_annotated_and_typed(client: Client) -> None:
    """Each tool has a description, annotations, an output schema and a description on every argument."""
    tools = await _tools(client)
    assert [t.name for t in tools] == CATALOGUE
    for tool in tools:
        assert tool.description, tool.name
        assert len(tool.description) > 40, tool.name
        assert tool.annotations is not None, tool.name
        assert tool.annotations.read_only_hint is not None, tool.name
        assert tool.output_schema is not None, tool.name
        for name, prop in tool.input_schema["properties"].items():
            assert prop.get("description"), f"{tool.name}.{name} has no description"
    read_only = {t.name for t in tools if t.annotations and t.annotations.read_only_hint}
    assert read_only == {
        "memory_search", "memory_get", "memory_recent", "memory_similar", "memory_timeline", "memory_context",
        "memory_pins", "graph_query", "episode_search", "episode_patterns", "memory_history", "memory_stats",
        "memory_health",
    }  # fmt: skip
    destructive = {t.name for t in tools if t.annotations and t.annotations.destructive_hint}
    assert {"memory_delete", "memory_forget", "memory_batch_delete", "graph_delete"} <= destructive


async def test_store_search_get_update_delete_through_the_protocol(client: Client) -> None:
    """The core tools work end to end and return structured content plus readable text."""
    stored = await client.call_tool(
        "memory_store", {"content": "Billing runs on PostgreSQL 16", "tags": ["db"]}
    )
    assert not stored.is_error
    memory_id = stored.structured_content["id"]  # type: ignore[index]
    assert stored.structured_content["status"] == "created"  # type: ignore[index]
    assert memory_id in stored.content[0].text  # type: ignore[union-attr]

    found = await client.call_tool("memory_search", {"query": "postgres billing"})
    results = found.structured_content["results"]  # type: ignore[index]
    assert results[0]["id"] == memory_id
    assert results[0]["why"]

    updated = await client.call_tool(
        "memory_update", {"id": memory_id, "content": "Billing runs on PostgreSQL 17"}
    )
    assert updated.structured_content["version"] == 2  # type: ignore[index]

    got = await client.call_tool("memory_get", {"ids": [memory_id, "m_999"], "include_history": True})
    body = got.structured_content
    assert body["missing"] == ["m_999"]  # type: ignore[index]
    assert body["memories"][0]["history"][0]["content"] == "Billing runs on PostgreSQL 16"  # type: ignore[index]

    recent = await client.call_tool("memory_recent", {"limit": 5})
    assert [m["id"] for m in recent.structured_content["memories"]] == [memory_id]  # type: ignore[index]

    deleted = await client.call_tool("memory_delete", {"ids": [memory_id]})
    assert deleted.structured_content["deleted"] == 1  # type: ignore[index]


@pytest.mark.parametrize(
    ("tool", "arguments", "words"),
    [
        ("memory_store", {"content": "   "}, "content is empty"),
        ("memory_store", {"content": "x" * 1_000_001}, "over the limit"),
        ("memory_store", {"content": "ok", "importance": 3}, "importance"),
        ("memory_store", {"content": "ok", "tags": ["y" * 70]}, "at most 64"),
        ("memory_store", {}, "content"),
        ("memory_search", {"query": "x", "since": "blorp"}, "cannot read the time"),
        ("memory_search", {"query": "x", "mode": "fuzzy"}, "mode"),
        ("memory_search", {"query": "x", "limit": 0}, "limit"),
        ("memory_update", {"id": "m_999", "content": "x"}, "no memory m_999"),
        ("memory_update", {"id": "m_1"}, "nothing to update"),
        ("memory_delete", {"ids": []}, "ids"),
        ("memory_get", {"ids": "m_1"}, "ids"),
    ],
)
async def test_bad_calls_are_errors_that_change_nothing(
    client: Client, settings: Settings, tool: str, arguments: dict[str, Any], words: str
) -> None:
    """Invalid arguments come back isError with a message naming the problem, and nothing is written."""
    await client.call_tool("memory_store", {"content": "an existing memory"})
    before = store_rows_digest(settings)
    result = await client.call_tool(tool, arguments)
    assert result.is_error
    assert words in result.content[0].text  # type: ignore[union-attr]
    assert store_rows_digest(settings) == before


async def test_initialize_is_answered_while_the_model_is_still_loading(settings: Settings) -> None:
    """The client gets its initialize answer and keyword search while the model has not finished loading."""
    release = anyio.Event()
    started = anyio.Event()

    def blocked_loader(s: Settings) -> FakeEmbedder:
        anyio.from_thread.run_sync(started.set)
        anyio.from_thread.run(release.wait)
        return FakeEmbedder(s.embedding_model)

    server = build_server(settings, loader=blocked_loader)
    async with Client(server, mode="legacy") as client:
        assert client.server_info is not None
        assert client.server_info.name == "mcp-memory"
        stored = await client.call_tool("memory_store", {"content": "stored while loading"})
        assert stored.structured_content["embedded"] is False  # type: ignore[index]
        with anyio.fail_after(10):
            await started.wait()
        searched = await client.call_tool("memory_search", {"query": "loading"})
        assert searched.structured_content["mode_used"] == "keyword"  # type: ignore[index]
        assert "still loading" in searched.structured_content["notice"]  # type: ignore[index]
        release.set()
        await wait_for_model(client)
        with anyio.fail_after(10):
            while True:
                got = await client.call_tool("memory_get", {"ids": [stored.structured_content["id"]]})  # type: ignore[index]
                if got.structured_content["memories"][0].get("embedded", True):  # type: ignore[index]
                    break
                await anyio.sleep(0.05)


async def test_client_roots_set_the_default_project(tmp_path: Path) -> None:
    """When the client sends MCP roots, memories go to the project of the first root."""
    repo = tmp_path / "my-service"
    (repo / ".git").mkdir(parents=True)
    settings = make_settings(tmp_path, project=None)

    async def roots(_: Any) -> types.ListRootsResult:
        return types.ListRootsResult(roots=[types.Root(uri=repo.as_uri(), name="my-service")])

    from tests.conftest import fake_loader

    server = build_server(settings, loader=fake_loader())
    async with Client(server, mode="legacy", list_roots_callback=roots) as client:
        stored = await client.call_tool("memory_store", {"content": "belongs to my-service"})
        assert stored.structured_content["project"] == "my-service"  # type: ignore[index]


async def test_instructions_tell_agents_when_to_search_and_store(client: Client) -> None:
    """The server's instructions mention searching before work and what to store."""
    assert client.instructions is not None
    assert "Before starting a task, call memory_search" in client.instructions
    assert "Store what a future session would need" in client.instructions


@pytest.mark.parametrize(
    ("spec", "expected"), [("core", CORE), ("memory_search, graph_query", ["memory_search", "graph_query"])]
)
async def test_tool_profiles_select_what_is_registered(
    tmp_path: Path, spec: str, expected: list[str]
) -> None:
    """MCP_MEMORY_TOOLS=core or a list registers just those tools, in catalogue order."""
    from tests.conftest import fake_loader

    server = build_server(make_settings(tmp_path, tools=spec), loader=fake_loader())
    async with Client(server, mode="legacy") as client:
        assert [t.name for t in await _tools(client)] == expected


def test_unknown_tool_names_are_a_clear_error(tmp_path: Path) -> None:
    """A typo in MCP_MEMORY_TOOLS names the valid choices."""
    from mcp_memory.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown tool"):
        build_server(make_settings(tmp_path, tools="memory_serch"))


def test_static_tool_names_match_the_tool_modules() -> None:
    """The name list used at start-up (without importing tools) is exactly what the modules define."""
    from mcp_memory.mcp.names import ALL_TOOLS
    from mcp_memory.mcp.tools.registry import FAMILY_TOOLS

    assert list(ALL_TOOLS) == list(FAMILY_TOOLS) == CATALOGUE


def test_the_core_profile_names_tools_of_the_catalogue_in_its_order() -> None:
    """The core profile, named tool by tool, holds only catalogue tools and lists them in catalogue order."""
    from mcp_memory.mcp.names import ALL_TOOLS, CORE_TOOLS

    assert list(CORE_TOOLS) == [name for name in ALL_TOOLS if name in CORE_TOOLS]
    assert len(set(CORE_TOOLS)) == len(CORE_TOOLS)


def test_nothing_heavy_is_imported_before_initialize() -> None:
    """Building the server imports neither the model stack nor the tool modules (they load after
    initialize is answered), so clients get their answer as fast as from a bare MCP server."""
    import subprocess
    import sys

    code = (
        "import sys; from mcp_memory.config import Settings; from mcp_memory.mcp.server import build_server; "
        "build_server(Settings.load(env={})); "
        "print(' '.join(m for m in sys.modules if m.split('.')[0] in ('fastembed', 'onnxruntime', 'numpy', "
        "'tokenizers', 'sqlite_vec') or m.startswith('mcp_memory.mcp.tools.') and m.split('.')[2] not in "
        "('names', 'state', 'resources')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert loaded == []


async def test_search_text_does_not_echo_a_long_query(client: Client) -> None:
    """A 4,000-character query is not repeated whole in the search's text."""
    result = await client.call_tool("memory_search", {"query": "deploy " * 570})
    text = " ".join(getattr(b, "text", "") for b in result.content)
    assert not result.is_error
    assert len(text) < 1000


async def test_instructions_and_descriptions_fit_claude_codes_limit(client: Client) -> None:
    """Claude Code cuts server instructions and each tool description at 2,048 characters: all fit."""
    from mcp_memory.mcp.server import INSTRUCTIONS

    assert len(INSTRUCTIONS) <= 2048
    for tool in await _tools(client):
        assert len(tool.description or "") <= 2048, tool.name
