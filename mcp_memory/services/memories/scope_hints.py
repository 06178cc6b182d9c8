"""Scope hints: when a search or a listing scoped to the current project finds nothing, how many
memories would match in other projects, so the caller learns to widen the scope instead of concluding
that nothing was stored."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from mcp_memory.errors import Argument, Message
from mcp_memory.projects import ProjectScope
from mcp_memory.services.app import App
from mcp_memory.storage.filters import MemoryFilter, build_filter
from mcp_memory.storage.memories import counts_by_project

__all__ = ["counts_elsewhere", "listing_hint", "scope_hint"]


async def counts_elsewhere(app: App, flt: MemoryFilter, words: Sequence[str] = ()) -> dict[str, int]:
    """Live memories that pass `flt` except for its project scope (and hold any of `words`, as the
    keyword index sees them), by project ('' is global), most first; empty when `flt` already covers
    every project."""
    scoped = flt.scope.projects
    if scoped is None:
        return {}
    everywhere = dataclasses.replace(flt, scope=ProjectScope(None))
    return await counts_by_project(app.db, everywhere, excluded=scoped, words=words, limit=6)


def scope_hint(counts: dict[str, int], what: str, scope: MemoryFilter) -> Message | None:
    """A sentence for an empty answer: where `what` ('matches', 'memories') are instead, and how to
    reach them; None when there are none elsewhere."""
    if not counts:
        return None
    here = ", ".join(repr(p) if p else "global" for p in scope.scope.projects or ()) or "this scope"
    places = ", ".join(f"{n} in {'global' if not p else 'project ' + p}" for p, n in list(counts.items())[:5])
    return Message.of(
        f"no {what} in {here}; {places}. Pass ", Argument("project", "*"), " for every project."
    )


async def listing_hint(
    app: App, *, project: str | None = None, kind: str | None = None, tags: Sequence[str] | None = None
) -> Message | None:
    """For an empty listing (recent memories): where memories are instead, if anywhere."""
    flt = build_filter(default_project=app.default_project, project=project, kind=kind, tags=tags)
    return scope_hint(await counts_elsewhere(app, flt), "memories", flt)
