"""Views of the core memory results: store, search, get, update, delete, recent."""

from __future__ import annotations

from mcp_memory.errors import Message, Operation, Spelling
from mcp_memory.services.memories.changes import DeleteResult, UpdateResult
from mcp_memory.services.memories.store import GetResult, Memory, StoreResult
from mcp_memory.services.search.hybrid import SearchResult
from mcp_memory.views.models import (
    DeleteOutput,
    GetOutput,
    RecentOutput,
    SearchOutput,
    StoreOutput,
    UpdateOutput,
    memory_out,
    memory_text,
    search_hit_out,
    structured,
)
from mcp_memory.views.render import as_text, count

__all__ = ["delete_view", "get_view", "recent_view", "search_view", "store_view", "update_view"]


def store_view(result: StoreResult) -> tuple[StoreOutput, str]:
    out = StoreOutput(
        id=result.id,
        status=result.status,
        duplicate_of=result.duplicate_of,
        redacted=result.redacted,
        embedded=result.embedded,
        project=result.project,
    )
    text = (
        f"Stored {out.id}."
        if out.status == "created"
        else f"Already stored as {out.id} (duplicate); tags merged."
    )
    if out.redacted:
        text += f" {out.redacted} secret(s) or private block(s) were replaced by markers."
    return out, text


def search_view(found: SearchResult, query: str, *, spelling: Spelling) -> tuple[SearchOutput, str]:
    """The structured output, and its text written from it (`as_text`: the same fields, so a client
    that shows the model only one of them loses nothing). The notice's hints in `spelling`."""
    hits = [search_hit_out(h) for h in found.hits]
    out = SearchOutput(
        results=hits,
        count=len(hits),
        mode=found.mode,
        mode_used=None if found.mode_used == found.mode else found.mode_used,
        notice=found.notice.spelled(spelling) if found.notice else None,
    )
    return out, as_text(structured(out))


def get_view(result: GetResult, *, include_history: bool) -> tuple[GetOutput, str]:
    out = GetOutput(
        memories=[memory_out(m, with_history=include_history) for m in result.memories],
        missing=list(result.missing),
    )
    parts = [memory_text(m) for m in out.memories]
    if out.missing:
        parts.append(f"Not found: {', '.join(out.missing)}.")
    return out, "\n\n".join(parts) or "Nothing found."


def update_view(result: UpdateResult) -> tuple[UpdateOutput, str]:
    out = UpdateOutput(
        id=result.id,
        version=result.version,
        changed=list(result.changed),
        embedded=result.embedded,
        redacted=result.redacted,
    )
    text = (
        f"Updated {out.id} ({', '.join(out.changed)}); now version {out.version}."
        if out.changed
        else f"{out.id} already had these values; nothing changed."
    )
    return out, text


def delete_view(result: DeleteResult, *, spelling: Spelling) -> tuple[DeleteOutput, str]:
    out = DeleteOutput(
        deleted=result.deleted, deleted_ids=list(result.deleted_ids), missing=list(result.missing)
    )
    back = Message.of(" (", Operation("memory_revert"), " brings one back).").spelled(spelling)
    text = f"Deleted {count(out.deleted, 'memory')}{back}"
    if out.missing:
        text += f" Not found: {', '.join(out.missing)}."
    return out, text


def recent_view(found: list[Memory], hint: Message | None, *, spelling: Spelling) -> tuple[RecentOutput, str]:
    notice = hint.spelled(spelling) if hint else None
    out = RecentOutput(memories=[memory_out(m) for m in found], count=len(found), notice=notice)
    text = "\n\n".join(memory_text(m) for m in out.memories) or (
        f"Note: {notice}" if notice else "No memories yet."
    )
    return out, text
