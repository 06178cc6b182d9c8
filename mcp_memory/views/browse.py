"""Views of browsing results: similar memories, the timeline, a context block."""

from __future__ import annotations

from pydantic import BaseModel, Field

from mcp_memory.previews import preview
from mcp_memory.services.search.browse import TimelineBucket
from mcp_memory.services.search.context import ContextResult
from mcp_memory.services.search.hybrid import SearchHit
from mcp_memory.views.models import MemoryBrief, SearchOutput, memory_brief, search_hit_out, structured
from mcp_memory.views.render import as_text

__all__ = ["Bucket", "ContextOutput", "TimelineOutput", "context_view", "similar_view", "timeline_view"]


class Bucket(BaseModel):
    start: str
    count: int
    top: list[MemoryBrief]


class TimelineOutput(BaseModel):
    buckets: list[Bucket] = Field(default_factory=list)


class ContextOutput(BaseModel):
    text: str
    ids: list[str] = Field(default_factory=list)
    episodes: list[str] = Field(default_factory=list)
    tokens: int
    budget: int


def similar_view(hits: list[SearchHit]) -> tuple[SearchOutput, str]:
    results = [search_hit_out(h) for h in hits]
    out = SearchOutput(
        results=results,
        count=len(results),
        mode="semantic",
        notice=None if results else "no other memory is similar enough (relevance under the floor).",
    )
    return out, as_text(structured(out))


def timeline_view(buckets: list[TimelineBucket]) -> tuple[TimelineOutput, str]:
    out = TimelineOutput(
        buckets=[Bucket(start=b.start, count=b.count, top=[memory_brief(m) for m in b.top]) for b in buckets]
    )
    lines = [
        f"{b.start}: {b.count} — " + "; ".join(f"[{m.id}] {preview(m.content, 80)}" for m in b.top)
        for b in out.buckets
    ]
    return out, "\n".join(lines) or "No memories in that range."


def context_view(r: ContextResult) -> tuple[ContextOutput, str]:
    out = ContextOutput(
        text=r.text, ids=list(r.ids), episodes=list(r.episodes), tokens=r.tokens, budget=r.budget
    )
    return out, r.text or "Nothing stored yet."
