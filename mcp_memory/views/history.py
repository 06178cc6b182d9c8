"""Views of history results: a memory's versions, and a revert."""

from __future__ import annotations

from pydantic import BaseModel, Field

from mcp_memory.services.memories.history import HistoryResult
from mcp_memory.services.memories.store import Memory
from mcp_memory.timeparse import format_time
from mcp_memory.views.models import MemoryBrief, memory_brief

__all__ = ["HistoryOutput", "VersionBrief", "history_view", "revert_view"]


class VersionBrief(BaseModel):
    version: int
    content: str
    tags: list[str] = Field(default_factory=list)
    kind: str
    importance: float
    when: str | None = None
    replaced_by: str
    changed: list[str] = Field(default_factory=list)
    by: str | None = Field(default=None, description="shared database: the member who wrote this version")


class HistoryOutput(BaseModel):
    id: str
    current_version: int
    deleted: bool = False
    versions: list[VersionBrief] = Field(default_factory=list)


def history_view(result: HistoryResult) -> tuple[HistoryOutput, str]:
    out = HistoryOutput(
        id=result.id,
        current_version=result.current_version,
        deleted=result.deleted,
        versions=[
            VersionBrief(
                version=v.version,
                content=v.content,
                tags=list(v.tags),
                kind=v.kind,
                importance=v.importance,
                when=format_time(v.valid_from),
                replaced_by=v.replaced_by,
                changed=list(v.changed),
                by=result.authors.get(v.version),
            )
            for v in result.versions
        ],
    )
    lines = [f"{out.id}: version {out.current_version}" + (" (deleted)" if out.deleted else "")]
    lines += [
        f"v{v.version} {v.when}"
        + (f" by {v.by}" if v.by else "")
        + (f" — replaced by {v.replaced_by} ({', '.join(v.changed)})" if v.replaced_by else " — current")
        + f"\n{v.content}"
        for v in out.versions
    ]
    return out, "\n\n".join(lines)


def revert_view(memory: Memory, version: int) -> tuple[MemoryBrief, str]:
    return memory_brief(
        memory
    ), f"Restored {memory.id} to the content of version {version} (now v{memory.version})."
