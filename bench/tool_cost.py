"""What the tool definitions cost: the size of tools/list for each profile.

    uv run python bench/tool_cost.py

For each profile (MCP_MEMORY_TOOLS=all, core) prints the characters of the compact JSON of the
whole tools/list, and of the part a model reads (name, description, input schema: clients keep
output schemas and annotations to themselves), with approximate tokens at 3.5 characters a token
(JSON averages about that for Claude-family tokenizers; a rough figure, rounded up).
"""

from __future__ import annotations

import json
import math

from mcp_memory.config import Settings
from mcp_memory.mcp.manifest import tool_list

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


if __name__ == "__main__":
    main()
