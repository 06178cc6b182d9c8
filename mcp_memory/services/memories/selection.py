"""Choosing memories for bulk operations: explicit ids, or a filter (tags, kind, project, time)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from mcp_memory.errors import Argument, InvalidInput
from mcp_memory.limits import MAX_SELECTED, clean_ids
from mcp_memory.services.app import App
from mcp_memory.services.memories.store import parse_id
from mcp_memory.storage.filters import build_filter
from mcp_memory.storage.memories import filtered_ids, known_ids

__all__ = ["FILTER_KEYS", "select_memories"]

FILTER_KEYS = ("tags", "tag_mode", "kind", "project", "since", "until")
#: A filter may match at most this many memories in one call.


async def select_memories(
    app: App,
    *,
    ids: Sequence[str] | None = None,
    flt: Mapping[str, Any] | None = None,
    include_deleted: bool = False,
) -> tuple[list[int], list[str]]:
    """Row ids chosen by `ids` or by `flt` (exactly one), and the given ids that matched nothing.
    A filter must name at least one criterion, so an empty one never selects everything."""
    if (ids is None) == (flt is None):
        raise InvalidInput(
            "give either ids (e.g. ",
            Argument("ids", ["m_12"]),
            ") or a filter (e.g. ",
            Argument("filter", {"tags": ["old"]}),
            "), not both or neither.",
        )
    if ids is not None:
        wanted = clean_ids(ids)
        parsed = {given: parse_id(given) for given in wanted}
        known = [p for p in parsed.values() if p is not None]
        found = await known_ids(app.db, known, include_deleted=include_deleted)
        missing = [given for given, rowid in parsed.items() if rowid not in found]
        return [p for p in parsed.values() if p in found], missing
    assert flt is not None
    unknown = set(flt) - set(FILTER_KEYS)
    if unknown:
        raise InvalidInput(f"unknown filter field(s) {sorted(unknown)}; use {', '.join(FILTER_KEYS)}.")
    if not any(flt.get(k) for k in FILTER_KEYS if k != "tag_mode"):
        raise InvalidInput("the filter is empty; name at least one of tags, kind, project, since, until.")
    built = build_filter(
        default_project=app.default_project,
        project=flt.get("project"),
        kind=flt.get("kind"),
        tags=flt.get("tags"),
        tag_mode=flt.get("tag_mode") or "any",
        since=flt.get("since"),
        until=flt.get("until"),
    )
    built = replace(built, include_deleted=include_deleted, include_archived=True)
    chosen = await filtered_ids(app.db, built, MAX_SELECTED + 1)
    if len(chosen) > MAX_SELECTED:
        raise InvalidInput(f"the filter matches more than {MAX_SELECTED:,} memories; narrow it.")
    return chosen, []
