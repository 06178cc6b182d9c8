"""The shapes of memories and search results as tools return them (their output schemas) and as
`--json` prints them, with the converters from service results."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from mcp_memory.previews import cut_at
from mcp_memory.services.memories.store import Memory, MemoryVersion
from mcp_memory.services.search.hybrid import SearchHit
from mcp_memory.timeparse import format_time

__all__ = [
    "BulkOutput",
    "CheckOut",
    "ConflictOut",
    "DeleteOutput",
    "GetOutput",
    "MemoriesOutput",
    "MemoryBrief",
    "MemoryOut",
    "RecentOutput",
    "SearchHitOut",
    "SearchOutput",
    "StoreOutput",
    "UpdateOutput",
    "VersionOut",
    "memory_brief",
    "memory_out",
    "memory_text",
    "pin_view",
    "pins_view",
    "search_hit_out",
    "structured",
]


def structured(output: BaseModel) -> dict[str, Any]:
    """The structured content a caller receives: fields at their default (null, false, 0, empty) are
    left out, so a model reads only what carries information. Every field that can be left out has a
    default, so the result stays valid against the output schema."""
    return output.model_dump(mode="json", exclude_defaults=True)


#: Search results show at most this much of each memory; memory_get returns it whole.
SNIPPET_CHARS = 2000


class VersionOut(BaseModel):
    version: int
    content: str
    tags: list[str] = Field(default_factory=list)
    kind: str
    importance: float
    metadata: dict[str, Any] = Field(default_factory=dict)
    valid_from: str | None = None
    replaced_at: str | None = None
    replaced_by: str = Field(description="update, merge or delete: what replaced this version")
    changed: list[str] = Field(default_factory=list, description="fields the replacing version changed")
    changed_by: str | None = Field(
        default=None, description="shared database: the member whose change replaced this version"
    )


class MemoryOut(BaseModel):
    id: str
    content: str
    tags: list[str] = Field(default_factory=list)
    kind: str
    importance: float
    project: str | None = Field(default=None, description="absent for a global memory")
    pinned: bool = False
    metadata: dict[str, Any] = Field(default_factory=dict)
    created_at: str | None = None
    updated_at: str | None = None
    last_accessed_at: str | None = None
    access_count: int = 0
    expires_at: str | None = None
    version: int
    embedded: bool = Field(
        default=True, description="whether the memory has its vector yet (false briefly after start)"
    )
    history: list[VersionOut] | None = None
    visibility: str | None = Field(
        default=None, description="shared database: team (every member) or private (its owner alone)"
    )
    created_by: str | None = Field(default=None, description="shared database: the member who stored it")
    updated_by: str | None = Field(
        default=None, description="shared database: the member who changed it last"
    )
    superseded_by: str | None = Field(
        default=None,
        description="the newer memory that retired this one (supersedes); memory_revert brings it back",
    )


class SearchHitOut(BaseModel):
    id: str
    content: str
    truncated: bool = Field(
        default=False, description="content was cut to 2,000 characters; memory_get returns all of it"
    )
    tags: list[str] = Field(default_factory=list)
    kind: str
    project: str | None = None
    relevance: float = Field(
        description="0-1, the same scale for every query: about 0.3 weak, 0.7 and above strong"
    )
    created_at: str | None = None
    why: list[str] = Field(
        default_factory=list,
        description="the signals that matched: the query's words it holds, its similarity, session context",
    )
    superseded_by: str | None = Field(
        default=None, description="retired by this newer memory (shown with include_superseded)"
    )
    outdated_by: str | None = Field(
        default=None,
        description="a newer result states another value for the same thing: that one is current",
    )
    visibility: str | None = Field(
        default=None, description="shared database: team (every member) or private (its owner alone)"
    )
    created_by: str | None = Field(default=None, description="shared database: the member who stored it")


class ConflictOut(BaseModel):
    """A stored memory that states another value for the fact a new memory states."""

    id: str
    content: str
    created_at: str | None = None


class StoreOutput(BaseModel):
    id: str
    status: Literal["created", "duplicate", "merged"]
    duplicate_of: str | None = None
    redacted: int = Field(default=0, description="secrets replaced by [REDACTED:kind] markers before storing")
    embedded: bool = Field(
        default=True, description="false when the model was still loading: the vector follows shortly"
    )
    project: str | None = None
    conflicts: list[ConflictOut] | None = Field(
        default=None,
        description="stored memories about the same thing that state another value (an older port, "
        "day, version): retire them with supersedes or correct them with memory_update",
    )
    notice: str | None = Field(default=None, description="what to do about the conflicts")
    superseded: list[str] | None = Field(
        default=None, description="the older memories it retired (supersedes): out of search, history kept"
    )


class SearchOutput(BaseModel):
    results: list[SearchHitOut] = Field(default_factory=list)
    count: int
    mode: str = "hybrid"
    mode_used: str | None = Field(
        default=None,
        description="present when it differs from mode: keyword when semantic search was not available",
    )
    notice: str | None = Field(
        default=None, description="why the answer is empty or answered differently, and what to do"
    )


class GetOutput(BaseModel):
    memories: list[MemoryOut] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)


class UpdateOutput(BaseModel):
    id: str
    version: int
    changed: list[str] = Field(default_factory=list)
    embedded: bool = True
    redacted: int = 0
    conflicts: list[ConflictOut] | None = Field(
        default=None, description="other stored memories about the same thing that state another value"
    )
    notice: str | None = Field(default=None, description="what to do about the conflicts")


class DeleteOutput(BaseModel):
    deleted: int
    deleted_ids: list[str] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)


class RecentOutput(BaseModel):
    memories: list[MemoryOut] = Field(default_factory=list)
    count: int
    notice: str | None = Field(default=None, description="When empty: where memories are instead.")


def _version_out(v: MemoryVersion) -> VersionOut:
    return VersionOut(
        version=v.version,
        content=v.content,
        tags=list(v.tags),
        kind=v.kind,
        importance=v.importance,
        metadata=v.metadata,
        valid_from=format_time(v.valid_from),
        replaced_at=format_time(v.replaced_at),
        replaced_by=v.replaced_by,
        changed=list(v.changed),
        changed_by=v.changed_by,
    )


def memory_out(m: Memory, *, with_history: bool = False) -> MemoryOut:
    return MemoryOut(
        id=m.id,
        content=m.content,
        tags=list(m.tags),
        kind=m.kind,
        importance=m.importance,
        project=m.project,
        pinned=m.pinned,
        metadata=m.metadata,
        created_at=format_time(m.created_at),
        updated_at=format_time(m.updated_at),
        last_accessed_at=format_time(m.last_accessed_at),
        access_count=m.access_count,
        expires_at=format_time(m.expires_at),
        version=m.version,
        embedded=m.embedded,
        history=[_version_out(v) for v in m.history] if with_history else None,
        visibility=m.visibility,
        created_by=m.created_by,
        updated_by=m.updated_by,
        superseded_by=m.superseded_by,
    )


def search_hit_out(hit: SearchHit) -> SearchHitOut:
    m = hit.memory
    cut = len(m.content) > SNIPPET_CHARS
    return SearchHitOut(
        id=m.id,
        content=m.content[: cut_at(m.content, SNIPPET_CHARS)] + ("…" if cut else ""),
        truncated=cut,
        tags=list(m.tags),
        kind=m.kind,
        project=m.project,
        relevance=hit.relevance,
        created_at=format_time(m.created_at),
        why=list(hit.why),
        superseded_by=m.superseded_by,
        outdated_by=hit.outdated_by,
        visibility=m.visibility,
        created_by=m.created_by,
    )


def memory_text(m: MemoryOut | SearchHitOut | MemoryBrief, *, prefix: str = "") -> str:
    """One memory as a short readable block."""
    tags = f" #{' #'.join(m.tags)}" if m.tags else ""
    when = (m.created_at or "")[:10]
    head = f"{prefix}[{m.id}] {m.kind} {when}{tags}"
    if m.project:
        head += f" (project {m.project})"
    if by := getattr(m, "superseded_by", None):
        head += f" (superseded by {by}: retired, no longer current)"
    if by := getattr(m, "outdated_by", None):
        head += f" (outdated: {by} states a newer value for this; trust {by})"
    return f"{head}\n{m.content}"


class MemoryBrief(BaseModel):
    """A memory in a list: enough to decide whether to memory_get it."""

    id: str
    content: str
    tags: list[str] = Field(default_factory=list)
    kind: str
    importance: float
    project: str | None = None
    pinned: bool = False
    created_at: str | None = None


def memory_brief(m: Memory) -> MemoryBrief:
    cut = len(m.content) > SNIPPET_CHARS
    return MemoryBrief(
        id=m.id,
        content=m.content[: cut_at(m.content, SNIPPET_CHARS)] + ("…" if cut else ""),
        tags=list(m.tags),
        kind=m.kind,
        importance=m.importance,
        project=m.project,
        pinned=m.pinned,
        created_at=format_time(m.created_at),
    )


class MemoriesOutput(BaseModel):
    memories: list[MemoryBrief] = Field(default_factory=list)
    count: int


class BulkOutput(BaseModel):
    dry_run: bool = False
    count: int
    sample: list[str] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)


class CheckOut(BaseModel):
    name: str
    ok: bool = True
    detail: str
    fix: str
    warning: bool = Field(default=False, description="Passing, but worth acting on (see fix).")


def pins_view(found: list[Memory]) -> tuple[MemoriesOutput, str]:
    """Pinned memories, each with its pin note."""
    out = MemoriesOutput(memories=[memory_brief(m) for m in found], count=len(found))
    return out, "\n\n".join(memory_text(m) for m in out.memories) or "No pinned memories."


def pin_view(memory: Memory) -> tuple[MemoryBrief, str]:
    """A memory just pinned or unpinned."""
    return memory_brief(memory), f"{'Pinned' if memory.pinned else 'Unpinned'} {memory.id}."
