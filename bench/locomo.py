"""Retrieval quality on LoCoMo, through the product's own store and search paths.

    uv run python bench/locomo.py [--data PATH] [--samples conv-26,conv-30] [--limit-questions N] [--folds]
                                  [--engines sqlite,postgres]

Each conversation is stored in its own fresh database, one memory per dialog turn
(`"<speaker>: <text>"`, created_at = the session's date, through memory_batch_store's service).
Every question with evidence is run through memory_search's service with default settings. Prints
recall@5, recall@10, hit@10 and MRR for categories 1-4 together and per category, category 5
separately, and the search latency p50. A benchmark, not a test.

`--engines sqlite,postgres` runs every conversation on both engines in the same run (Postgres: a
local embedded one, a fresh team database per conversation, connected as a member) and prints each
table, then the differences.

The data: ../shared/bench/locomo-dev.json when present. LoCoMo itself (Maharana et al., ACL 2024,
CC BY-NC 4.0) is at https://github.com/snap-research/locomo (data/locomo10.json).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import anyio

from mcp_memory.config import Settings
from mcp_memory.relevance import DEFAULT_FLOOR
from mcp_memory.services.app import open_app
from mcp_memory.services.memories.batch import batch_store
from mcp_memory.services.search import hybrid
from mcp_memory.services.search.hybrid import search_memories
from mcp_memory.storage import keywords

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "bench" / "locomo-dev.json"
CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop", 5: "adversarial"}


def session_time(text: str) -> str:
    """'1:56 pm on 8 May, 2023' -> ISO 8601 UTC."""
    parsed = datetime.strptime(text.strip(), "%I:%M %p on %d %B, %Y")
    return parsed.replace(tzinfo=timezone.utc).isoformat()


def clean_evidence(raw: list[str], known: set[str]) -> list[str]:
    """Fix the few malformed ids ('D8:6; D9:17', 'D:11:26', 'D30:05') and drop unknown ones."""
    result = []
    for item in raw:
        for part in str(item).split(";"):
            part = part.strip().replace("D:", "D")
            match = re.fullmatch(r"D(\d+):0*(\d+)", part)
            if match:
                dia = f"D{int(match.group(1))}:{int(match.group(2))}"
                if dia in known and dia not in result:
                    result.append(dia)
    return result


def turns(sample: dict[str, Any]) -> list[dict[str, Any]]:
    conv = sample["conversation"]
    sessions = sorted(int(k.split("_")[1]) for k in conv if re.fullmatch(r"session_\d+", k))
    items = []
    for n in sessions:
        when = session_time(conv[f"session_{n}_date_time"])
        for turn in conv[f"session_{n}"]:
            items.append(
                {
                    "dia_id": turn["dia_id"],
                    "content": f"{turn['speaker']}: {turn['text']}",
                    "created_at": when,
                }
            )
    return items


#: The settings --folds chooses among: the session lift's weights, how related two neighbours must be
#: to lift each other, and the relevance floor.
GRID = [
    {"weights": weights, "related": related, "floor": floor}
    for weights in ((0.3, 0.15), (0.45, 0.225), (0.6, 0.3))
    for related in (0.2, 0.3, 0.4)
    for floor in (0.25, 0.3, 0.35)
]


#: The product's own settings, taken before --folds changes any.
DEFAULTS = {"weights": hybrid._NEIGHBOUR_WEIGHTS, "related": hybrid._RELATED, "floor": DEFAULT_FLOOR}


def apply(setting: dict[str, Any]) -> None:
    """Set the search's tunables to `setting` (for --folds)."""
    hybrid._NEIGHBOUR_WEIGHTS = setting["weights"]
    hybrid._RELATED = setting["related"]


