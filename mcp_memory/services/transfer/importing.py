"""Import: files written by `memory_export` (jsonl) or by the official MCP knowledge-graph server
(server-memory). A file is read and parsed whole before anything is written, and written in one
transaction. Importing into an empty database keeps every id; into a non-empty one, colliding ids are
renumbered and memories identical to stored ones are skipped."""

from __future__ import annotations

import base64
import dataclasses
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

from mcp_memory.errors import InvalidInput
from mcp_memory.services.app import App
from mcp_memory.services.graph.entities import upsert_graph
from mcp_memory.services.memories.redaction import redact
from mcp_memory.services.memories.store import content_hash, redact_metadata, redact_tags, sync_keyword_index
from mcp_memory.services.transfer.access import FileAccess, tool_access
from mcp_memory.services.transfer.exporting import FORMAT_VERSION
from mcp_memory.services.transfer.exporting import parse_iso_time as _epoch
from mcp_memory.storage.query import Transaction
from mcp_memory.storage.vectors import write_vectors

__all__ = ["ImportResult", "import_memories"]


@dataclass(frozen=True, slots=True)
class ImportResult:
    format: str
    imported: int
    skipped: int
    entities: int
    relations: int
    episodes: int
    problems: tuple[str, ...]
    redacted: int = 0  # secrets (and private blocks) replaced in what was imported


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
        skipped = len(records) - len(entities) - len(relations)
        return ImportResult(
            format,
            0,
            skipped,
            result.entities_created if result else 0,
            result.relations_created if result else 0,
            0,
            (),
        )
    records, redacted = _scrubbed(app, records)
    return dataclasses.replace(await _import_jsonl(app, records), redacted=redacted)


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


