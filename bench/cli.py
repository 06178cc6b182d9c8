"""How quickly the command line answers: whole-process wall time of `mcp-memory-local <command>` next
to a bare `python -c pass`, interleaved in one run.

    uv run python bench/cli.py [--memories 10000] [--runs 15]

Commands that need neither the model nor the views' schemas (`stats`, `recent`, `get`) import
neither; `search` loads the model (and says so with a spinner on a terminal when that takes over a
second). Goal (issue 18): stats, recent, get p50 <= bare + 150 ms.
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hooks import _build  # the same database as the hook benchmark

ROOT = Path(__file__).resolve().parent.parent


def _time(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{argv} failed: {done.stderr}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--memories", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    compileall.compile_dir(str(ROOT / "mcp_memory"), quiet=1)  # as an installed package has it
    script = Path(sys.executable).with_name("mcp-memory-local")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "mcp_memory"]
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "memory.db"
        anyio.run(_build, db, args.memories)
        env = {k: v for k, v in os.environ.items() if not k.startswith("MCP_MEMORY_")}
        env.update(MCP_MEMORY_DB=str(db), MCP_MEMORY_DATA_DIR=tmp, MCP_MEMORY_PROJECT="shop")
        cases = {
            "bare `python -c pass`": [sys.executable, "-c", "pass"],
            "stats": [*command, "stats"],
            "recent": [*command, "recent"],
            "get m_5": [*command, "get", "m_5"],
            "search (loads the model)": [*command, "search", "release build android"],
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        for n in range(args.runs):
            for name, argv in cases.items():
                if name.startswith("search") and n >= 3:
                    continue  # seconds each: three are enough
                times[name].append(_time(argv, env))
    bare = statistics.median(times["bare `python -c pass`"]) * 1000
    print(f"Command line at {args.memories:,} memories (ms, whole process, median of {args.runs})")
    print("| command | p50 | - bare | goal |")
    print("|---|---|---|---|")
    for name, values in times.items():
        p50 = statistics.median(values) * 1000
        goal = (
            "<= +150 " + ("met" if p50 - bare <= 150 else "NOT met")
            if name in ("stats", "recent", "get m_5")
            else ""
        )
        print(f"| {name} | {p50:.0f} | +{p50 - bare:.0f} | {goal} |")


if __name__ == "__main__":
    main()
