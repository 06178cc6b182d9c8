"""The filters shared by search and listings (project scope, kind, tags, time), as SQL over `memories`."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from mcp_memory.errors import InvalidInput
from mcp_memory.limits import clean_kind, clean_tags
from mcp_memory.projects import ProjectScope, scope_for
from mcp_memory.storage.ids import live
from mcp_memory.timeparse import parse_time

__all__ = ["MemoryFilter", "TagMode", "build_filter"]

TagMode = Literal["any", "all"]


@dataclass(frozen=True, slots=True)
class MemoryFilter:
    """Which live memories a read may return."""

    scope: ProjectScope
    kind: str | None = None
    tags: tuple[str, ...] = ()
    tag_mode: TagMode = "any"
    since: float | None = None
    until: float | None = None
    include_archived: bool = False
    include_deleted: bool = False
    #: Keep the memories a newer one retired (`supersedes`), though not other archived ones.
    include_superseded: bool = False

    def sql(self, alias: str = "m") -> tuple[str, list[Any]]:
        """A WHERE clause over `memories AS alias` and its parameters; excludes deleted and expired."""
        clauses: list[str] = []
        params: list[Any] = []
        if not self.include_deleted:
            clauses += [
                live(alias),
                f"({alias}.expires_at IS NULL OR {alias}.expires_at > ?)",
            ]
            params.append(time.time())
        if self.include_superseded and not self.include_archived:
            clauses.append(f"({alias}.archived_at IS NULL OR {alias}.superseded_by IS NOT NULL)")
        elif not self.include_archived:
            clauses.append(f"{alias}.archived_at IS NULL")
        shared, shared_params = self._scope_clauses(f"{alias}.")
        clauses += shared
        params += shared_params
        if self.tags:
            marks = ", ".join("?" * len(self.tags))
            if self.tag_mode == "all" and len(self.tags) > 1:
                clauses.append(
                    f"{alias}.id IN (SELECT memory_id FROM memory_tags WHERE tag IN ({marks}) "
                    "GROUP BY memory_id HAVING count(*) = ?)"
                )
                params.extend([*self.tags, len(self.tags)])
            else:
                clauses.append(f"{alias}.id IN (SELECT memory_id FROM memory_tags WHERE tag IN ({marks}))")
                params.extend(self.tags)
        return " AND ".join(clauses) or "1 = 1", params

    def _scope_clauses(self, prefix: str) -> tuple[list[str], list[Any]]:
        """Project, kind and time clauses (the columns the vector table repeats for its first stage)."""
        clauses: list[str] = []
        params: list[Any] = []
        if self.scope.projects is not None:
            clauses.append(f"{prefix}project IN ({', '.join('?' * len(self.scope.projects))})")
            params.extend(self.scope.projects)
        if self.kind is not None:
            clauses.append(f"{prefix}kind = ?")
            params.append(self.kind)
        if self.since is not None:
            clauses.append(f"{prefix}created_at >= ?")
            params.append(self.since)
        if self.until is not None:
            clauses.append(f"{prefix}created_at < ?")
            params.append(self.until)
        return clauses, params


def build_filter(
    *,
    default_project: str,
    project: str | None = None,
    kind: str | None = None,
    tags: Sequence[str] | None = None,
    tag_mode: str = "any",
    since: str | None = None,
    until: str | None = None,
) -> MemoryFilter:
    """Validate and combine filter arguments as tools and CLI receive them."""
    if tag_mode not in ("any", "all"):
        raise InvalidInput(f"tag_mode {tag_mode!r} is not valid; use 'any' or 'all'.")
    start = parse_time(since) if since else None
    end = parse_time(until, end=True) if until else None
    if start is not None and end is not None and start >= end:
        raise InvalidInput(
            f"since ({since!r}) is not before until ({until!r}); swap them or widen the range."
        )
    return MemoryFilter(
        scope=scope_for(project, default_project),
        kind=clean_kind(kind) if kind else None,
        tags=tuple(clean_tags(tags)),
        tag_mode="all" if tag_mode == "all" else "any",
        since=start,
        until=end,
    )
