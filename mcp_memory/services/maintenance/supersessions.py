"""Consolidation's supersessions: an older memory a newer one contradicts is retired in its favour.

Two memories of one project and the same readers, as close in meaning as a store's conflicts must
be (`conflicts.CONFLICT_SIMILARITY`), where the newer one states another value for the older one's
fact (`fact_changes.changes_fact`): the older one is proposed for retirement, both texts shown.
Applied (not a dry run), it is retired as `supersedes` retires one: out of search and context, its
history kept, `memory_revert` brings it back. Nothing is merged or deleted, a pinned memory is
never retired, and one that was retired once and brought back is not proposed again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence, Set
from dataclasses import dataclass
from typing import Any

from mcp_memory.services.memories.conflicts import CONFLICT_SIMILARITY
from mcp_memory.services.memories.fact_changes import changes_fact, newest_of
from mcp_memory.services.memories.store import record_version, tags_by_id
from mcp_memory.storage.consolidation import live_rows_by_id
from mcp_memory.storage.ids import format_id
from mcp_memory.storage.memories import mark_superseded
from mcp_memory.storage.query import Transaction

__all__ = ["Supersession", "apply_supersession", "find_supersessions", "supersession_text"]


@dataclass(frozen=True, slots=True)
class Supersession:
    """An older memory a newer one replaces: both ids and texts, and how similar they are."""

    older: str
    older_content: str
    newer: str
    newer_content: str
    similarity: float


def supersession_text(s: Supersession, verb: str) -> str:
    """A supersession for people (`verb`: Would / Did)."""
    return (
        f"{verb} retire {s.older} in favour of the newer {s.newer} (similarity {s.similarity:.3f}):\n"
        f"  old: {s.older_content}\n  new: {s.newer_content}"
    )


def find_supersessions(
    rows: Sequence[Any],
    vectors: dict[int, bytes],
    readers: Callable[[Any], tuple[str, ...]],
    taken: set[int],
    kept: Set[int] = frozenset(),
) -> list[tuple[int, int, float]]:
    """(older, newer, similarity) row ids: each older memory of `rows` (not pinned, not in `taken`,
    not in `kept`: retired once and brought back by someone, so not proposed again) and the newest
    memory of the same readers that changes its fact."""
    import numpy as np

    groups: dict[tuple[str, ...], list[Any]] = {}
    for row in rows:
        if int(row["id"]) in vectors and int(row["id"]) not in taken:
            groups.setdefault(readers(row), []).append(row)
    found: list[tuple[int, int, float]] = []
    for members in groups.values():
        if len(members) < 2:
            continue
        matrix = np.frombuffer(b"".join(vectors[int(r["id"])] for r in members), dtype="<f4").reshape(
            len(members), -1
        )
        pairs: list[tuple[int, int]] = []
        similarity: dict[tuple[int, int], float] = {}
        for start in range(0, len(members), 1024):
            block = matrix[start : start + 1024] @ matrix.T
            for a, b in zip(*np.nonzero(block >= CONFLICT_SIMILARITY), strict=True):
                i, j = start + int(a), int(b)
                if not _older_first(members[i], members[j]):
                    continue
                if (
                    members[i]["pinned"]
                    or int(members[i]["id"]) in kept
                    or not changes_fact(str(members[i]["content"]), str(members[j]["content"]))
                ):
                    continue
                pairs.append((i, j))
                similarity[(i, j)] = float(block[a, b])
        when = [float(r["created_at"]) for r in members]
        for older, newer in sorted(newest_of(pairs, when).items()):
            sim = similarity.get((older, newer)) or float(matrix[older] @ matrix[newer])
            found.append((int(members[older]["id"]), int(members[newer]["id"]), round(sim, 4)))
    return found


def _older_first(a: Any, b: Any) -> bool:
    """Whether `a` was stated before `b` (by time, then by id)."""
    return (float(a["created_at"]), int(a["id"])) < (float(b["created_at"]), int(b["id"]))


async def apply_supersession(conn: Transaction, older: int, newer: int, now: float) -> bool:
    """Retire `older` in favour of `newer`, if both are still live and the newer one still changes
    the older one's fact (either may have changed since the plan was made); whether it was."""
    rows = await live_rows_by_id(conn, [older, newer])
    if older not in rows or newer not in rows or rows[older]["superseded_by"] is not None:
        return False
    if not changes_fact(str(rows[older]["content"]), str(rows[newer]["content"])):
        return False
    tags = (await tags_by_id(conn, [older]))[older]
    await record_version(conn, rows[older], tags, f"superseded by {format_id(newer)}", ["superseded_by"], now)
    await mark_superseded(conn, older, newer, now)
    return True
