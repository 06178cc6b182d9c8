"""End to end, one test per tool family: the real stdio server, the real model, mcp.Client."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from tests.conftest import wait_for_model
from tests.test_e2e import stdio_client

pytestmark = [pytest.mark.anyio, pytest.mark.e2e]


async def call(client: Client, tool: str, **args: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, args)
    assert not result.is_error, f"{tool}: {result.content}"
    assert result.structured_content is not None
    return result.structured_content


async def test_browse_and_context(tmp_path: Path) -> None:
    """memory_similar, memory_timeline and memory_context over stdio."""
    async with stdio_client(tmp_path / "m.db") as client:
        await wait_for_model(client, seconds=120)
        a = (
            await call(
                client,
                "memory_store",
                content="Our CI runs on GitHub Actions with a matrix of Python versions",
            )
        )["id"]
        b = (
            await call(
                client,
                "memory_store",
                content="The continuous integration pipeline tests Python 3.10 to 3.13",
            )
        )["id"]
        await call(client, "memory_store", content="Lunch orders go in the kitchen channel")
        similar = await call(client, "memory_similar", id=a, limit=2)
        assert similar["results"][0]["id"] == b
        timeline = await call(client, "memory_timeline", bucket="month")
        assert timeline["buckets"][0]["count"] == 3
        context = await call(client, "memory_context", query="how is CI set up", token_budget=300)
        assert a in context["ids"]
        assert context["tokens"] <= 300


async def test_pins(tmp_path: Path) -> None:
    """memory_pin, memory_pins, memory_unpin over stdio; a pin leads the context."""
    async with stdio_client(tmp_path / "m.db") as client:
        await call(client, "memory_store", content="First ordinary memory")
        rule = (await call(client, "memory_store", content="Never force-push to main"))["id"]
        assert (await call(client, "memory_pin", id=rule, note="team rule"))["pinned"] is True
        assert [m["id"] for m in (await call(client, "memory_pins"))["memories"]] == [rule]
        context = await call(client, "memory_context")
        assert context["ids"][0] == rule
        assert (await call(client, "memory_unpin", id=rule)).get("pinned", False) is False
        assert (await call(client, "memory_pins"))["count"] == 0


async def test_graph(tmp_path: Path) -> None:
    """graph_upsert, graph_link, graph_query, graph_build, graph_delete over stdio."""
    async with stdio_client(tmp_path / "m.db") as client:
        made = await call(
            client,
            "graph_upsert",
            entities=[{"name": "api-gateway", "type": "service", "observations": ["written in Go"]}],
            relations=[{"from": "api-gateway", "to": "auth-service", "type": "calls"}],
        )
        assert made["entities_created"] == 2
        mid = (
            await call(client, "memory_store", content="The api-gateway retries auth-service calls twice")
        )["id"]
        assert (await call(client, "graph_link", memory_id=mid, entities=["api-gateway"]))["links"] == 1
        sub = await call(client, "graph_query", name="auth-service", depth=1)
        assert {e["name"] for e in sub["entities"]} == {"api-gateway", "auth-service"}
        assert sub["relations"] == [{"from": "api-gateway", "to": "auth-service", "type": "calls"}]
        assert [m["id"] for m in sub["memories"]] == [mid]
        await call(client, "memory_store", content="Config lives in deploy/values.yaml for the HelmChart")
        built = await call(client, "graph_build")
        assert built["links"] >= 2
        assert (await call(client, "graph_delete", entities=["auth-service"]))["entities"] == 1
        bad = await client.call_tool("graph_query", {"name": "nobody"})
        assert bad.is_error


async def test_episodes(tmp_path: Path) -> None:
    """episode_start, episode_step, episode_complete, episode_search, episode_patterns over stdio."""
    async with stdio_client(tmp_path / "m.db") as client:
        await wait_for_model(client, seconds=120)
        for n in range(2):
            eid = (
                await call(
                    client, "episode_start", task=f"fix flaky test number {n}", preconditions=["CI red"]
                )
            )["episode_id"]
            assert (
                await call(
                    client,
                    "episode_step",
                    episode_id=eid,
                    action="rerun the job",
                    result="still red",
                    ok=False,
                )
            )["step"] == 1
            await call(
                client, "episode_step", episode_id=eid, action="pin the random seed", result="green", ok=True
            )
            done = await call(client, "episode_complete", episode_id=eid, outcome="success", reward=1.0)
            assert "pin the random seed" in done["lesson"]
        found = await call(client, "episode_search", query="a flaky test in CI")
        assert len(found["results"]) == 2
        assert found["results"][0]["episode"]["lesson"]
        patterns = await call(client, "episode_patterns", min_support=2)
        assert any(p["kind"] == "failing_action" and p["support"] == 2 for p in patterns["patterns"])
        lessons = await call(client, "memory_search", query="flaky test seed", kind="lesson")
        assert lessons["count"] >= 1


async def test_batch(tmp_path: Path) -> None:
    """memory_batch_store, memory_batch_tag, memory_batch_delete over stdio."""
    async with stdio_client(tmp_path / "m.db") as client:
        stored = await call(
            client,
            "memory_batch_store",
            items=[
                {"content": "alpha fact", "tags": ["t"]},
                {"content": ""},
                {"content": "beta fact", "tags": ["t"]},
            ],
        )
        assert (stored["stored"], stored["failed"]) == (2, 1)
        assert stored["results"][1]["error"]
        tagged = await call(client, "memory_batch_tag", filter={"tags": ["t"]}, add=["batch"])
        assert tagged["count"] == 2
        preview = await call(client, "memory_batch_delete", filter={"tags": ["batch"]})
        assert (preview["dry_run"], preview["count"]) == (True, 2)
        done = await call(client, "memory_batch_delete", filter={"tags": ["batch"]}, dry_run=False)
        assert done["count"] == 2
        assert (await call(client, "memory_recent"))["count"] == 0


async def test_history(tmp_path: Path) -> None:
    """memory_history and memory_revert over stdio, including undoing a delete."""
    async with stdio_client(tmp_path / "m.db") as client:
        mid = (await call(client, "memory_store", content="timeout is 30s"))["id"]
        await call(client, "memory_update", id=mid, content="timeout is 60s")
        await call(client, "memory_delete", ids=[mid])
        history = await call(client, "memory_history", id=mid)
        assert history["deleted"] is True
        assert [v["version"] for v in history["versions"]] == [3, 2, 1]
        restored = await call(client, "memory_revert", id=mid, version=1)
        assert restored["content"] == "timeout is 30s"
        assert (await call(client, "memory_get", ids=[mid])).get("missing", []) == []


async def test_maintenance(tmp_path: Path) -> None:
    """stats, health, lifecycle, consolidate, export, import, forget and reindex over stdio."""
    home = tmp_path / "data"
    async with stdio_client(tmp_path / "m.db", data_dir=home) as client:
        await wait_for_model(client, seconds=120)
        keep = (await call(client, "memory_store", content="Releases are tagged vX.Y.Z", tags=["release"]))[
            "id"
        ]
        await call(client, "memory_store", content="Releases are tagged vX.Y.Z!", tags=["git"])
        assert (await call(client, "memory_stats"))["memories"] == 2
        health = await call(client, "memory_health")
        assert health.get("ok", True), health
        rules = await call(
            client, "memory_lifecycle", rules=[{"kind": "scratch", "older_than_days": 7, "action": "delete"}]
        )
        assert rules["rules"] == ["kind=scratch older than 7 days: delete"]
        preview = await call(client, "memory_consolidate", similarity=0.9)
        assert preview["merges"][0]["survivor"] == keep
        await call(client, "memory_consolidate", dry_run=False, similarity=0.9)
        exported = await call(client, "memory_export", path=str(home / "backup.jsonl"))
        assert exported["memories"] == 2
        again = await client.call_tool("memory_export", {"path": str(home / "backup.jsonl")})
        assert again.is_error
        graph_file = home / "kg.jsonl"
        graph_file.write_text(
            json.dumps({"type": "entity", "name": "Ada", "entityType": "person", "observations": []}) + "\n"
        )
        imported = await call(client, "memory_import", path=str(graph_file), format="server-memory")
        assert imported["entities"] == 1
        forget = await call(client, "memory_forget", ids=[keep], dry_run=False)
        assert forget["count"] == 1
        reindexed = await call(client, "memory_reindex")
        assert (reindexed["model"], reindexed["dim"]) == ("all-MiniLM-L6-v2-int8", 384)
