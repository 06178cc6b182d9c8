"""Views of the core memory results: store, search, get, update, delete, recent."""

from __future__ import annotations

from collections.abc import Sequence

from mcp_memory.errors import Message, Operation, Spelling
from mcp_memory.services.memories.changes import DeleteResult, UpdateResult
from mcp_memory.services.memories.conflicts import Conflict
from mcp_memory.services.memories.store import GetResult, Memory, StoreResult
from mcp_memory.services.search.hybrid import SearchResult
from mcp_memory.timeparse import format_time
from mcp_memory.views.models import (
    ConflictOut,
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
    if result.conflicts:
        out.conflicts = conflicts_out(result.conflicts)
        out.notice = conflict_notice(out.id, [c.id for c in out.conflicts])
    if result.superseded:
        out.superseded = list(result.superseded)
    text = (
        f"Stored {out.id}."
        if out.status == "created"
        else f"Already stored as {out.id} (duplicate); tags merged."
    )
    if out.redacted:
        text += f" {out.redacted} secret(s) or private block(s) were replaced by markers."
    if out.superseded:
        text += (
            f" It supersedes {', '.join(out.superseded)}: retired (out of search and context, history "
            "kept; memory_revert brings one back)."
        )
    if out.conflicts:
        text += conflicts_text(out.notice, out.conflicts)
    return out, text


def conflicts_out(conflicts: Sequence[Conflict]) -> list[ConflictOut]:
    return [ConflictOut(id=c.id, content=c.content, created_at=format_time(c.created_at)) for c in conflicts]


def conflicts_text(notice: str | None, conflicts: Sequence[ConflictOut]) -> str:
    """The notice and the contradicted memories, as lines after a result's first line."""
    listed = "\n".join(f"- {c.id} ({(c.created_at or '')[:10]}): {c.content}" for c in conflicts)
    return f"\n{notice}\n{listed}"


def conflict_notice(new_id: str, ids: list[str]) -> str:
    """What the agent is told about stored memories the new one contradicts."""
    older = ", ".join(ids)
    quoted = ", ".join(repr(i) for i in ids)
    return (
        f"{older} state{'s' if len(ids) == 1 else ''} another value for what {new_id} says. If {new_id} "
        f"is the current fact, retire the old one{'s' if len(ids) > 1 else ''}: memory_store the new "
        f"fact with supersedes=[{quoted}] next time, or now memory_update {'them' if len(ids) > 1 else 'it'} "
        f"to the new fact (history is kept). If both still hold, they are about different things: "
        f"say which in {new_id}'s wording."
    )


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
    if result.conflicts:
        out.conflicts = conflicts_out(result.conflicts)
        out.notice = (
            f"{', '.join(c.id for c in out.conflicts)} state another value for what {out.id} now says. If "
            f"{out.id} is current, memory_update or memory_delete the old one (history is kept); if both "
            "hold, they are about different things: say which in the wording."
        )
        text += conflicts_text(out.notice, out.conflicts)
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
