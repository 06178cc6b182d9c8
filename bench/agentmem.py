"""The agent-memory dev set through the product's own tools over stdio: does search return the right
memory, and only the relevant ones?

    uv run python bench/agentmem.py [--data ../shared/bench/agentmem-dev.json] [--limit 5]

A fresh database; a real `python -m mcp_memory` server; every memory stored with memory_store (its
project, kind, tags and a created_at inside its session: sessions are days apart, a session's memories
minutes apart); every question asked with memory_search (its project, `limit`, default settings).

Reports, over the answerable questions: hit@1, recall@5, MRR and **filler** (returned memories that do
not answer); over the unanswerable ones: memories returned per question. A server that always fills
its limit scores filler ~4 and returns 5 to every unanswerable question.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import anyio
from mcp import Client, StdioServerParameters

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "bench" / "agentmem-dev.json"


def _created_at(session: int, position: int) -> str:
    """Sessions a few days apart, memories of one session a few minutes apart, in the past."""
    start = datetime(2026, 9, 1, 9, tzinfo=timezone.utc) + timedelta(days=3 * session)
    return (start + timedelta(minutes=4 * position)).isoformat().replace("+00:00", "Z")


async def _wait_for_model(client: Client) -> None:
    with anyio.fail_after(180):
        while True:
            health = await client.call_tool("memory_health", {})
            checks = {c["name"]: c for c in (health.structured_content or {}).get("checks", [])}
            if "loaded" in str(checks.get("model", {}).get("detail", "")):
                return
            await anyio.sleep(0.2)


async def run(data: dict[str, Any], limit: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MCP_MEMORY_")}
        env.update(MCP_MEMORY_DB=str(Path(tmp) / "memory.db"), MCP_MEMORY_LOG_LEVEL="ERROR")
        params = StdioServerParameters(command=sys.executable, args=["-m", "mcp_memory"], env=env, cwd=tmp)
        async with Client(params, mode="legacy") as client:
            await _wait_for_model(client)
            ids: dict[str, str] = {}
            position: dict[int, int] = {}
            for memory in data["memories"]:
                n = position[memory["session"]] = position.get(memory["session"], 0) + 1
                stored = await client.call_tool(
                    "memory_store",
                    {
                        "content": memory["content"],
                        "project": memory.get("project") or "global",
                        "kind": memory.get("kind"),
                        "tags": memory.get("tags") or [],
                        "created_at": _created_at(memory["session"], n),
                    },
                )
                assert not stored.is_error, stored.content
                ids[stored.structured_content["id"]] = memory["key"]  # type: ignore[index]
            hits1 = recall5 = rr = filler = 0.0
            rows = []
            for query in data["queries"]:
                found = await client.call_tool(
                    "memory_search", {"query": query["q"], "project": query["project"], "limit": limit}
                )
                keys = [ids.get(r["id"], "?") for r in (found.structured_content or {}).get("results", [])]
                relevant = set(query["relevant"])
                hits1 += bool(keys[:1]) and keys[0] in relevant
                recall5 += len(relevant & set(keys[:5])) / len(relevant)
                rank = next((i for i, k in enumerate(keys, start=1) if k in relevant), None)
                rr += 1 / rank if rank else 0.0
                filler += sum(1 for k in keys if k not in relevant)
                rows.append((query["q"], rank, len(keys)))
            returned = 0
            for query in data["noanswer"]:
                found = await client.call_tool(
                    "memory_search", {"query": query["q"], "project": query["project"], "limit": limit}
                )
                returned += len((found.structured_content or {}).get("results", []))
    answerable = len(data["queries"])
    for question, rank, count in rows:
        if rank != 1:
            print(f"  rank {rank or '-'} of {count}: {question}")
    return {
        "hit@1": hits1 / answerable,
        "recall@5": recall5 / answerable,
        "MRR": rr / answerable,
        "filler per answerable question": filler / answerable,
        "returned per unanswerable question": returned / len(data["noanswer"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DATA, help="the dev set (default: ../shared/bench/)")
    parser.add_argument("--limit", type=int, default=5, help="memory_search limit (default 5)")
    args = parser.parse_args()
    if not args.data.exists():
        sys.exit(f"{args.data} not found: the agent-memory dev set lives in the workplace's shared/bench/.")
    data = json.loads(args.data.read_text())
    figures = anyio.run(run, data, args.limit)
    goals = {"hit@1": ">= 0.90", "recall@5": ">= 0.97", "MRR": "", "filler per answerable question": "<= 1.0",
             "returned per unanswerable question": "<= 1.0"}  # fmt: skip
    print(
        f"agentmem-dev: {len(data['queries'])} answerable, {len(data['noanswer'])} unanswerable, limit {args.limit}"
    )
    for name, value in figures.items():
        print(f"  {name:36} {value:6.3f}   goal {goals[name]}")


if __name__ == "__main__":
    main()
