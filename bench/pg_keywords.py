"""The Postgres keyword stage's ranking at 100,000 memories, A/B in one run: the team schema's
`visible_keyword_matches` as it is, against other definitions put in its place (same signature), the
searches alternating between them in rounds, SQLite's search in the same rounds as the reference.

    uv run python bench/pg_keywords.py [--size 100000] [--searches 240]

The stores are bench/team.py's (perf.py's cached SQLite file, migrated into a fresh team database on
a local embedded Postgres, vacuumed and analysed, read as a member). For each variant: search p50 /
p95 through the services, the keyword candidates' own p50 (`pg_search.keyword_candidates`), and how
often its top 10 results are the current definition's (the same answers?).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent))

from perf import build, corpus, warm_file
from pg_server import analyze, local_postgres

from mcp_memory.config import Settings
from mcp_memory.services.app import open_app
from mcp_memory.services.search.hybrid import search_memories
from mcp_memory.services.transfer.migrate import copy_store
from mcp_memory.storage.postgres import search as pg_search

_HEAD = """CREATE OR REPLACE FUNCTION mcp_memory.visible_keyword_matches(matching TSQUERY, ranking TSQUERY)
    RETURNS TABLE(id BIGINT, score REAL)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, mcp_memory, pg_temp AS $$
"""
VARIANTS = {
    "ts_rank (step 3, now)": _HEAD
    + """    SELECT m.id, ts_rank(m.search, ranking) FROM mcp_memory.memories m
    WHERE m.search @@ matching AND m.deleted_at IS NULL
      AND (m.visibility = 'team' OR m.owner = session_user)
$$;""",
    "ts_rank_cd (step 1)": _HEAD
    + """    SELECT m.id, ts_rank_cd(m.search, ranking) FROM mcp_memory.memories m
    WHERE m.search @@ matching AND m.deleted_at IS NULL
      AND (m.visibility = 'team' OR m.owner = session_user)
$$;""",
}


def _admin(url: str) -> str:
    return url.replace("bench:bench-pw@", "postgres:@", 1)


def _define(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(_admin(url), autocommit=True) as conn:
        conn.execute(sql)


async def measure(db: Path, url: str, questions: list[str], searches: int) -> dict[str, Any]:
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="mcp-memory-pgkw-"))
    copy = folder / "memory.db"
    shutil.copyfile(db, copy)
    lite_settings = Settings.load(env={}, db_path=copy, data_dir=folder / "lite", project="bench")
    shared_settings = Settings.load(env={}, data_dir=folder, project="bench", database_url=url)
    warm_file(copy)
    kw_times: list[float] = []
    original = pg_search.keyword_candidates

    async def timed(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return await original(*args, **kwargs)
        finally:
            kw_times.append(time.perf_counter() - t0)

    pg_search.keyword_candidates = timed
    names = list(VARIANTS)
    times: dict[str, list[float]] = {n: [] for n in [*names, "sqlite"]}
    keyword: dict[str, list[float]] = {n: [] for n in names}
    tops: dict[str, dict[str, list[str]]] = {n: {} for n in names}
    async with open_app(lite_settings) as lite, open_app(shared_settings) as shared:
        await lite.load_model()
        await shared.load_model()
        started = time.perf_counter()
        await copy_store(lite, shared, visibility="team")
        print(f"migrated in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        analyze(url)
        for warm in questions[:20]:
            await search_memories(lite, warm)
            await search_memories(shared, warm)
        rounds = 6
        per = searches // rounds
        for r in range(rounds):
            for name in names if r % 2 == 0 else reversed(names):
                _define(url, VARIANTS[name])
                for q in questions[20 : 20 + 10]:  # replans after the redefinition, not measured
                    await search_memories(shared, q)
                for question in questions[20 + r * per : 20 + (r + 1) * per]:
                    t0 = time.perf_counter()
                    await search_memories(lite, question)
                    times["sqlite"].append(time.perf_counter() - t0)
                    kw_times.clear()
                    t0 = time.perf_counter()
                    found = await search_memories(shared, question)
                    times[name].append(time.perf_counter() - t0)
                    keyword[name].extend(kw_times)
                    tops[name][question] = [h.memory.id for h in found.hits]
        # the same questions under every definition, for the agreement of the answers
        for name in names:
            _define(url, VARIANTS[name])
            for question in questions[20 : 20 + searches]:
                tops[name][question] = [h.memory.id for h in (await search_memories(shared, question)).hits]
    shutil.rmtree(folder, ignore_errors=True)
    return {"times": times, "keyword": keyword, "tops": tops}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--searches", type=int, default=240)
    args = parser.parse_args()
    texts, questions = corpus()
    with local_postgres() as new_database:
        db = anyio.run(build, args.size, texts)
        got = anyio.run(measure, db, new_database(), questions, args.searches)
    med = statistics.median
    base = med(got["times"]["sqlite"])
    first = next(iter(VARIANTS))
    print(f"Postgres keyword ranking at {args.size:,} memories; SQLite search p50 {base * 1000:.1f} ms")
    print(
        "| definition | search p50 / p95 ms | ratio to SQLite | keyword candidates p50 ms | same results as now |"
    )
    print("|---|---|---|---|---|")
    for name in VARIANTS:
        values = sorted(got["times"][name])
        p95 = values[min(len(values) - 1, int(0.95 * len(values)))]
        kw = got["keyword"][name]
        same = [got["tops"][name][q] == got["tops"][first][q] for q in got["tops"][first]]
        print(
            f"| {name} | {med(values) * 1000:.1f} / {p95 * 1000:.1f} | {med(values) / base:.2f}x "
            f"| {med(kw) * 1000 if kw else 0:.1f} | {sum(same)}/{len(same)} |"
        )


if __name__ == "__main__":
    main()
