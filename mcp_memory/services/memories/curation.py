"""What a person curating memories needs beyond the tools: a listing in pages (pinned first, then
newest), a stamp that changes with every write (to know when to read again), and retiring a stale
memory in favour of a newer one that is already stored (`supersedes` at store time does the same for
a new one)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from mcp_memory.errors import InvalidInput
from mcp_memory.services.app import App
from mcp_memory.services.memories.records import Memory, load_memories
from mcp_memory.services.memories.store import resolve_id, supersede
from mcp_memory.storage.filters import build_filter
from mcp_memory.storage.listings import change_stamp, count_passing, page_ids
from mcp_memory.storage.query import Transaction

__all__ = ["MAX_PAGE", "Page", "memory_page", "retire_memory", "write_stamp"]

#: The most memories one page holds.
MAX_PAGE = 200


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a listing and how many memories the whole listing holds."""

    memories: tuple[Memory, ...]
    total: int
    offset: int


async def memory_page(
    app: App,
    *,
    project: str | None = None,
    kind: str | None = None,
    tags: Sequence[str] | None = None,
    since: str | None = None,
    until: str | None = None,
    include_superseded: bool = False,
    offset: int = 0,
    limit: int = 50,
) -> Page:
    """The memories within the filters (the usual project scope), pinned first, then newest first,
    from `offset`, at most `limit`."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit {limit} is out of range; use 1 to {MAX_PAGE}.")
    if offset < 0:
        raise InvalidInput(f"offset {offset} is negative; use 0 for the first page.")
    flt = build_filter(
        default_project=app.default_project, project=project, kind=kind, tags=tags, since=since, until=until
    )
    if include_superseded:
        flt = replace(flt, include_superseded=True)
    ids = await page_ids(app.db, flt, offset, limit)
    found = await load_memories(app.db, ids)
    total = await count_passing(app.db, flt)
    return Page(tuple(found[i] for i in ids if i in found), total, offset)


async def write_stamp(app: App) -> str:
    """Changes whenever any memory is stored, changed or deleted."""
    return await change_stamp(app.db)


async def retire_memory(app: App, memory_id: str, replaced_by: str) -> tuple[str, ...]:
    """Retire `memory_id` in favour of the newer `replaced_by` (both stored): it leaves search, context
    and listings, keeps its history, and `memory_revert` brings it back. The ids retired."""
    older, newer = resolve_id(memory_id), resolve_id(replaced_by)
    if older == newer:
        raise InvalidInput(f"{memory_id} cannot replace itself; name the newer memory that replaces it.")
    newest = await load_memories(app.db, [newer])
    if newer not in newest:
        raise InvalidInput(
            f"no memory {replaced_by} to replace {memory_id} with; memory_search finds the newer one's id."
        )
    now = time.time()

    async def work(conn: Transaction) -> tuple[str, ...]:
        return await supersede(conn, [older], newer, now)

    return await app.db.write(work)