async def run_sample(
    sample: dict[str, Any],
    limit_questions: int | None,
    budget_share: float | None = None,
    grid: list[dict[str, Any]] | None = None,
    database_url: str | None = None,
) -> tuple[list[dict[str, Any]], list[float]]:
    """The rows of every question (with `grid`, one set of rows per setting, each row tagged with its
    setting's index) and the search latencies."""
    items = turns(sample)
    if budget_share is not None:
        # The keyword stage's postings budget as the same share of memories it is at a larger size.
        keywords.POSTINGS_BUDGET = max(1, round(budget_share * len(items)))
    known = {t["dia_id"] for t in items}
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.load(
            env={},
            db_path=Path(tmp) / "locomo.db",
            data_dir=Path(tmp),
            project="locomo",
            database_url=database_url,
        )
        async with open_app(settings) as app:
            app.model_on_demand = True
            by_id: dict[str, str] = {}
            for start in range(0, len(items), 500):
                chunk = items[start : start + 500]
                results = await batch_store(
                    app,
                    [
                        {
                            "content": t["content"],
                            "created_at": t["created_at"],
                            "metadata": {"dia_id": t["dia_id"]},
                        }
                        for t in chunk
                    ],
                )
                for t, r in zip(chunk, results, strict=True):
                    if not r.ok or r.id is None:
                        raise SystemExit(f"store failed for {t['dia_id']}: {r.error}")
                    by_id.setdefault(r.id, t["dia_id"])
            rows = []
            latencies = []
            questions = [q for q in sample["qa"] if q.get("evidence")]
            for index, setting in enumerate(grid or [None]):
                if setting is not None:
                    apply(setting)
                for q in questions[:limit_questions]:
                    evidence = clean_evidence(q["evidence"], known)
                    if not evidence:
                        continue
                    started = time.perf_counter()
                    floor = None if setting is None else setting["floor"]
                    found = await search_memories(app, q["question"], limit=10, min_relevance=floor)
                    latencies.append(time.perf_counter() - started)
                    ranked = [by_id.get(h.memory.id, "") for h in found.hits]
                    rows.append(
                        {
                            "category": int(q["category"]),
                            "evidence": evidence,
                            "ranked": ranked,
                            "setting": index,
                        }
                    )
    return rows, latencies


def cross_validate(rows_by_sample: dict[str, list[dict[str, Any]]]) -> None:
    """Tune on three conversations, report on the other two, every way round: the held-out figures
    are what to expect on conversations nobody tuned on."""
    import itertools

    names = sorted(rows_by_sample)

    def figures(setting: int, samples: Any) -> dict[str, float]:
        return metrics(
            [r for s in samples for r in rows_by_sample[s] if r["setting"] == setting and r["category"] != 5]
        )

    print("| tuned on | held out | chosen (weights, related, floor) | held-out recall@10 | held-out MRR |")
    print("|---|---|---|---|---|")
    held: list[tuple[float, float]] = []
    for train in itertools.combinations(names, max(1, len(names) - 2)):
        test = [n for n in names if n not in train]
        if not test:
            break
        best = max(range(len(GRID)), key=lambda k: figures(k, train)["recall@10"] + figures(k, train)["mrr"])
        m = figures(best, test)
        held.append((m["recall@10"], m["mrr"]))
        g = GRID[best]
        print(
            f"| {', '.join(train)} | {', '.join(test)} | {g['weights'][0]}, {g['related']}, {g['floor']} "
            f"| {m['recall@10']:.3f} | {m['mrr']:.3f} |"
        )
    if held:
        print(
            f"held-out mean over {len(held)} folds: recall@10 {statistics.mean(h[0] for h in held):.3f}, "
            f"MRR {statistics.mean(h[1] for h in held):.3f} (goal >= 0.72 / >= 0.50)"
        )
    default = next((k for k, g in enumerate(GRID) if g == DEFAULTS), None)
    if default is not None:
        m = figures(default, names)
        print(
            f"the product's defaults on all conversations: recall@10 {m['recall@10']:.3f}, MRR {m['mrr']:.3f}"
        )


