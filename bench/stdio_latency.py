"""Latency over real stdio, each figure next to its physical reference, measured in one run.

    uv run python bench/stdio_latency.py [--memories 1000] [--searches 300] [--starts 7]

1. spawn -> `initialize` response of `python -m mcp_memory`, next to a bare
   `python -c "from mcp.server import MCPServer"` (median of --starts runs each, interleaved);
2. memory_store p50/p95 over stdio while filling the database to --memories memories; memory_get of
   one id p50, next to a bare JSON-RPC echo over pipes and a do-nothing tool on a bare SDK server;
3. memory_search p50/p95 (hybrid, default settings) at that size;
4. the raw single-text embedding time of the same model on the same texts, called directly.

Texts are LoCoMo dialog turns and questions when ../shared/bench/locomo-dev.json exists (real
conversational text), else generated sentences. Nothing here is a test: it prints figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters

sys.path.insert(0, str(Path(__file__).resolve().parent))

from perf import RawServer

ROOT = Path(__file__).resolve().parent.parent
LOCOMO = ROOT.parent / "shared" / "bench" / "locomo-dev.json"


def texts_and_queries(n: int) -> tuple[list[str], list[str], str]:
    if LOCOMO.exists():
        samples = json.loads(LOCOMO.read_text())
        texts: list[str] = []
        queries: list[str] = []
        for sample in samples:
            conv = sample["conversation"]
            for key in sorted(k for k in conv if k.startswith("session_") and not k.endswith("date_time")):
                for turn in conv[key]:
                    texts.append(f"{turn['speaker']}: {turn['text']}")
            queries.extend(q["question"] for q in sample["qa"])
        return list(dict.fromkeys(texts))[:n], queries, "LoCoMo dialog turns and questions"
    words = [
        "deploy",
        "build",
        "cache",
        "database",
        "index",
        "query",
        "server",
        "client",
        "token",
        "config",
        "schema",
        "migration",
        "test",
    ]
    texts = [
        f"note {i}: the {words[i % 13]} step uses {words[(i * 7) % 13]} and {words[(i * 5) % 13]}"
        for i in range(n)
    ]
    return texts, [f"how does {w} work" for w in words], "generated sentences"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def bare_import_seconds() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "from mcp.server import MCPServer"], check=True)
    return time.perf_counter() - started


def initialize_seconds(env: dict[str, str]) -> float:
    """Spawn the server and time until its initialize response arrives on stdout."""
    request = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "bench", "version": "1"},
        },
    }
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mcp_memory"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    proc.stdin.write((json.dumps(request) + "\n").encode())
    proc.stdin.flush()
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - started
    proc.stdin.close()
    proc.wait(timeout=30)
    if b'"result"' not in line:
        raise SystemExit(f"unexpected initialize answer: {line[:200]!r}")
    return elapsed


async def until_model_ready(client: Client) -> None:
    """Return once the server answers a hybrid search in full (its model loaded); at most 120 s."""
    with anyio.fail_after(120):
        while True:
            r = await client.call_tool("memory_search", {"query": "warm up"})
            if r.structured_content is not None and "mode_used" not in r.structured_content:
                return
            await anyio.sleep(0.1)


async def over_stdio(
    env: dict[str, str], texts: list[str], queries: list[str], searches: int
) -> tuple[dict[str, list[float]], str]:
    """Store and search timings, and the id of a stored memory."""
    params = StdioServerParameters(command=sys.executable, args=["-m", "mcp_memory"], env=env)
    stores: list[float] = []
    found: list[float] = []
    gets: list[float] = []
    async with Client(params, mode="legacy") as client:
        await until_model_ready(client)  # so stores include their embedding
        for text in texts:
            started = time.perf_counter()
            r = await client.call_tool("memory_store", {"content": text})
            stores.append(time.perf_counter() - started)
            if r.is_error:
                raise SystemExit(f"store failed: {r.content}")
        first = str((r.structured_content or {}).get("id"))
        for _ in range(searches):
            started = time.perf_counter()
            await client.call_tool("memory_get", {"ids": [first]})
            gets.append(time.perf_counter() - started)
        for query in (queries * (searches // max(len(queries), 1) + 1))[:searches]:
            started = time.perf_counter()
            r = await client.call_tool("memory_search", {"query": query})
            found.append(time.perf_counter() - started)
            if r.is_error:
                raise SystemExit(f"search failed: {r.content}")
    return {"store": stores, "search": found, "get": gets}, first


_ECHO = "import sys\nfor line in sys.stdin:\n    sys.stdout.write(line)\n    sys.stdout.flush()\n"
_TRIVIAL = (
    "from mcp.server import MCPServer\n"
    "server = MCPServer('trivial')\n"
    "@server.tool()\n"
    "def ping() -> str:\n"
    "    return 'ok'\n"
    "server.run()\n"
)


def raw_get_round_trips(db: Path, memory_id: str, count: int) -> list[float]:
    """memory_get of one id from a raw JSON-RPC client over pipes (`perf.RawServer`; no SDK client,
    which validates every structured result against the tool's output schema: ~1 ms a call on its
    own side)."""
    server = RawServer(db)
    server.initialize()
    times = []
    for n in range(count + 10):
        started = time.perf_counter()
        server.request("tools/call", {"name": "memory_get", "arguments": {"ids": [memory_id]}})
        if n >= 10:
            times.append(time.perf_counter() - started)
    server.close()
    return times


def echo_round_trips(count: int) -> list[float]:
    """A bare JSON-RPC echo over pipes: the physical floor of one request and its answer."""
    proc = subprocess.Popen([sys.executable, "-c", _ECHO], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdin is not None
    assert proc.stdout is not None
    times = []
    for n in range(count + 10):
        message = (
            json.dumps({"jsonrpc": "2.0", "id": n, "method": "tools/call", "params": {"name": "x"}}) + "\n"
        )
        started = time.perf_counter()
        proc.stdin.write(message.encode())
        proc.stdin.flush()
        json.loads(proc.stdout.readline())
        if n >= 10:
            times.append(time.perf_counter() - started)
    proc.stdin.close()
    proc.wait(timeout=10)
    return times


async def trivial_tool_calls(count: int) -> list[float]:
    """A do-nothing tool on a bare SDK server over stdio: what the SDK itself costs per call."""
    params = StdioServerParameters(command=sys.executable, args=["-c", _TRIVIAL])
    times = []
    async with Client(params, mode="legacy") as client:
        for n in range(count + 10):
            started = time.perf_counter()
            await client.call_tool("ping", {})
            if n >= 10:
                times.append(time.perf_counter() - started)
    return times


def raw_embedding(texts: list[str]) -> list[float]:
    from mcp_memory.config import Settings
    from mcp_memory.embeddings import load_embedder

    embedder = load_embedder(Settings.load(env={}))
    embedder.embed(["warm up"])
    times = []
    for text in texts:
        started = time.perf_counter()
        embedder.embed([text])
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--memories", type=int, default=1000)
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument("--starts", type=int, default=7)
    args = parser.parse_args()
    texts, queries, source = texts_and_queries(args.memories)
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MCP_MEMORY_")}
        env.update(
            MCP_MEMORY_DB=str(Path(tmp) / "bench.db"),
            MCP_MEMORY_PROJECT="bench",
            MCP_MEMORY_LOG_LEVEL="ERROR",
        )
        bare, init = [], []
        initialize_seconds(env)  # first spawn creates the database; not counted
        for _ in range(args.starts):
            bare.append(bare_import_seconds())
            init.append(initialize_seconds(env))
        measured, first = anyio.run(over_stdio, env, texts, queries, args.searches)
        raw_get = raw_get_round_trips(Path(env["MCP_MEMORY_DB"]), first, args.searches)
    echo = echo_round_trips(args.searches)
    trivial = anyio.run(trivial_tool_calls, args.searches)
    raw = raw_embedding(texts[: min(len(texts), 300)])
    raw_q = raw_embedding(queries[: min(len(queries), 300)])
    ms = 1000.0
    rows = [
        (
            "memory_get p50 (one id)",
            percentile(measured["get"], 50) * ms,
            "bare JSON-RPC echo over pipes p50",
            percentile(echo, 50) * ms,
        ),
        (
            "memory_get p50 (one id), raw JSON-RPC client",
            percentile(raw_get, 50) * ms,
            "bare JSON-RPC echo over pipes p50",
            percentile(echo, 50) * ms,
        ),
        (
            "memory_get p50 (one id)",
            percentile(measured["get"], 50) * ms,
            "do-nothing tool on the bare SDK p50",
            percentile(trivial, 50) * ms,
        ),
        (
            "spawn -> initialize (median)",
            statistics.median(init) * ms,
            "bare `from mcp.server import MCPServer`",
            statistics.median(bare) * ms,
        ),
        (
            "memory_store p50",
            percentile(measured["store"], 50) * ms,
            "raw single-text embed p50",
            percentile(raw, 50) * ms,
        ),
        (
            "memory_store p95",
            percentile(measured["store"], 95) * ms,
            "raw single-text embed p95",
            percentile(raw, 95) * ms,
        ),
        (
            f"memory_search p50 @ {len(texts)}",
            percentile(measured["search"], 50) * ms,
            "raw query embed p50",
            percentile(raw_q, 50) * ms,
        ),
        (
            f"memory_search p95 @ {len(texts)}",
            percentile(measured["search"], 95) * ms,
            "raw query embed p95",
            percentile(raw_q, 95) * ms,
        ),
    ]
    print(f"texts: {source}; {len(texts)} memories; {len(measured['search'])} searches; {args.starts} starts")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    print("| figure | ms | reference | ms | ratio |\n|---|---|---|---|---|")
    for name, value, ref_name, ref in rows:
        print(f"| {name} | {value:.1f} | {ref_name} | {ref:.1f} | {value / ref:.2f}x |")


if __name__ == "__main__":
    main()
