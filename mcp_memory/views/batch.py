"""Views of batch results: many memories stored, tagged or deleted at once."""

from __future__ import annotations

from pydantic import BaseModel, Field

from mcp_memory.services.memories.batch import BatchItemResult, BulkResult
from mcp_memory.views.memories import conflict_notice, conflicts_out, conflicts_text
from mcp_memory.views.models import BulkOutput, ConflictOut
from mcp_memory.views.render import count

__all__ = ["BatchStoreOutput", "ItemResult", "batch_delete_view", "batch_store_view", "tag_view"]


class ItemResult(BaseModel):
    index: int
    ok: bool
    id: str | None
    status: str | None
    error: str | None
    redacted: int
    superseded: list[str] | None = Field(default=None, description="the older memories it retired")
    conflicts: list[ConflictOut] | None = Field(
        default=None,
        description="stored memories that state another value for what it says (as memory_store's "
        "conflicts; checked for batches of up to 100 items)",
    )


class BatchStoreOutput(BaseModel):
    results: list[ItemResult] = Field(default_factory=list)
    stored: int
    failed: int


def batch_store_view(results: list[BatchItemResult]) -> tuple[BatchStoreOutput, str]:
    out = BatchStoreOutput(
        results=[
            ItemResult(
                index=r.index,
                ok=r.ok,
                id=r.id,
                status=r.status,
                error=r.error,
                redacted=r.redacted,
                superseded=list(r.superseded) or None,
                conflicts=conflicts_out(r.conflicts) or None,
            )
            for r in results
        ],
        stored=sum(r.ok for r in results),
        failed=sum(not r.ok for r in results),
    )
    text = (
        f"Stored {out.stored} of {len(results)}."
        + "".join(f"\nitem {r.index}: {r.error}" for r in out.results if not r.ok)
        + "".join(
            f"\nitem {r.index} ({r.id}) supersedes {', '.join(r.superseded)}."
            for r in out.results
            if r.superseded
        )
    )
    for r in out.results:
        if r.conflicts and r.id:
            notice = conflict_notice(r.id, [c.id for c in r.conflicts])
            text += f"\nitem {r.index} ({r.id}):" + conflicts_text(notice, r.conflicts)
    return out, text


def _bulk_out(r: BulkResult) -> BulkOutput:
    return BulkOutput(dry_run=r.dry_run, count=r.count, sample=list(r.sample), missing=list(r.missing))


def tag_view(r: BulkResult) -> tuple[BulkOutput, str]:
    out = _bulk_out(r).model_copy(update={"dry_run": False})
    text = f"Changed tags on {count(out.count, 'memory')}."
    if out.missing:
        text += f" Not found: {', '.join(out.missing)}."
    return out, text


def batch_delete_view(r: BulkResult) -> tuple[BulkOutput, str]:
    out = _bulk_out(r)
    verb = "Would delete" if out.dry_run else "Deleted"
    return out, f"{verb} {count(out.count, 'memory')}" + (
        f", e.g. {', '.join(out.sample)}." if out.sample else "."
    )
