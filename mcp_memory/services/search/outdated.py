"""Results that a newer result contradicts: the newer one first, the older one marked `outdated_by`.

Two memories of one answer can state two values for one thing ("the staging database listens on
port 5433", later "... moved to port 6543") when nobody retired the older one with `supersedes`.
An agent reading both must know which holds: the older one carries the newer one's id, and the
newer one takes the better place and relevance of the two (it answers what the older one
answered), so the order and the scores agree. A pair is found by the fact check of a store's
conflicts (`fact_changes.changes_fact`); only pairs that pass it have their vectors read, to
confirm the two are as close in meaning as the conflicts of a store must be.
"""

from __future__ import annotations

import dataclasses
from array import array
from typing import TYPE_CHECKING

from mcp_memory.services.memories.conflicts import CONFLICT_SIMILARITY
from mcp_memory.services.memories.fact_changes import changed_pairs, newest_of
from mcp_memory.services.search.hits import SearchHit
from mcp_memory.storage.ids import rowid_of
from mcp_memory.storage.vectors import vectors_of

if TYPE_CHECKING:
    from mcp_memory.services.app import App

__all__ = ["mark_outdated"]


def _cosine(a: bytes, b: bytes) -> float:
    x, y = array("f", a), array("f", b)
    dot = sum(p * q for p, q in zip(x, y, strict=False))
    norm = (sum(p * p for p in x) * sum(q * q for q in y)) ** 0.5
    return dot / norm if norm else 0.0


async def mark_outdated(app: App, hits: list[SearchHit]) -> list[SearchHit]:
    """`hits` with each result a newer one contradicts marked `outdated_by` and placed after it."""
    pairs = changed_pairs([(h.memory.content, h.memory.created_at) for h in hits])
    info = app.vector_info
    if not pairs or info is None:
        return hits
    rowids = [rowid_of(h.memory.id) for h in hits]
    vectors = await vectors_of(app.db, info.table, sorted({rowids[p] for pair in pairs for p in pair}))

    def close(older: int, newer: int) -> bool:
        a, b = vectors.get(rowids[older]), vectors.get(rowids[newer])
        return a is not None and b is not None and _cosine(a, b) >= CONFLICT_SIMILARITY

    newer_of = newest_of([p for p in pairs if close(*p)], [h.memory.created_at for h in hits])
    if not newer_of:
        return hits
    groups: dict[int, list[int]] = {}
    for i in range(len(hits)):
        groups.setdefault(newer_of.get(i, i), []).append(i)
    result: list[SearchHit] = []
    for newest, members in sorted(groups.items(), key=lambda group: min(group[1])):
        best = max(hits[m].relevance for m in members)
        result.append(dataclasses.replace(hits[newest], relevance=best))
        newest_id = hits[newest].memory.id
        result.extend(
            dataclasses.replace(
                hits[m],
                outdated_by=newest_id,
                why=(
                    f"outdated: the newer {newest_id} states another value for this; {newest_id} holds",
                    *hits[m].why,
                ),
            )
            for m in members
            if m != newest
        )
    return result
