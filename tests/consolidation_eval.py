"""Consolidation's merge decision measured on look-alike pairs and restatements, through the product's
own `consolidate` (shared by tests/test_consolidate_facts.py and bench/consolidation.py)."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from mcp_memory.services.app import App
from mcp_memory.services.maintenance.consolidate import consolidate
from mcp_memory.services.memories.batch import batch_store

FIXTURE = Path(__file__).parent / "fixtures" / "consolidation_pairs.json"


def load_pairs() -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(different, same): look-alikes that must not merge, restatements that should."""
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return data["different"], data["same"]


@dataclass(frozen=True)
class Decisions:
    merged_different: list[dict[str, str]]
    merged_same: int
    total_same: int
    total_different: int

    @property
    def precision(self) -> float:
        merged = self.merged_same + len(self.merged_different)
        return self.merged_same / merged if merged else 1.0

    @property
    def recall(self) -> float:
        return self.merged_same / self.total_same if self.total_same else 1.0


async def pair_decisions(app: App, similarity: float = 0.95) -> Decisions:
    """Store every pair in a project of its own, run a consolidation dry run, and see which pairs it
    proposes to merge."""
    different, same = load_pairs()
    pairs = [("different", p) for p in different] + [("same", p) for p in same]
    items = []
    for n, (_, pair) in enumerate(pairs):
        items += [
            {"content": pair["a"], "project": f"pair{n}"},
            {"content": pair["b"], "project": f"pair{n}"},
        ]
    await batch_store(app, items)
    report = await consolidate(app, similarity=similarity)
    merged_projects = {m.project for m in report.merges}
    merged_different = [
        p for n, (k, p) in enumerate(pairs) if k == "different" and f"pair{n}" in merged_projects
    ]
    merged_same = sum(1 for n, (k, _) in enumerate(pairs) if k == "same" and f"pair{n}" in merged_projects)
    return Decisions(merged_different, merged_same, len(same), len(different))


_SUBJECTS = ["the auth service", "the billing worker", "the search index", "the mobile app", "the gateway",
             "the nightly job", "the admin panel", "the export task", "the payments API", "the scheduler"]  # fmt: skip
_FACTS = [
    "listens on port {n}", "keeps {n} days of logs", "retries {n} times before giving up",
    "times out after {n} seconds", "runs {n} replicas in production", "is owned by team {n}",
    "was upgraded in sprint {n}", "allows {n} requests per minute", "caches results for {n} minutes",
    "uses database shard {n}",
]  # fmt: skip


def distinct_memories(count: int = 1000, seed: int = 11) -> list[str]:
    """`count` different facts in the shape agents store them (service, property, number)."""
    rng = random.Random(seed)
    seen: set[str] = set()
    while len(seen) < count:
        text = f"{rng.choice(_SUBJECTS).capitalize()} {rng.choice(_FACTS).format(n=rng.randint(1, 9999))}"
        seen.add(text)
    return sorted(seen)
