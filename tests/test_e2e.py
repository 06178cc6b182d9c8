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
async def stdio_client(
    db: Path, data_dir: Path | None = None, model_wait: float | None = None
) -> AsyncIterator[Client]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MCP_MEMORY_")}
    env.update(MCP_MEMORY_DB=str(db), MCP_MEMORY_PROJECT="e2e", MCP_MEMORY_LOG_LEVEL="WARNING")
    if data_dir is not None:
        env["MCP_MEMORY_DATA_DIR"] = str(data_dir)
    if model_wait is not None:
        env["MCP_MEMORY_MODEL_WAIT_SECONDS"] = str(model_wait)
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
        assert "mode_used" not in found.structured_content  # type: ignore[operator]
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
                if got.structured_content["memories"][0].get("embedded", True):  # type: ignore[index]
                    break
                await anyio.sleep(0.1)
        found = await client.call_tool("memory_search", {"query": "staging machine name", "mode": "semantic"})
        assert found.structured_content["results"][0]["id"] == memory_id  # type: ignore[index]


def test_a_short_session_leaves_no_memory_without_a_vector(tmp_path: Path) -> None:
    """A client that stores and ends its session at once (an Inspector call, a quick import) by
    closing stdin: the server embeds what it stored before it exits, so nothing stays 'awaiting
    vectors'."""
    import json
    import subprocess

    from mcp_memory.storage.connection import connect_plain
    from tests.processes import server_env

    db = tmp_path / "memory.db"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mcp_memory"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        # However slow the machine, the server may take what it needs to load the model and embed.
        env={**server_env(db), "MCP_MEMORY_MODEL_WAIT_SECONDS": "300"},
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    init = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
    items = [{"content": f"quick note {i}"} for i in range(5)]
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": init},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
         "params": {"name": "memory_batch_store", "arguments": {"items": items}}},
    ]  # fmt: skip
    for message in messages:
        proc.stdin.write((json.dumps(message) + "\n").encode())
        proc.stdin.flush()
        if "id" in message:
            assert json.loads(proc.stdout.readline())["id"] == message["id"]
    proc.stdin.close()  # the session ends right after the store is acknowledged
    assert proc.wait(timeout=120) == 0
    conn = connect_plain(str(db))
    try:
        pending = conn.execute("SELECT count(*) FROM memories WHERE embedded = 0").fetchone()[0]
        total = conn.execute("SELECT count(*) FROM memories").fetchone()[0]
    finally:
        conn.close()
    assert (total, pending) == (5, 0)


async def test_a_semantic_search_right_after_start_waits_for_the_model(tmp_path: Path) -> None:
    """The first semantic search and memory_similar, sent before the model is ready, wait for it
    instead of failing (the wait is set long: this checks that they wait, not how fast the model is)."""
    db = tmp_path / "memory.db"
    async with stdio_client(db, model_wait=300) as client:
        stored = await client.call_tool("memory_store", {"content": "The staging host is pegasus.internal"})
        found = await client.call_tool("memory_search", {"query": "staging machine name", "mode": "semantic"})
        assert not found.is_error, found.content
        similar = await client.call_tool("memory_similar", {"id": stored.structured_content["id"]})  # type: ignore[index]
        assert not similar.is_error, similar.content