async def _import_jsonl(app: App, records: list[tuple[int, dict[str, Any]]]) -> ImportResult:
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

    async def work(conn: Transaction) -> ImportResult:
        remap: dict[str, int] = {}
        imported = skipped = 0
        problems: list[str] = []
        vector_rows: list[tuple[int, bytes, str, str, float]] = []
        for number, r in records:
            if r["type"] != "memory":
                continue
            old_id = int(str(r["id"])[2:])
            digest = content_hash(r["content"])
            project = r.get("project") or ""
            existing = list(
                await conn.execute_fetchall(
                    "SELECT id FROM memories WHERE project = ? AND content_hash = ? AND deleted_at IS NULL",
                    (project, digest),
                )
            )
            if existing and r.get("deleted_at") is None:
                remap[r["id"]] = int(existing[0][0])
                skipped += 1
                continue
            taken = list(await conn.execute_fetchall("SELECT 1 FROM memories WHERE id = ?", (old_id,)))
            values = (
                r["content"],
                digest,
                r.get("kind") or "note",
                float(r.get("importance", 0.5)),
                json.dumps(
                    r.get("metadata") or {}, ensure_ascii=False, separators=(",", ":"), sort_keys=True
                ),
                project,
                int(bool(r.get("pinned"))),
                r.get("pin_note"),
                _epoch(r.get("created_at")) or now,
                _epoch(r.get("updated_at")) or now,
                _epoch(r.get("last_accessed_at")),
                int(r.get("access_count", 0)),
                _epoch(r.get("expires_at")),
                _epoch(r.get("deleted_at")),
                _epoch(r.get("archived_at")),
                int(r.get("version", 1)),
            )
            columns = (
                "content, content_hash, kind, importance, metadata, project, pinned, pin_note, created_at, "
                "updated_at, last_accessed_at, access_count, expires_at, deleted_at, archived_at, version"
            )
            if taken:
                cursor = await conn.execute(
                    f"INSERT INTO memories({columns}) VALUES ({', '.join('?' * 16)})", values
                )
            else:
                cursor = await conn.execute(
                    f"INSERT INTO memories(id, {columns}) VALUES (?, {', '.join('?' * 16)})",
                    (old_id, *values),
                )
            assert cursor.lastrowid is not None
            rowid = int(cursor.lastrowid)
            remap[r["id"]] = rowid
            await conn.executemany(
                "INSERT OR IGNORE INTO memory_tags(memory_id, tag) VALUES (?, ?)",
                [(rowid, t) for t in r.get("tags") or []],
            )
            if r.get("deleted_at") is None:
                await sync_keyword_index(conn, rowid)
                blob = base64.b64decode(r["vector"]) if r.get("vector") and vectors_usable else None
                if blob is not None:
                    vector_rows.append((rowid, blob, project, values[2], values[8]))
            imported += 1
            if not 0 <= values[3] <= 1:
                problems.append(f"line {number}: importance out of range")
        if vector_rows and info is not None:
            await write_vectors(conn, info, vector_rows)
        for _, r in records:
            if r["type"] == "version" and r["memory_id"] in remap:
                await conn.execute(
                    "INSERT OR IGNORE INTO memory_versions(memory_id, version, content, tags, kind, importance, metadata, "
                    "valid_from, replaced_at, replaced_by, changed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        remap[r["memory_id"]],
                        r["version"],
                        r["content"],
                        json.dumps(r["tags"]),
                        r["kind"],
                        r["importance"],
                        json.dumps(r["metadata"], ensure_ascii=False, separators=(",", ":"), sort_keys=True),
                        _epoch(r["valid_from"]),
                        _epoch(r["replaced_at"]),
                        r["replaced_by"],
                        json.dumps(r["changed"]),
                    ),
                )
        entity_ids: dict[str, int] = {}
        entities = relations = episodes = 0
        for _, r in records:
            if r["type"] == "entity":
                rows = list(
                    await conn.execute_fetchall("SELECT id FROM entities WHERE name = ?", (r["name"],))
                )
                if rows:
                    entity_id = int(rows[0][0])
                else:
                    cursor = await conn.execute(
                        "INSERT INTO entities(name, type, created_at, updated_at) VALUES (?, ?, ?, ?)",
                        (
                            r["name"],
                            r.get("entityType") or "unknown",
                            _epoch(r.get("created_at")) or now,
                            _epoch(r.get("updated_at")) or now,
                        ),
                    )
                    assert cursor.lastrowid is not None
                    entity_id = int(cursor.lastrowid)
                    entities += 1
                entity_ids[r["name"]] = entity_id
                for offset, observation in enumerate(r.get("observations") or []):
                    await conn.execute(
                        "INSERT OR IGNORE INTO observations(entity_id, content, created_at) VALUES (?, ?, ?)",
                        (entity_id, observation, (_epoch(r.get("created_at")) or now) + offset * 1e-6),
                    )
        for _, r in records:
            if r["type"] == "relation" and r["from"] in entity_ids and r["to"] in entity_ids:
                cursor = await conn.execute(
                    "INSERT OR IGNORE INTO relations(from_id, type, to_id, created_at) VALUES (?, ?, ?, ?)",
                    (
                        entity_ids[r["from"]],
                        r["relationType"],
                        entity_ids[r["to"]],
                        _epoch(r.get("created_at")) or now,
                    ),
                )
                relations += cursor.rowcount
            elif r["type"] == "link" and r["memory_id"] in remap and r["entity"] in entity_ids:
                await conn.execute(
                    "INSERT OR IGNORE INTO memory_entities(memory_id, entity_id) VALUES (?, ?)",
                    (remap[r["memory_id"]], entity_ids[r["entity"]]),
                )
        for _, r in records:
            if r["type"] != "episode":
                continue
            old = int(str(r["id"])[2:])
            taken = list(await conn.execute_fetchall("SELECT 1 FROM episodes WHERE id = ?", (old,)))
            episode_values = (
                r["task"],
                r.get("context") or "",
                json.dumps(r.get("preconditions") or []),
                r.get("project") or "",
                json.dumps(r.get("tags") or []),
                r.get("outcome"),
                r.get("reward"),
                r.get("lesson"),
                r.get("reflection"),
                remap.get(r.get("lesson_memory_id") or ""),
                _epoch(r["started_at"]) or now,
                _epoch(r.get("completed_at")),
            )
            columns = (
                "task, context, preconditions, project, tags, outcome, reward, lesson, reflection, "
                "lesson_memory_id, started_at, completed_at"
            )
            if taken:
                cursor = await conn.execute(
                    f"INSERT INTO episodes({columns}) VALUES ({', '.join('?' * 12)})", episode_values
                )
            else:
                cursor = await conn.execute(
                    f"INSERT INTO episodes(id, {columns}) VALUES (?, {', '.join('?' * 12)})",
                    (old, *episode_values),
                )
            assert cursor.lastrowid is not None
            await conn.executemany(
                "INSERT INTO episode_steps(episode_id, step, action, result, ok, files, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        cursor.lastrowid,
                        s["step"],
                        s["action"],
                        s.get("result"),
                        None if s.get("ok") is None else int(s["ok"]),
                        json.dumps(s.get("files") or []),
                        _epoch(s.get("created_at")) or now,
                    )
                    for s in r.get("steps") or []
                ],
            )
            episodes += 1
        rules = [r for _, r in records if r["type"] == "lifecycle_rule"]
        existing_rules = next(iter(await conn.execute_fetchall("SELECT count(*) FROM lifecycle_rules")))[0]
        if rules and not existing_rules:
            await conn.executemany(
                "INSERT INTO lifecycle_rules(action, older_than_days, kind, tag, project, importance_below, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        r["action"],
                        r["older_than_days"],
                        r.get("kind"),
                        r.get("tag"),
                        r.get("project"),
                        r.get("importance_below"),
                        now,
                    )
                    for r in rules
                ],
            )
        return ImportResult("jsonl", imported, skipped, entities, relations, episodes, tuple(problems))

    result = await app.db.write(work)
    app.wake_worker()
    return result
