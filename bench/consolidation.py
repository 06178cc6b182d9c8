"""Consolidation's merge decision on the look-alike fixture (tests/fixtures/consolidation_pairs.json)
and on 1,000 distinct facts, through the product's `consolidate` with the real default model.

For each similarity threshold: how many look-alike pairs (different facts) it would merge, how many
restatements it merges, precision and recall of the decision; beside it the cosine-only rule the
server used before (merge whenever similarity >= threshold) as the reference.

    uv run python bench/consolidation.py
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

import anyio
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mcp_memory.config import DEFAULT_MODEL, Settings
from mcp_memory.services.app import open_app
from mcp_memory.services.maintenance.consolidate import consolidate
from mcp_memory.services.memories.batch import batch_store
from tests.consolidation_eval import distinct_memories, load_pairs, pair_decisions


def _settings(folder: Path) -> Settings:
    return Settings(
        data_dir=folder,
        db_path=folder / "memory.db",
        embedding_model=DEFAULT_MODEL,
        project="bench",
        cwd=folder,
    )


async def main(thresholds: list[float]) -> None:
    different, same = load_pairs()
    print(f"fixture: {len(different)} look-alike pairs (must not merge), {len(same)} restatements (should)")
    print(f"{'threshold':>9}  {'look-alikes merged':>18}  {'restatements merged':>19}  precision  recall"
          f"  | cosine only: look-alikes  restatements")  # fmt: skip
    for threshold in thresholds:
        with tempfile.TemporaryDirectory() as tmp:
            async with open_app(_settings(Path(tmp))) as app:
                await app.load_model()
                decisions = await pair_decisions(app, similarity=threshold)
                assert app.embeddings.embedder is not None
                embed = app.embeddings.embedder.embed

                def cosine(a: str, b: str, embed: Any = embed) -> float:
                    va, vb = (np.frombuffer(v, dtype="<f4") for v in embed([a, b]))
                    return float(va @ vb)

                cos_diff = sum(1 for p in different if cosine(p["a"], p["b"]) >= threshold)
                cos_same = sum(1 for p in same if cosine(p["a"], p["b"]) >= threshold)
        print(
            f"{threshold:>9.2f}  {len(decisions.merged_different):>18}  {decisions.merged_same:>19}  "
            f"{decisions.precision:>9.3f}  {decisions.recall:>6.3f}  | {cos_diff:>24}  {cos_same:>12}"
        )
        for pair in decisions.merged_different:
            print(f"           merged different facts: {pair['a']!r} / {pair['b']!r}")
    with tempfile.TemporaryDirectory() as tmp:
        async with open_app(_settings(Path(tmp))) as app:
            await app.load_model()
            await batch_store(app, [{"content": t} for t in distinct_memories(1000)])
            report = await consolidate(app)
            print(f"1,000 distinct facts at the default similarity: {len(report.merges)} merges proposed")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--thresholds", default="0.85,0.90,0.95", help="comma-separated similarities")
    args = parser.parse_args()
    anyio.run(main, [float(t) for t in args.thresholds.split(",")])
