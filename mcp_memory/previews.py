"""Text shortened for display (search snippets, timeline and graph lines, episode reflections, hook
context): one place that cuts, so a cut never falls inside a redaction marker.

A marker (`[REDACTED:github-token]`, `[PRIVATE]`; `services.memories.redaction` writes them) cut in
half reads as broken text and hides which secret was there; a preview that would end inside one ends
before it instead.
"""

from __future__ import annotations

import re

__all__ = ["MARKER", "cut_at", "preview"]

#: A marker left where a secret or a private block was (the kinds are lower-case words with dashes).
MARKER = re.compile(r"\[(?:REDACTED:[a-z0-9-]+|PRIVATE)\]")
#: The longest marker worth looking back for (`[REDACTED:` and a kind of up to 40 characters).
_LONGEST = 52


def cut_at(text: str, limit: int) -> int:
    """Where to cut `text` to keep at most `limit` characters: `limit`, or the start of a marker
    that the cut would split."""
    if len(text) <= limit:
        return len(text)
    start = max(0, limit - _LONGEST)
    for found in MARKER.finditer(text, start, limit + _LONGEST):
        if found.start() < limit < found.end():
            return found.start()
    return limit


def preview(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, ending with "…" when shortened, never inside a marker."""
    if len(text) <= limit:
        return text
    return text[: cut_at(text, limit - 1)] + "…"
