"""Conflicts on store: a changed fact is flagged, a look-alike is left alone.

Every case of a fixture (JSON Lines: older, newer, changed) goes through the product's
`store_memory` with the real default model: all the older memories are stored first in one project
(so each newer one is compared against the whole set, the way an agent's store holds many), then
each newer one is stored, its `conflicts` read, and it is deleted again. A changed case counts as
flagged when its older memory is among the conflicts; a look-alike as a false flag when it is.

    uv run python bench/conflicts.py [fixture.jsonl ...]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mcp_memory.config import DEFAULT_MODEL, Settings
from mcp_memory.services.app import open_app
from mcp_memory.services.memories.changes import delete_memories
from mcp_memory.services.memories.store import store_memory

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "fact_changes.jsonl"


async def measure(path: Path) -> None:
    cases = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        settings = Settings(
            data_dir=folder,
            db_path=folder / "memory.db",
            embedding_model=DEFAULT_MODEL,
            project="bench",
            cwd=folder,
        )
        async with open_app(settings) as app:
            await app.load_model()
            older = {c["older"]: (await store_memory(app, c["older"])).id for c in cases}
            flagged = missed = false_flags = left_alone = 0
            for case in cases:
                result = await store_memory(app, case["newer"])
                hit = older[case["older"]] in {c.id for c in result.conflicts}
                if result.status == "created":
                    await delete_memories(app, [result.id])
                if case["changed"]:
                    flagged += hit
                    missed += not hit
                    if not hit:
                        print(f"  missed: {case['older']!r} -> {case['newer']!r}")
                else:
                    false_flags += hit
                    left_alone += not hit
                    if hit:
                        print(f"  false flag: {case['older']!r} -> {case['newer']!r}")
    changed = flagged + missed
    alike = false_flags + left_alone
    precision = flagged / (flagged + false_flags) if flagged + false_flags else 1.0
    print(
        f"{path.name}: changed facts flagged {flagged}/{changed} (recall {flagged / max(changed, 1):.2f}); "
        f"look-alikes left alone {left_alone}/{alike}; precision {precision:.2f}"
    )


async def main(paths: list[Path]) -> None:
    for path in paths:
        await measure(path)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("fixtures", nargs="*", type=Path, default=[FIXTURE], help="JSON Lines files of cases")
    args = parser.parse_args()
    anyio.run(main, args.fixtures)
