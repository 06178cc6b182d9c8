"""Many idle sessions: what servers hold while busy and after the quiet period that unloads the model.

    uv run python bench/idle.py [--servers 6] [--idle-seconds 6] [--memories 200]

Starts --servers servers (`python -m mcp_memory` over stdio, raw JSON-RPC) on one database with
MCP_MEMORY_MODEL_IDLE_MINUTES set to --idle-seconds, each answering a hybrid search (so each has its
model loaded); sums their RSS; waits the quiet period plus a margin and sums again; then times the
next search on one server (it loads the model again) next to that server's first model load.
Goals (issue 18): after the quiet period <= 90 MiB a server, six <= 600 MiB together.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import perf
from perf import RawServer, rss_kib


def tree_mib(pid: int) -> float:
    """RSS of a process and its children (the model's process), MiB."""
    total = rss_kib(pid)
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        total += sum(rss_kib(int(c)) for c in children)
    return total / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--servers", type=int, default=6)
    parser.add_argument("--idle-seconds", type=float, default=6.0, help="the quiet period (default 6 s)")
    parser.add_argument("--memories", type=int, default=200)
    args = parser.parse_args()
    base_env = perf.env_for

    def env_for(db: Path) -> dict[str, str]:
        return {**base_env(db), "MCP_MEMORY_MODEL_IDLE_MINUTES": str(args.idle_seconds / 60)}

    perf.env_for = env_for
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "memory.db"
        servers = [RawServer(db) for _ in range(args.servers)]
        for server in servers:
            server.initialize()
        fresh = [rss_kib(s.proc.pid) / 1024 for s in servers]
        first = servers[0]
        for n in range(args.memories):
            first.request(
                "tools/call",
                {
                    "name": "memory_store",
                    "arguments": {"content": f"fact number {n}: service {n} runs on port {8000 + n}"},
                },
            )
        loaded_in = []
        for server in servers:
            started = time.perf_counter()
            while "mode_used" in server.search("which port does service 7 run on")["structuredContent"]:
                time.sleep(0.05)
            loaded_in.append(time.perf_counter() - started)
        busy = [tree_mib(s.proc.pid) for s in servers]
        time.sleep(args.idle_seconds + min(60.0, args.idle_seconds / 4) + 2)
        idle = [tree_mib(s.proc.pid) for s in servers]
        started = time.perf_counter()
        answer = first.search("which port does service 9 run on")["structuredContent"]
        reload_seconds = time.perf_counter() - started
        for server in servers:
            server.proc.kill()
    print(f"{args.servers} servers on one database, quiet period {args.idle_seconds:g} s")
    print("| | per server (MiB) | together (MiB) | goal |")
    print("|---|---|---|---|")
    print(f"| after initialize, before any search | {max(fresh):.0f} max | {sum(fresh):.0f} | |")
    print(
        f"| busy (model loaded; server and its model process) | {max(busy):.0f} max, {min(busy):.0f} min | {sum(busy):.0f} | |"
    )
    print(
        f"| after the quiet period | {max(idle):.0f} max, {min(idle):.0f} min | {sum(idle):.0f} | <= 90 each, <= 600 together |"
    )
    print(f"first search after the unload: {reload_seconds * 1000:.0f} ms (hybrid: {'mode_used' not in answer}); "
          f"the first model load took {max(loaded_in) * 1000:.0f} ms at most")  # fmt: skip


if __name__ == "__main__":
    main()
