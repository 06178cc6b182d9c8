"""End to end: the real server as a subprocess over stdio, with the real default model."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters

from tests.conftest import wait_for_model

pytestmark = [pytest.mark.anyio, pytest.mark.e2e]

MEMORIES = [
    "The billing service stores invoices in PostgreSQL; we picked it over MongoDB for transactions.",
    "Run the test suite with `make test`; it needs Docker running for the integration tests.",
    "The user wants commit messages in the imperative mood and under 72 characters.",
]


@asynccontextmanager
async def stdio_client(db: Path, data_dir: Path | None = None) -> AsyncIterator[Client]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MCP_MEMORY_")}
    env.update(MCP_MEMORY_DB=str(db), MCP_MEMORY_PROJECT="e2e", MCP_MEMORY_LOG_LEVEL="WARNING")
    if data_dir is not None:
        env["MCP_MEMORY_DATA_DIR"] = str(data_dir)
    params = StdioServerParameters(command=sys.executable, args=["-m", "mcp_memory"], env=env)
    async with Client(params, mode="legacy") as client:
        yield client


async def test_store_search_restart_and_find_again(tmp_path: Path) -> None:
    """Three memories stored over stdio are found by meaning, and are still there after a restart."""
    db = tmp_path / "memory.db"
    ids = []
    async with stdio_client(db) as client:
        await wait_for_model(client, seconds=120)
        for text in MEMORIES:
            result = await client.call_tool("memory_store", {"content": text})
            assert not result.is_error
            ids.append(result.structured_content["id"])  # type: ignore[index]
        found = await client.call_tool("memory_search", {"query": "which database holds the invoices?"})
        assert found.structured_content["mode_used"] == "hybrid"  # type: ignore[index]
        assert found.structured_content["results"][0]["id"] == ids[0]  # type: ignore[index]

    async with stdio_client(db) as client:
        await wait_for_model(client, seconds=120)
        found = await client.call_tool("memory_search", {"query": "how should I phrase git commit messages"})
        assert found.structured_content["results"][0]["id"] == ids[2]  # type: ignore[index]
        found = await client.call_tool("memory_search", {"query": "how do I run the tests"})
        assert found.structured_content["results"][0]["id"] == ids[1]  # type: ignore[index]
        got = await client.call_tool("memory_get", {"ids": ids})
        assert [m["content"] for m in got.structured_content["memories"]] == MEMORIES  # type: ignore[index]


async def test_errors_over_stdio_are_tool_errors_and_change_nothing(tmp_path: Path) -> None:
    """Unknown ids, empty and oversized content, and unreadable dates come back isError; nothing is stored."""
    db = tmp_path / "memory.db"
    async with stdio_client(db) as client:
        for tool, args in [
            ("memory_update", {"id": "m_41", "content": "x"}),
            ("memory_store", {"content": ""}),
            ("memory_store", {"content": "x" * 1_000_001}),
            ("memory_search", {"query": "x", "since": "the day after never"}),
        ]:
            result = await client.call_tool(tool, args)
            assert result.is_error, tool
        recent = await client.call_tool("memory_recent", {"project": "*"})
        assert recent.structured_content["count"] == 0  # type: ignore[index]


async def test_memory_stored_before_the_model_loads_is_embedded_by_the_server(tmp_path: Path) -> None:
    """A store right after initialize is durable at once and gets its vector once the model is up."""
    db = tmp_path / "memory.db"
    async with stdio_client(db) as client:
        stored = await client.call_tool("memory_store", {"content": "The staging host is pegasus.internal"})
        memory_id = stored.structured_content["id"]  # type: ignore[index]
        await wait_for_model(client, seconds=120)
        with anyio.fail_after(60):
            while True:
                got = await client.call_tool("memory_get", {"ids": [memory_id]})
                if got.structured_content["memories"][0]["embedded"]:  # type: ignore[index]
                    break
                await anyio.sleep(0.1)
        found = await client.call_tool("memory_search", {"query": "staging machine name", "mode": "semantic"})
        assert found.structured_content["results"][0]["id"] == memory_id  # type: ignore[index]
