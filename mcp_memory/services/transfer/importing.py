"""Import: files written by `memory_export` (jsonl) or by the official MCP knowledge-graph server
(server-memory), and (through `notes`) markdown notes and plain JSON lines. A jsonl or server-memory
file is read and parsed whole before anything is written, and written in one transaction.

Every import is idempotent: importing the same file again writes nothing and reports each record as
already present. How a record of an export is recognised (memories by content, or by project,
content and creation time; episodes by project, task and start; the graph by names) is set out in
`restore`, which writes them; the official server's graph goes through `upsert_graph` (entities by
name, relations by both names and type), notes through the memory write (identical content in the
same project is a duplicate). Into an empty database every id is kept; into a non-empty one,
colliding ids are renumbered."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

from mcp_memory.errors import InvalidInput
from mcp_memory.services.app import App
from mcp_memory.services.graph.entities import upsert_graph
from mcp_memory.services.memories.redaction import redact
from mcp_memory.services.memories.store import redact_metadata, redact_tags
from mcp_memory.services.transfer.access import FileAccess, tool_access
from mcp_memory.services.transfer.exporting import FORMAT_VERSION
from mcp_memory.services.transfer.restore import restore_records

__all__ = ["ImportResult", "import_memories", "restore_export"]


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import wrote: memories, entities, relations and episodes (and, from an export,
    versions, links and episode steps); `skipped` memories were not written (already present, or
    for notes refused); `present` counts, per record type, what was already in the store."""

    format: str
    imported: int
    skipped: int
    entities: int
    relations: int
    episodes: int
    problems: tuple[str, ...]
    redacted: int = 0  # secrets (and private blocks) replaced in what was imported
    versions: int = 0
    links: int = 0
    steps: int = 0
    present: Mapping[str, int] = field(default_factory=dict)
    vectors_kept: int = 0  # memories written with the vector the file carried


def _read_lines(source: Path) -> list[tuple[int, dict[str, Any]]]:
    records = []
    with source.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InvalidInput(
                    f"line {number} of {source} is not JSON ({exc.msg}); nothing was imported."
                ) from exc
            if not isinstance(value, dict) or "type" not in value:
                raise InvalidInput(f"line {number} of {source} has no `type`; nothing was imported.")
            records.append((number, value))
    return records


async def import_memories(
    app: App,
    path: str,
    *,
    format: str = "jsonl",
    split: str = "file",
    progress: Callable[[int, int], None] | None = None,
    access: FileAccess | None = None,
) -> ImportResult:
    """Import a file written by `memory_export` (jsonl), the official knowledge-graph server's file
    (server-memory), a folder of markdown notes (markdown; `split` file or heading), or plain JSON lines
    from another tool (plain-jsonl). A jsonl or server-memory file is read whole and checked before
    anything is written; notes and plain lines are stored entry by entry, each refusal reported.
    `access` says what may be read (default: what tools may touch, with their caps)."""
    if format not in ("jsonl", "server-memory", "markdown", "plain-jsonl"):
        raise InvalidInput(
            f"format {format!r} is not valid; use jsonl, server-memory, markdown or plain-jsonl."
        )
    access = access or tool_access(app)
    source = access.read_target(path, folder=format == "markdown")
    if format in ("markdown", "plain-jsonl"):
        from mcp_memory.services.transfer.notes import import_json_lines, import_markdown

        notes = (
            await import_markdown(app, source, access, split=split, progress=progress)
            if format == "markdown"
            else await import_json_lines(app, source, progress=progress)
        )
        return ImportResult(
            format,
            notes.stored,
            notes.duplicates + len(notes.skipped),
            0,
            0,
            0,
            notes.skipped,
            notes.redacted,
            present={"memories": notes.duplicates} if notes.duplicates else {},
        )
    records = await anyio.to_thread.run_sync(_read_lines, source)
    if format == "server-memory":
        # In this format `type` is the record kind; the entity's and relation's own types are
        # entityType and relationType.
        entities = [
            {"name": r.get("name"), "type": r.get("entityType"), "observations": r.get("observations") or []}
            for _, r in records
            if r["type"] == "entity"
        ]
        relations = [
            {"from": r.get("from"), "to": r.get("to"), "type": r.get("relationType")}
            for _, r in records
            if r["type"] == "relation"
        ]
        result = await upsert_graph(app, entities, relations) if entities or relations else None
        created = (result.entities_created, result.relations_created) if result else (0, 0)
        # Entities named only by a relation are created too, so this many at least were present.
        present = {"entities": max(0, len(entities) - created[0]), "relations": len(relations) - created[1]}
        return ImportResult(
            format,
            0,
            len(records) - len(entities) - len(relations),
            created[0],
            created[1],
            0,
            (),
            present={kind: count for kind, count in present.items() if count},
        )
    records, redacted = _scrubbed(app, records)
    return dataclasses.replace(
        await restore_export(app, records, visibility=app.settings.visibility), redacted=redacted
    )


def _scrubbed(
    app: App, records: list[tuple[int, dict[str, Any]]]
) -> tuple[list[tuple[int, dict[str, Any]]], int]:
    """Memory and version records with their content, tags and metadata redacted like any write; a
    memory whose content changed loses its exported vector (it was made from the old text)."""
    out: list[tuple[int, dict[str, Any]]] = []
    total = 0
    for number, record in records:
        if record.get("type") in ("memory", "version") and isinstance(record.get("content"), str):
            changed = dict(record)
            found = redact(record["content"], secrets=app.settings.redact_secrets)
            tags, in_tags = redact_tags(
                app, record.get("tags") if isinstance(record.get("tags"), list) else None
            )
            metadata, in_metadata = redact_metadata(app, record.get("metadata"))
            if found.count:
                changed["content"] = found.text
                changed.pop("vector", None)
            if tags is not None:
                changed["tags"] = tags
            if metadata is not None:
                changed["metadata"] = metadata
            total += found.count + in_tags + in_metadata
            record = changed
        out.append((number, record))
    return out, total


async def restore_export(
    app: App, records: list[tuple[int, dict[str, Any]]], *, visibility: str
) -> ImportResult:
    """Write the numbered records of an `mcp-memory` export (header first) in one transaction; the
    exported vectors are kept when they were made by this store's model. `visibility` is what the
    memories and episodes get on a shared Postgres."""
    header = next((r for _, r in records if r["type"] == "header"), None)
    if header is None or header.get("format") != "mcp-memory":
        raise InvalidInput(
            "this is not an mcp-memory export (no header line); for the knowledge-graph server's "
            "file use format='server-memory'."
        )
    if int(header.get("version", 0)) > FORMAT_VERSION:
        raise InvalidInput("this export was written by a newer mcp-memory; upgrade to import it.")
    info = app.vector_info
    vectors_usable = (
        info is not None
        and header.get("embedding_model") == info.model
        and header.get("embedding_dim") == info.dim
        and not app.mismatch
    )
    now = time.time()
    done = await app.db.write(
        lambda conn: restore_records(
            conn, records, vectors=info if vectors_usable else None, now=now, visibility=visibility
        )
    )
    app.wake_worker()
    added = {kind: tally.added for kind, tally in done.counts.items()}
    return ImportResult(
        "jsonl",
        added["memories"],
        done.counts["memories"].present,
        added["entities"],
        added["relations"],
        added["episodes"],
        tuple(done.problems),
        versions=added["versions"],
        links=added["links"],
        steps=added["steps"],
        present={kind: tally.present for kind, tally in done.counts.items() if tally.present},
        vectors_kept=done.vectors_kept,
    )
