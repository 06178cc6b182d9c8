"""Search latency at a given size, with real texts.

    uv run python bench/search_scale.py [--memories 10000] [--queries 300]

Builds (once; cached in the system temp folder, outside the repository) a database of --memories
memories from LoCoMo dialog turns, cycled with a copy marker past the 2,760 real ones, stored through
the product's batch store path with one session per 20 turns; then times memory_search's service
(hybrid, default settings, the in-process call without the stdio round trip) on LoCoMo questions,
next to the raw query-embedding time. Needs ../shared/bench/locomo-dev.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import anyio

from mcp_memory.app import open_app
from mcp_memory.batch import batch_store
from mcp_memory.config import Settings
from mcp_memory.search import search_memories

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "bench" / "locomo-dev.json"


def texts_and_questions() -> tuple[list[str], list[str]]:
    samples = json.loads(DATA.read_text())
    texts, questions = [], []
    for sample in samples:
        conv = sample["conversation"]
        for key in sorted(k for k in conv if k.startswith("session_") and not k.endswith("date_time")):
            texts += [f"{t['speaker']}: {t['text']}" for t in conv[key]]
        questions += [q["question"] for q in sample["qa"]]
    return texts, questions


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def main(memories: int, queries: int) -> None:
    texts, questions = texts_and_questions()
    folder = Path(tempfile.gettempdir()) / f"mcp-memory-bench-{memories}"
    folder.mkdir(exist_ok=True)
    settings = Settings.load(env={}, db_path=folder / "bench.db", data_dir=folder, project="bench")
    async with open_app(settings) as app:
        app.model_on_demand = True
        have = int(await app.db.scalar("SELECT count(*) FROM memories") or 0)
        started = time.perf_counter()
        base = time.time() - 365 * 86400
        while have < memories:
            chunk = []
            for n in range(have, min(have + 500, memories)):
                text = texts[n % len(texts)]
                copy = n // len(texts)
                chunk.append(
                    {
                        "content": text if copy == 0 else f"{text} [copy {copy}]",
                        "created_at": str(base + (n // 20) * 7200),
                    }
                )
            await batch_store(app, [{**c, "created_at": _iso(float(c["created_at"]))} for c in chunk])
            have += len(chunk)
            print(f"\rbuilt {have}/{memories}", end="", flush=True)
        if time.perf_counter() - started > 1:
            print(f"\nbuilt in {time.perf_counter() - started:.0f}s")
        await app.ensure_model()
        raw, timed = [], []
        for question in questions[:queries]:
            t0 = time.perf_counter()
            await app.embeddings.embed([question + " "])
            raw.append(time.perf_counter() - t0)
        for question in questions[:queries]:
            t0 = time.perf_counter()
            await search_memories(app, question)
            timed.append(time.perf_counter() - t0)
        count = await app.db.scalar("SELECT count(*) FROM memories")
    ms = 1000
    print(f"{count} memories, {len(timed)} queries (hybrid, default settings, in-process)")
    print("| figure | p50 ms | p95 ms |\n|---|---|---|")
    print(f"| memory_search | {percentile(timed, 50) * ms:.1f} | {percentile(timed, 95) * ms:.1f} |")
    print(f"| raw query embedding | {percentile(raw, 50) * ms:.1f} | {percentile(raw, 95) * ms:.1f} |")
    print(
        f"| search beyond embedding (p50) | {(statistics.median(timed) - statistics.median(raw)) * ms:.1f} | |"
    )


def _iso(epoch: float) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(epoch, tz=timezone.utc).isoformat()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--memories", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    anyio.run(main, args.memories, args.queries)
