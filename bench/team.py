"""The shared Postgres next to the SQLite file, in one run: store and search p50 / p95 through the
product's services at each size, each engine's figure beside the other's, alternating call by call so
the machine's drift falls on both.

    uv run python bench/team.py [--sizes 1000,100000] [--searches 200] [--stores 100]

The SQLite store of each size is `bench/perf.py`'s (LoCoMo's dialog turns, and derived memories past
2,760; cached in the temp folder); the Postgres one is a fresh team database on a local embedded
Postgres (`bench/pg_server.py`), filled from the SQLite file by `mcp-memory migrate`'s service (the
vectors kept) and analysed (as autovacuum does within a minute of a bulk load), connected as a
member held to the row policies. Search: memory_search's service with
its defaults over LoCoMo questions. Store: memory_store's service with new texts (the embedding
included, the same on both). Goals (issue 25): search and store p50 on Postgres <= 1.5x SQLite's.
The hooks on both engines: `bench/hooks.py --engines sqlite,postgres`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent))

from perf import build, corpus, pct, warm_file
from pg_server import analyze, local_postgres

from mcp_memory.config import Settings
from mcp_memory.services.app import open_app
from mcp_memory.services.memories.store import store_memory
from mcp_memory.services.search.hybrid import search_memories
from mcp_memory.services.transfer.migrate import copy_store


async def measure(db: Path, url: str, questions: list[str], searches: int, stores: int) -> dict[str, Any]:
    """Fill the Postgres database from the file, then time both engines call by call."""
    folder = Path(tempfile.mkdtemp(prefix="mcp-memory-team-bench-"))
    copy = folder / "memory.db"  # the stores measured go into a copy, not perf.py's cached file
    shutil.copyfile(db, copy)
    db = copy
    file_settings = Settings.load(env={}, db_path=db, data_dir=folder / "lite", project="bench")
    shared_settings = Settings.load(env={}, data_dir=folder, project="bench", database_url=url)
    warm_file(db)
    async with open_app(file_settings) as lite, open_app(shared_settings) as shared:
        await lite.load_model()
        await shared.load_model()
        started = time.perf_counter()
        migrated = await copy_store(lite, shared, visibility="team")
        fill = time.perf_counter() - started
        analyze(url)  # as autovacuum would shortly after the bulk load
        times: dict[str, dict[str, list[float]]] = {
            "sqlite": {"search": [], "store": []},
            "postgres": {"search": [], "store": []},
        }
        engines = (("sqlite", lite), ("postgres", shared))
        for warm in questions[:20]:  # the first calls load codes, plans and caches
            for _, app in engines:
                await search_memories(app, warm)
        for n, question in enumerate(questions[:searches]):
            for name, app in engines if n % 2 == 0 else reversed(engines):
                t0 = time.perf_counter()
                await search_memories(app, question)
                times[name]["search"].append(time.perf_counter() - t0)
        for n, question in enumerate(questions[searches : searches + stores]):
            for name, app in engines if n % 2 == 0 else reversed(engines):
                t0 = time.perf_counter()
                await store_memory(app, f"{question} (noted by the {name} run, {n})")
                times[name]["store"].append(time.perf_counter() - t0)
        count = int(await shared.db.scalar("SELECT count(*) FROM memories"))
    shutil.rmtree(folder, ignore_errors=True)
    return {"times": times, "fill": fill, "copied": migrated.result.imported, "count": count}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--searches", type=int, default=200)
    parser.add_argument("--stores", type=int, default=100)
    args = parser.parse_args()
    texts, questions = corpus()
    rows = []
    with local_postgres() as new_database:
        for size in (int(s) for s in args.sizes.split(",")):
            db = anyio.run(build, size, texts)
            figures = anyio.run(measure, db, new_database(), questions, args.searches, args.stores)
            print(
                f"{figures['copied']:,} memories migrated into Postgres in {figures['fill']:.0f} s",
                file=sys.stderr,
            )
            for kind in ("search", "store"):
                lite, shared = figures["times"]["sqlite"][kind], figures["times"]["postgres"][kind]
                ratio = statistics.median(shared) / statistics.median(lite)
                rows.append(
                    f"| {kind} at {size:,} | {pct(lite, 50) * 1000:.1f} / {pct(lite, 95) * 1000:.1f} ms "
                    f"| {pct(shared, 50) * 1000:.1f} / {pct(shared, 95) * 1000:.1f} ms | {ratio:.2f}x "
                    f"| <= 1.5x, {'met' if ratio <= 1.5 else 'not met'} |"
                )
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; p50 / p95 through the services")
    print(
        "| figure | SQLite file | Postgres (local, as a member) | p50 ratio | goal |\n|---|---|---|---|---|"
    )
    print("\n".join(rows))


if __name__ == "__main__":
    main()
