"""The stored memories a new or changed memory contradicts: the same subject, another value.

A memory about to be stored ("The staging database moved to port 6543") is compared with the
stored memories nearest to it in meaning, in its project and the global ones; those similar
enough whose fact it changes (`fact_changes.changes_fact`) are its conflicts. The store still
happens (nothing is refused or changed): the result lists them so the agent can retire the old
ones (`supersedes`) or correct them (`memory_update`).
"""

from __future__ import annotations

from dataclasses import dataclass

from mcp_memory.logs import get_logger
from mcp_memory.services.app import App
from mcp_memory.services.memories.fact_changes import changes_fact
from mcp_memory.services.memories.nearest import nearest_memories
from mcp_memory.services.memories.records import format_id, load_memories
from mcp_memory.storage.filters import build_filter

__all__ = ["CONFLICT_SIMILARITY", "Conflict", "conflicting_memories"]

#: Stored memories at least this similar in meaning (cosine) are compared with a new one. The
#: changed facts of bench/fixtures/fact_changes.jsonl start at 0.64; below, two texts are about
#: different things far more often than they restate one.
CONFLICT_SIMILARITY = 0.55

_log = get_logger(__name__)

#: How many of the nearest memories are compared.
_NEIGHBOURS = 8


@dataclass(frozen=True, slots=True)
class Conflict:
    """A stored memory the new one states another value for."""

    id: str
    content: str
    created_at: float
    similarity: float


async def conflicting_memories(
    app: App, content: str, vector: bytes, project: str, *, exclude: int | None = None
) -> tuple[Conflict, ...]:
    """The live memories of `project` (and global ones) whose fact `content` changes, most similar
    first; none when the model is not ready (the vector is then empty). Advisory: a failure to read
    them is logged and gives none, so it never fails the write it accompanies."""
    if not vector or app.vector_info is None:
        return ()
    try:
        return await _conflicts(app, content, vector, project, exclude)
    except Exception:
        _log.warning("conflict check failed", exc_info=True)
        return ()


async def _conflicts(
    app: App, content: str, vector: bytes, project: str, exclude: int | None
) -> tuple[Conflict, ...]:
    flt = build_filter(default_project=app.default_project, project=project or "global")
    near = [
        (rowid, similarity)
        for rowid, similarity in await nearest_memories(app, vector, flt, _NEIGHBOURS, exclude=exclude)
        if similarity >= CONFLICT_SIMILARITY
    ]
    if not near:
        return ()
    found = await load_memories(app.db, [rowid for rowid, _ in near])
    return tuple(
        Conflict(format_id(rowid), memory.content, memory.created_at, similarity)
        for rowid, similarity in near
        if (memory := found.get(rowid)) is not None and changes_fact(memory.content, content)
    )
