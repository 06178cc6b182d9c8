"""The server's start: spawn -> `initialize` answered, and spawn -> the first hybrid search answer,
next to a bare `from mcp.server import MCPServer` in the same run; optionally for several checkouts
side by side (alternating, so a noisy hour hits them alike) and on busy cores.

    uv run python bench/handshake.py [--runs 7] [--busy 1] [--checkout PATH ...]

Each checkout is run as `python -m mcp_memory` from its folder (this interpreter; the folder comes
first on the path), on a fresh database holding 100 memories. `--busy N` keeps N other processes
spinning on the CPU during the measurement: a shared 2-core machine, where the model's process and
the SDK's import compete. Prints medians.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _spin() -> None:
    while True:
        pass


class _Server:
    def __init__(self, checkout: Path, env: dict[str, str]) -> None:
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mcp_memory"],
            cwd=checkout,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.next_id = 0

    def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.next_id += 1
        message = {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}
        self.proc.stdin.write((json.dumps(message) + "\n").encode())
        self.proc.stdin.flush()
        while True:
            answer = json.loads(self.proc.stdout.readline())
            if answer.get("id") == self.next_id:
                return answer

    def initialize(self) -> float:
        self.request(
            "initialize",
            {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "bench", "version": "1"},
            },
        )
        elapsed = time.perf_counter() - self.started
        assert self.proc.stdin is not None
        self.proc.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
        self.proc.stdin.flush()
        return elapsed

    def first_hybrid(self) -> float:
        """Until a search is answered by both stages (no notice that it fell back to keywords)."""
        while True:
            result = self.request(
                "tools/call", {"name": "memory_search", "arguments": {"query": "deploy the staging database"}}
            )["result"]
            if "mode_used" not in (result.get("structuredContent") or {}):
                return time.perf_counter() - self.started
            time.sleep(0.02)

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def _fill(checkout: Path, env: dict[str, str]) -> None:
    items = [
        {"content": f"note {i}: the staging database deploy step {i} runs after the migrations"}
        for i in range(100)
    ]
    server = _Server(checkout, env)
    server.initialize()
    server.request("tools/call", {"name": "memory_batch_store", "arguments": {"items": items}})
    server.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--busy", type=int, default=0, help="processes spinning on the CPU meanwhile")
    parser.add_argument(
        "--checkout", action="append", type=Path, help="a checkout to run (default: this one)"
    )
    args = parser.parse_args()
    checkouts = [c.resolve() for c in (args.checkout or [ROOT])]
    spinners = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(args.busy)]
    with tempfile.TemporaryDirectory() as tmp:
        envs = {}
        for n, checkout in enumerate(checkouts):
            env = {k: v for k, v in os.environ.items() if not k.startswith("MCP_MEMORY_")}
            env.update(MCP_MEMORY_DATA_DIR=str(Path(tmp) / str(n)), MCP_MEMORY_PROJECT="bench")
            envs[checkout] = env
            _fill(checkout, env)
        for spinner in spinners:
            spinner.start()
        bare: list[float] = []
        init: dict[Path, list[float]] = {c: [] for c in checkouts}
        first: dict[Path, list[float]] = {c: [] for c in checkouts}
        try:
            for _ in range(args.runs):
                t0 = time.perf_counter()
                subprocess.run([sys.executable, "-c", "from mcp.server import MCPServer"], check=True)
                bare.append(time.perf_counter() - t0)
                for checkout in checkouts:
                    server = _Server(checkout, envs[checkout])
                    init[checkout].append(server.initialize())
                    first[checkout].append(server.first_hybrid())
                    server.close()
        finally:
            for spinner in spinners:
                spinner.terminate()
    reference = statistics.median(bare)
    print(
        f"{args.runs} runs, {args.busy} busy process(es); bare `from mcp.server import MCPServer` {reference * 1000:.0f} ms"
    )
    print("| checkout | spawn -> initialize | / bare import | spawn -> first hybrid answer | / bare import |")
    print("|---|---|---|---|---|")
    for checkout in checkouts:
        i, f = statistics.median(init[checkout]), statistics.median(first[checkout])
        print(
            f"| {checkout} | {i * 1000:.0f} ms | {i / reference:.2f}x | {f * 1000:.0f} ms | {f / reference:.2f}x |"
        )


if __name__ == "__main__":
    main()
