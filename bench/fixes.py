"""Fix detection of the hooks: does the command that worked fix the one that failed?

Each fixture line is {"failed", "worked", "fix"}; the hooks' own decision (`hooks.fixes.is_fix`)
is compared with it. Prints recall (fixes recognised), precision (recognised ones that are fixes)
and the cases it gets wrong.

    uv run python bench/fixes.py [fixture.jsonl ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mcp_memory.hooks.fixes import is_fix

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "command_fixes.jsonl"


def measure(path: Path) -> None:
    cases = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    found = caught = wrong = 0
    for case in cases:
        said = is_fix(case["failed"], case["worked"])
        if case["fix"]:
            found += 1
            caught += said
            if not said:
                print(f"  missed: {case['failed']!r} -> {case['worked']!r}")
        elif said:
            wrong += 1
            print(f"  not a fix: {case['failed']!r} -> {case['worked']!r}")
    flagged = caught + wrong
    print(
        f"{path.name}: fixes recognised {caught}/{found} (recall {caught / max(found, 1):.2f}); "
        f"{wrong} of {len(cases) - found} non-fixes taken for one; precision {caught / max(flagged, 1):.2f}"
    )


def main() -> None:
    for name in sys.argv[1:] or [str(FIXTURE)]:
        measure(Path(name))


if __name__ == "__main__":
    main()
