"""Results that a newer result contradicts: the newer one first, the older one marked `outdated_by`.

Two memories of one answer can state two values for one thing ("the staging database listens on
port 5433", later "... moved to port 6543") when nobody retired the older one with `supersedes`.
An agent reading both must know which holds: the older one carries the newer one's id, and the
newer one takes the better place and relevance of the two (it answers what the older one
answered), so the order and the scores agree. The results' vectors are read (one statement) and
only pairs as close in meaning as a store's conflicts must be go through the fact check of a
store's conflicts (`fact_changes.changes_fact`), which costs far more than the vectors.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from mcp_memory.services.memories.conflicts import CONFLICT_SIMILARITY
from mcp_memory.services.memories.fact_changes import changes_fact, newest_of
from mcp_memory.services.search.hits import SearchHit
from mcp_memory.storage.ids import rowid_of
from mcp_memory.storage.vectors import vectors_of

if TYPE_CHECKING:
    from mcp_memory.services.app import App

__all__ = ["mark_outdated"]


async def mark_outdated(app: App, hits: list[SearchHit]) -> list[SearchHit]:
    """`hits` with each result a newer one contradicts marked `outdated_by` and placed after it."""
    info = app.vector_info
    if len(hits) < 2 or info is None:
        return hits
    rowids = [rowid_of(h.memory.id) for h in hits]
    vectors = await vectors_of(app.db, info.table, rowids)
    known = [i for i, rowid in enumerate(rowids) if rowid in vectors]
    if len(known) < 2:
        return hits
    import numpy as np

    matrix = np.frombuffer(b"".join(vectors[rowids[i]] for i in known), dtype="<f4").reshape(len(known), -1)
    close = matrix @ matrix.T
    when = [h.memory.created_at for h in hits]
    pairs = []
    # Only pairs as close in meaning as a store's conflicts are read for their facts (the costly part).
    for a, b in zip(*np.nonzero(np.triu(close >= CONFLICT_SIMILARITY, k=1)), strict=True):
        i, j = known[int(a)], known[int(b)]
        older, newer = (i, j) if when[i] <= when[j] else (j, i)
        if changes_fact(hits[older].memory.content, hits[newer].memory.content):
            pairs.append((older, newer))
    newer_of = newest_of(pairs, when)
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
