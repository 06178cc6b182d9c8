"""Secret redaction on the fixture in tests/secret_samples.py: the share of secrets caught (no
8-character piece of the secret left in the stored text) and of look-alikes kept unchanged, overall
and by kind, with the ones it gets wrong.

    uv run python bench/redaction.py
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mcp_memory.services.memories.redaction import redact
from tests.secret_samples import LOOK_ALIKES, SECRETS


def leaks(text: str, secret: str) -> bool:
    width = min(8, len(secret))
    return any(secret[i : i + width] in text for i in range(len(secret) - width + 1))


def main() -> None:
    by_kind: dict[str, list[bool]] = defaultdict(list)
    missed = []
    for kind, text, secrets in SECRETS:
        out = redact(text).text
        ok = all(not leaks(out, s) for s in secrets)
        by_kind[kind].append(ok)
        if not ok:
            missed.append((kind, out))
    changed = [(t, redact(t).text) for t in LOOK_ALIKES if redact(t).text != t]
    caught = sum(sum(v) for v in by_kind.values())
    print(f"secrets caught:    {caught}/{len(SECRETS)} = {caught / len(SECRETS):.3f} (goal >= 0.95)")
    kept = len(LOOK_ALIKES) - len(changed)
    print(f"look-alikes kept:  {kept}/{len(LOOK_ALIKES)} = {kept / len(LOOK_ALIKES):.3f} (goal >= 0.95)")
    print("by kind: " + ", ".join(f"{k} {sum(v)}/{len(v)}" for k, v in sorted(by_kind.items())))
    for kind, out in missed:
        print(f"  missed ({kind}): {out!r}")
    for text, out in changed:
        print(f"  changed look-alike: {text!r} -> {out!r}")


if __name__ == "__main__":
    main()
