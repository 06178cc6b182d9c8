"""Pins: memories that always come first in context and are never expired or merged away."""

from __future__ import annotations

import time

from mcp_memory.errors import InvalidInput, NotFound, Operation
from mcp_memory.limits import MAX_PIN_NOTE as _MAX_NOTE
from mcp_memory.services.app import App
from mcp_memory.services.memories.store import Memory, load_memories, resolve_id
from mcp_memory.storage.filters import build_filter
from mcp_memory.storage.pins import pinned_ids, set_pin
from mcp_memory.storage.query import Transaction

__all__ = ["list_pins", "set_pinned"]

#: The most pins a listing (and so the context) shows.
_MAX_PINS = 200


async def set_pinned(app: App, memory_id: str, pinned: bool, note: str | None = None) -> Memory:
    """Pin (with an optional note saying why) or unpin a memory."""
    rowid = resolve_id(memory_id)
    if note is not None and len(note) > _MAX_NOTE:
        raise InvalidInput(f"the pin note is {len(note)} characters; at most {_MAX_NOTE}.")

    async def work(conn: Transaction) -> None:
        kept_note = (note.strip() or None) if (pinned and note) else None
        if not await set_pin(conn, rowid, pinned, kept_note, time.time()):
            raise NotFound(f"no memory {memory_id}; ", Operation("memory_search"), " finds ids.")

    await app.db.write(work)
    return (await load_memories(app.db, [rowid]))[rowid]


async def list_pins(app: App, project: str | None = None) -> list[Memory]:
    """Pinned memories in the usual project scope, most recently changed first."""
    ids = await pinned_ids(
        app.db, build_filter(default_project=app.default_project, project=project), _MAX_PINS
    )
    found = await load_memories(app.db, ids)
    return [found[i] for i in ids if i in found]