def metrics(rows: list[dict[str, Any]]) -> dict[str, float]:
    def recall(r: dict[str, Any], k: int) -> float:
        return len(set(r["ranked"][:k]) & set(r["evidence"])) / len(r["evidence"])

    def rr(r: dict[str, Any]) -> float:
        for rank, dia in enumerate(r["ranked"], start=1):
            if dia in r["evidence"]:
                return 1.0 / rank
        return 0.0

    n = len(rows) or 1
    return {
        "n": len(rows),
        "recall@5": sum(recall(r, 5) for r in rows) / n,
        "recall@10": sum(recall(r, 10) for r in rows) / n,
        "hit@10": sum(recall(r, 10) > 0 for r in rows) / n,
        "mrr": sum(rr(r) for r in rows) / n,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--samples", help="comma-separated sample ids (default: all)")
    parser.add_argument("--limit-questions", type=int, help="at most this many questions per conversation")
    parser.add_argument(
        "--budget-share",
        type=float,
        help="set the keyword stage's postings budget to this share of each conversation's memories "
        "(e.g. 0.04: the share the default budget of 4,000 is at 100,000 memories), to see what the "
        "common-word cutoff costs at the density it meets in large stores",
    )
    parser.add_argument(
        "--folds",
        action="store_true",
        help="cross-validate the search's tunables (session lift weights, how related neighbours must be, "
        "relevance floor) over a small grid: tune on three conversations, report on the other two, rotate",
    )
    parser.add_argument(
        "--engines",
        default="sqlite",
        help="sqlite (default), postgres, or sqlite,postgres: both in the same run, then the differences",
    )
    args = parser.parse_args()
    if not args.data.exists():
        print(
            f"LoCoMo data not found at {args.data}. Get it from https://github.com/snap-research/locomo "
            "(data/locomo10.json, CC BY-NC 4.0) and pass --data.",
            file=sys.stderr,
        )
        raise SystemExit(2)
    samples = json.loads(args.data.read_text())
    if args.samples:
        wanted = set(args.samples.split(","))
        samples = [s for s in samples if s["sample_id"] in wanted]
    if args.folds:
        by_sample = {
            s["sample_id"]: anyio.run(run_sample, s, args.limit_questions, args.budget_share, GRID)[0]
            for s in samples
        }
        cross_validate(by_sample)
        return
    engines = args.engines.split(",")
    if engines == ["sqlite"]:
        report(samples, args, None)
        return
    from pg_server import local_postgres

    with local_postgres() as new_database:
        figures = {
            engine: report(samples, args, new_database if engine == "postgres" else None)
            for engine in engines
        }
    if len(figures) == 2:
        (a, fa), (b, fb) = figures.items()
        print(
            f"\n{b} - {a}, categories 1-4: "
            + ", ".join(f"{k} {fb[k] - fa[k]:+.3f}" for k in ("recall@10", "mrr"))
        )


def report(samples: list[dict[str, Any]], args: argparse.Namespace, new_database: Any) -> dict[str, float]:
    """Run every conversation on one engine (Postgres when `new_database` makes its databases); print
    the table; answer categories 1-4's figures."""
    rows: list[dict[str, Any]] = []
    latencies: list[float] = []
    engine = "postgres" if new_database else "sqlite"
    for sample in samples:
        url = new_database() if new_database else None
        sample_rows, sample_latencies = anyio.run(
            run_sample, sample, args.limit_questions, args.budget_share, None, url
        )
        rows += sample_rows
        latencies += sample_latencies
        m = metrics([r for r in sample_rows if r["category"] != 5])
        print(
            f"{engine} {sample['sample_id']}: recall@10 {m['recall@10']:.3f} MRR {m['mrr']:.3f} ({m['n']} questions)",
            file=sys.stderr,
        )
    main_rows = [r for r in rows if r["category"] != 5]
    print(f"LoCoMo on {engine}, {len(samples)} conversations, {len(rows)} questions with evidence")
    print("| set | n | recall@5 | recall@10 | hit@10 | MRR |\n|---|---|---|---|---|---|")

    def line(name: str, subset: list[dict[str, Any]]) -> None:
        m = metrics(subset)
        print(
            f"| {name} | {m['n']} | {m['recall@5']:.3f} | {m['recall@10']:.3f} | {m['hit@10']:.3f} | {m['mrr']:.3f} |"
        )

    line("**categories 1-4**", main_rows)
    by_category: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_category[r["category"]].append(r)
    for category in sorted(by_category):
        line(f"{category} {CATEGORIES[category]}", by_category[category])
    print(
        f"search latency p50 {statistics.median(latencies) * 1000:.1f} ms, "
        f"p95 {sorted(latencies)[int(0.95 * (len(latencies) - 1))] * 1000:.1f} ms"
    )
    return metrics(main_rows)


if __name__ == "__main__":
    main()
