"""Export: everything in the database to a file, as jsonl (lossless: memories with ids, timestamps,
tags, metadata, pins, deletion and archive state; versions; the knowledge graph and memory links;
episodes with steps; lifecycle rules; optionally vectors) or markdown (for reading).

Files are written 0600, where `access` allows (see `access`: through tools only inside the user's
folders, relative paths in the data directory's `exports/`), never over an existing file unless asked.
Markdown quotes every stored line (`> `), so no stored text becomes a line of its own in the file.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

from mcp_memory.errors import InvalidInput
from mcp_memory.services.app import App
from mcp_memory.services.episodes.record import format_episode_id
from mcp_memory.services.transfer.access import FileAccess, tool_access
from mcp_memory.storage.consolidation import read_rules
from mcp_memory.storage.ids import format_id
from mcp_memory.storage.query import QuerySource
from mcp_memory.storage.transfer_rows import (
    all_entities,
    all_episodes,
    all_links,
    all_memories,
    all_observations,
    all_relations,
    all_steps,
    all_tags,
    all_versions,
)
from mcp_memory.storage.vectors import VectorIndexInfo, all_vectors

__all__ = [
    "FORMAT_VERSION",
    "ExportResult",
    "export_memories",
    "export_records",
    "iso_time",
    "parse_iso_time",
]

FORMAT_VERSION = 1


def iso_time(epoch: float | None) -> str | None:
    """ISO 8601 UTC to the microsecond: exact enough to round-trip a stored time."""
    if epoch is None:
        return None
    return (
        datetime.fromtimestamp(epoch, tz=timezone.utc)
        .isoformat(timespec="microseconds")
        .replace("+00:00", "Z")
    )


def parse_iso_time(text: str | None) -> float | None:
    if text is None:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _write_private(target: Path, body: str) -> None:
    """Write `body` to a 0600 temporary file beside `target`, then rename it into place."""
    if not target.parent.exists():
        target.parent.mkdir(parents=True, mode=0o700)  # the exports folder (others must exist)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(body)
    os.replace(temporary, target)


@dataclass(frozen=True, slots=True)
class ExportResult:
    path: str
    format: str
    memories: int
    versions: int
    entities: int
    relations: int
    episodes: int
    bytes: int


def _header(app: App, *, include_vectors: bool) -> dict[str, Any]:
    info = app.vector_info if include_vectors else None
    return {
        "type": "header",
        "format": "mcp-memory",
        "version": FORMAT_VERSION,
        "embedding_model": info.model if info else None,
        "embedding_dim": info.dim if info else None,
    }


async def _memory_records(
    source: QuerySource, info: VectorIndexInfo | None, *, include_vectors: bool
) -> list[dict[str, Any]]:
    """Every memory, deleted and archived ones included, with its tags (and vector, if asked)."""
    tags = await all_tags(source)
    vectors = await all_vectors(source, info.table) if include_vectors and info is not None else {}
    records = []
    for r in await all_memories(source):
        rowid = int(r["id"])
        record: dict[str, Any] = {
            "type": "memory",
            "id": format_id(rowid),
            "content": r["content"],
            "tags": tags.get(rowid, []),
            "kind": r["kind"],
            "importance": r["importance"],
            "metadata": json.loads(r["metadata"]),
            "project": r["project"],
            "pinned": bool(r["pinned"]),
            "pin_note": r["pin_note"],
            "created_at": iso_time(r["created_at"]),
            "updated_at": iso_time(r["updated_at"]),
            "last_accessed_at": iso_time(r["last_accessed_at"]),
            "access_count": r["access_count"],
            "expires_at": iso_time(r["expires_at"]),
            "deleted_at": iso_time(r["deleted_at"]),
            "archived_at": iso_time(r["archived_at"]),
            "version": r["version"],
        }
        if r["superseded_by"] is not None:
            record["superseded_by"] = format_id(int(r["superseded_by"]))
        if rowid in vectors:
            record["vector"] = base64.b64encode(vectors[rowid]).decode()
        records.append(record)
    return records


async def _version_records(source: QuerySource) -> list[dict[str, Any]]:
    return [
        {
            "type": "version",
            "memory_id": format_id(int(r["memory_id"])),
            "version": r["version"],
            "content": r["content"],
            "tags": json.loads(r["tags"]),
            "kind": r["kind"],
            "importance": r["importance"],
            "metadata": json.loads(r["metadata"]),
            "valid_from": iso_time(r["valid_from"]),
            "replaced_at": iso_time(r["replaced_at"]),
            "replaced_by": r["replaced_by"],
            "changed": json.loads(r["changed"]),
        }
        for r in await all_versions(source)
    ]


async def _graph_records(source: QuerySource) -> list[dict[str, Any]]:
    """Entities with their observations, then relations, then links from memories, by name."""
    observations = await all_observations(source)
    names: dict[int, str] = {}
    records: list[dict[str, Any]] = []
    for r in await all_entities(source):
        names[int(r["id"])] = str(r["name"])
        records.append(
            {
                "type": "entity",
                "name": r["name"],
                "entityType": r["type"],
                "observations": observations.get(int(r["id"]), []),
                "created_at": iso_time(r["created_at"]),
                "updated_at": iso_time(r["updated_at"]),
            }
        )
    records += [
        {
            "type": "relation",
            "from": names[start],
            "to": names[target],
            "relationType": type_,
            "created_at": iso_time(created_at),
        }
        for start, type_, target, created_at in await all_relations(source)
    ]
    records += [
        {"type": "link", "memory_id": format_id(memory), "entity": names[entity]}
        for memory, entity in await all_links(source)
    ]
    return records


def _step_record(s: Any) -> dict[str, Any]:
    return {
        "step": s["step"],
        "action": s["action"],
        "result": s["result"],
        "ok": None if s["ok"] is None else bool(s["ok"]),
        "files": json.loads(s["files"]),
        "created_at": iso_time(s["created_at"]),
    }


async def _episode_records(source: QuerySource) -> list[dict[str, Any]]:
    steps = await all_steps(source)
    return [
        {
            "type": "episode",
            "id": format_episode_id(int(r["id"])),
            "task": r["task"],
            "context": r["context"],
            "preconditions": json.loads(r["preconditions"]),
            "project": r["project"],
            "tags": json.loads(r["tags"]),
            "outcome": r["outcome"],
            "reward": r["reward"],
            "lesson": r["lesson"],
            "reflection": r["reflection"],
            "lesson_memory_id": format_id(int(r["lesson_memory_id"])) if r["lesson_memory_id"] else None,
            "started_at": iso_time(r["started_at"]),
            "completed_at": iso_time(r["completed_at"]),
            "steps": [_step_record(s) for s in steps.get(int(r["id"]), [])],
        }
        for r in await all_episodes(source)
    ]


async def _rule_records(source: QuerySource) -> list[dict[str, Any]]:
    return [
        {
            "type": "lifecycle_rule",
            "action": rule.action,
            "older_than_days": rule.older_than_days,
            "kind": rule.kind,
            "tag": rule.tag,
            "project": rule.project,
            "importance_below": rule.importance_below,
        }
        for rule in await read_rules(source)
    ]


async def export_records(app: App, *, include_vectors: bool) -> list[dict[str, Any]]:
    """Every record of an export, in the order an import restores them, read in one snapshot (what
    other writers commit meanwhile is in all of the tables or in none)."""
    info = app.vector_info

    async def reads(source: QuerySource) -> list[dict[str, Any]]:
        return [
            *await _memory_records(source, info, include_vectors=include_vectors),
            *await _version_records(source),
            *await _graph_records(source),
            *await _episode_records(source),
            *await _rule_records(source),
        ]

    return [_header(app, include_vectors=include_vectors), *await app.db.read_snapshot(reads)]


def _quoted(text: str) -> str:
    """Stored text as a markdown block quote: every line starts with `> `, so nothing stored (a key,
    a shell line) stands as a line of its own in the exported file."""
    return "\n".join(f"> {line}".rstrip() for line in text.splitlines() or [""])


def _flat(text: str) -> str:
    """Stored text on one line (graph names, observations, tasks: list items and headings)."""
    return " ".join(text.split())


def _markdown(records: list[dict[str, Any]]) -> str:
    lines = ["# mcp-memory export", ""]
    memories = [r for r in records if r["type"] == "memory" and not r["deleted_at"]]
    by_project: dict[str, list[dict[str, Any]]] = {}
    for r in memories:
        by_project.setdefault(r["project"] or "(global)", []).append(r)
    for project in sorted(by_project):
        lines += [f"## {project}", ""]
        for r in by_project[project]:
            tags = " ".join(f"#{t}" for t in r["tags"])
            pin = " 📌" if r["pinned"] else ""
            lines += [
                f"### {r['id']} · {r['kind']} · {(r['created_at'] or '')[:10]}{pin} {tags}".rstrip(),
                "",
                _quoted(r["content"]),
                "",
            ]
    entities = [r for r in records if r["type"] == "entity"]
    if entities:
        lines += ["## Knowledge graph", ""]
        for e in entities:
            lines.append(
                f"- **{_flat(e['name'])}** ({_flat(e['entityType'])})"
                + "".join(f"\n  - {_flat(o)}" for o in e["observations"])
            )
        lines += [
            f"- {_flat(r['from'])} —{_flat(r['relationType'])}→ {_flat(r['to'])}"
            for r in records
            if r["type"] == "relation"
        ]
        lines.append("")
    episodes = [r for r in records if r["type"] == "episode"]
    if episodes:
        lines += ["## Episodes", ""]
        for e in episodes:
            lines += [
                f"### {e['id']} · {e['outcome'] or 'open'} · {_flat(e['task'])}",
                "",
                _quoted(e["reflection"] or "(not completed)"),
                "",
            ]
    return "\n".join(lines)


async def export_memories(
    app: App,
    path: str,
    *,
    format: str = "jsonl",
    include_vectors: bool = False,
    overwrite: bool = False,
    access: FileAccess | None = None,
) -> ExportResult:
    """Write everything to `path` as jsonl (lossless) or markdown (for reading). The file is 0600.
    `access` says where (default: what tools may touch)."""
    if format not in ("jsonl", "markdown"):
        raise InvalidInput(f"format {format!r} is not valid; use jsonl (lossless) or markdown (readable).")
    target = (access or tool_access(app)).write_target(path, overwrite=overwrite)
    records = await export_records(app, include_vectors=include_vectors)
    if format == "jsonl":
        body = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in records)
    else:
        body = _markdown(records)
    try:
        await anyio.to_thread.run_sync(_write_private, target, body)
    except OSError as exc:
        raise InvalidInput(f"cannot write {target}: {exc.strerror or exc}; choose another path.") from exc
    count = {
        kind: sum(1 for r in records if r["type"] == kind)
        for kind in ("memory", "version", "entity", "relation", "episode")
    }
    return ExportResult(
        str(target),
        format,
        count["memory"],
        count["version"],
        count["entity"],
        count["relation"],
        count["episode"],
        len(body.encode()),
    )
