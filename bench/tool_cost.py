"""What the tool definitions cost an agent's context: the size of tools/list.

    uv run python bench/tool_cost.py

Prints characters of the compact JSON and an approximate token count (JSON averages about 3.5
characters a token for Claude-family tokenizers; a rough figure, rounded up), in total and per tool.
"""

from __future__ import annotations

import json
import math

from mcp_memory.config import Settings
from mcp_memory.manifest import tool_list

CHARS_PER_TOKEN = 3.5


def main() -> None:
    tools = tool_list(Settings.load(env={}))
    total = len(json.dumps({"tools": tools}))
    print("| tools | characters | ~tokens |\n|---|---|---|")
    print(f"| all {len(tools)} | {total:,} | {math.ceil(total / CHARS_PER_TOKEN):,} |")
    for tool in tools:
        size = len(json.dumps(tool))
        print(f"| {tool['name']} | {size:,} | {math.ceil(size / CHARS_PER_TOKEN):,} |")


if __name__ == "__main__":
    main()
