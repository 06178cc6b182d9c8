"""What the tools cost a model's context: the tool definitions, and the result of a search.

    uv run python bench/tool_cost.py

1. For each profile (MCP_MEMORY_TOOLS=all, core): the characters of the compact JSON of the whole
   tools/list, and of the part a model reads (name, description, input schema: clients keep output
   schemas and annotations to themselves).
2. One memory_search with 5 results over the agent-memory dev set's memories (or generated ones):
   the characters a model receives in Claude Code's way (JSON.stringify of structuredContent, the
   text being dropped) and in the text way, and their ratio (goal: JSON <= text + 10 %).

Approximate tokens at 3.5 characters a token (JSON averages about that for Claude-family
tokenizers; a rough figure, rounded up).
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import anyio
from mcp import Client

from mcp_memory.config import Settings
from mcp_memory.mcp.manifest import tool_list
from mcp_memory.mcp.server import build_server

DEV_SET = Path(__file__).resolve().parent.parent.parent / "shared" / "bench" / "agentmem-dev.json"

CHARS_PER_TOKEN = 3.5


def tokens(chars: int) -> int:
    return math.ceil(chars / CHARS_PER_TOKEN)


def main() -> None:
    print("| profile | tools | tools/list chars | ~tokens | model-visible chars | ~tokens |")
    print("|---|---|---|---|---|---|")
    for profile in ("all", "core"):
        tools = tool_list(Settings.load(env={}, tools=profile))
        whole = len(json.dumps({"tools": tools}))
        seen = len(json.dumps([{k: t[k] for k in ("name", "description", "inputSchema")} for t in tools]))
        print(f"| {profile} | {len(tools)} | {whole:,} | {tokens(whole):,} | {seen:,} | {tokens(seen):,} |")
    json_chars, text_chars = anyio.run(search_result_sizes)
    print()
    print("| a memory_search of 5 results | characters | ~tokens |")
    print("|---|---|---|")
    print(f"| structuredContent as JSON (Claude Code, VS Code) | {json_chars:,} | {tokens(json_chars):,} |")
    print(f"| text content | {text_chars:,} | {tokens(text_chars):,} |")
    print(f"| JSON / text | {json_chars / text_chars:.2f} (goal <= 1.10) | |")


async def search_result_sizes() -> tuple[int, int]:
    """(JSON characters, text characters) of one 5-result memory_search, with the real model."""
    if DEV_SET.exists():
        memories = [m["content"] for m in json.loads(DEV_SET.read_text())["memories"]]
    else:
        memories = [
            f"Service {n} listens on port {8000 + n} and logs to /var/log/service{n}.log" for n in range(30)
        ]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.load(env={}, data_dir=tmp, project="bench", cwd=tmp)
        async with Client(build_server(settings), mode="legacy") as client:
            for text in memories:
                await client.call_tool("memory_store", {"content": text, "tags": ["bench"]})
            result = await client.call_tool(
                "memory_search", {"query": "release build android crash", "limit": 5, "min_relevance": 0}
            )
            structured = json.dumps(result.structured_content, separators=(",", ":"), ensure_ascii=False)
            text = "".join(getattr(block, "text", "") for block in result.content)
            return len(structured), len(text)


if __name__ == "__main__":
    main()
