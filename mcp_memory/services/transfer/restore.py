"""Restore: the records of an `mcp-memory` export written into the store, one function per record
type, all inside the caller's transaction (`importing` reads, checks and scrubs the file first).

Importing the same file again adds nothing: each record type has a key that says a record is
already in the store, and such a record is counted as present, not written again.

- memory: the same record in any state (same project, content and `created_at`: an export keeps
  times to the microsecond), so a memory deleted after the first import does not come back; or, for
  a live memory, any live memory with the same content in the same project (identical content is
  never stored twice). Pins and pin notes travel with their memory.
- version (history): with its memory. A memory already present keeps its own history, and the
  exported versions of it count as present.
- entity: its name (unique, case-insensitive); observation: (entity, text); relation: (from, type,
  to) by entity names; link: (memory, entity).
- episode: same project, task and `started_at` (ids are renumbered when they collide, so the
  exported id cannot tell); an episode already present is skipped with its steps.
- lifecycle rule: all six fields; the export's rules are written only into a store without rules of
  its own (a store's rules are its policy), and otherwise reported as left out.

Into an empty SQLite store every id is kept; a colliding id is renumbered, and versions, links and
lessons follow the new number. A shared Postgres numbers every row itself, in the exported order (an
empty one gives back the exported numbers but for the gaps of memories forgotten before the export).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mcp_memory.services.memories.store import content_hash
from mcp_memory.services.transfer.exporting import parse_iso_time
from mcp_memory.storage import graph, transfer_rows
from mcp_memory.storage.consolidation import RuleRow, add_rules, read_rules
from mcp_memory.storage.episodes import Step, insert_steps
from mcp_memory.storage.ids import parse_id
from mcp_memory.storage.keyword_rows import sync_keyword_index_many
from mcp_memory.storage.memories import set_tags
from mcp_memory.storage.query import POSTGRES, Transaction
from mcp_memory.storage.transfer_rows import EpisodeImport, MemoryImport, MemoryKey
from mcp_memory.storage.vectors import VectorIndexInfo, write_vectors

__all__ = ["RECORD_TYPES", "Restored", "Tally", "restore_records"]

#: The record types an export holds, in the order they are restored (later ones refer to earlier).
RECORD_TYPES = (
    "memories",
    "versions",
    "entities",
    "observations",
    "relations",
    "links",
    "episodes",
    "steps",
    "rules",
)
#: Two times this close are the same time: an export rounds to the microsecond.
_SAME_TIME = 2e-6

Record = Mapping[str, Any]
Numbered = Sequence[tuple[int, Record]]  # (line number, record)


@dataclass(slots=True)
class Tally:
    """Records of one type: how many were written, and how many were already in the store."""

    added: int = 0
    present: int = 0


@dataclass(slots=True)
class Restored:
    """What one import did, per record type (`RECORD_TYPES`), and why records were left out."""

    counts: dict[str, Tally] = field(default_factory=lambda: {kind: Tally() for kind in RECORD_TYPES})
    problems: list[str] = field(default_factory=list)
    #: Memories written with their exported vector (the others wait for the embedding worker).
    vectors_kept: int = 0


@dataclass(slots=True)
class _MemoryIds:
    """Exported memory ids ('m_12') and the ids they have in this store."""

    rowids: dict[str, int] = field(default_factory=dict)
    written: set[str] = field(default_factory=set)  # the ones this import wrote


def _time(text: Any) -> float | None:
    return parse_iso_time(text) if isinstance(text, str) else None


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _episode_rowid(exported_id: Any) -> int | None:
    """The row id in an exported episode id ('e_12'), or None when it is not one."""
    text = str(exported_id or "")
    digits = text[2:]
    if not (text.startswith("e_") and digits.isascii() and digits.isdigit()) or len(digits) > 18:
        return None
    return int(digits)


async def restore_records(
    conn: Transaction,
    records: Numbered,
    *,
    vectors: VectorIndexInfo | None,
    now: float,
    visibility: str = "team",
) -> Restored:
    """Write an export's records (header already checked) in the caller's transaction. `vectors`:
    the index the exported vectors fit, or None to leave memories to the embedding worker.
    `visibility`: on a shared Postgres, who may read the memories and episodes written."""
    by_type: dict[str, list[tuple[int, Record]]] = {}
    for number, record in records:
        by_type.setdefault(str(record["type"]), []).append((number, record))
    done = Restored()
    ids = await _restore_memories(conn, by_type.get("memory", []), done, vectors, now, visibility)
    await _restore_supersessions(conn, by_type.get("memory", []), ids)
    await _restore_versions(conn, by_type.get("version", []), ids, done)
    if conn.dialect == POSTGRES and visibility == "private" and by_type.get("entity"):
        # A shared database's knowledge graph is the team's (entities and observations have no
        # owner): private memories must not bring their graph with them.
        done.problems.append(
            f"the knowledge graph ({len(by_type['entity'])} entities, "
            f"{len(by_type.get('relation', []))} relations) was left out: on a shared database the "
            "graph is the whole team's; import or migrate with visibility team to share it"
        )
    else:
        names = await _restore_entities(conn, by_type.get("entity", []), done, now)
        await _restore_relations(conn, by_type.get("relation", []), names, done, now)
        await _restore_links(conn, by_type.get("link", []), ids, names, done)
    await _restore_episodes(conn, by_type.get("episode", []), ids, done, now, visibility)
    await _restore_rules(conn, by_type.get("lifecycle_rule", []), done, now)
    return done


def _memory_row(record: Record, now: float, visibility: str) -> MemoryImport:
    return MemoryImport(
        content=record["content"],
        content_hash=content_hash(record["content"]),
        kind=record.get("kind") or "note",
        importance=float(record.get("importance", 0.5)),
        metadata=_json(record.get("metadata") or {}),
        project=record.get("project") or "",
        pinned=bool(record.get("pinned")),
        pin_note=record.get("pin_note"),
        created_at=_time(record.get("created_at")) or now,
        updated_at=_time(record.get("updated_at")) or now,
        last_accessed_at=_time(record.get("last_accessed_at")),
        access_count=int(record.get("access_count", 0)),
        expires_at=_time(record.get("expires_at")),
        deleted_at=_time(record.get("deleted_at")),
        archived_at=_time(record.get("archived_at")),
        version=int(record.get("version", 1)),
        visibility=visibility,
    )


@dataclass(slots=True)
class _Stored:
    """The store's memories by (project, content hash), live and deleted: read once, then kept up
    to date with what the import writes, so a file holding the same memory twice stores it once."""

    live: dict[tuple[str, str], list[MemoryKey]] = field(default_factory=dict)
    gone: dict[tuple[str, str], list[MemoryKey]] = field(default_factory=dict)

    def add(self, key: MemoryKey, *, live: bool) -> None:
        (self.live if live else self.gone).setdefault((key.project, key.content_hash), []).append(key)


async def _stored_memories(conn: Transaction) -> _Stored:
    stored = _Stored()
    live, gone = await transfer_rows.memory_keys(conn)
    for key in live:
        stored.add(key, live=True)
    for key in gone:
        stored.add(key, live=False)
    return stored


def _present_memory(row: MemoryImport, stored: _Stored) -> int | None:
    """The id of the memory `row` already is in the store (see the module's notes), or None."""
    live = stored.live.get((row.project, row.content_hash), [])
    if live and row.deleted_at is None:
        return live[0].rowid
    same_text = [*live, *stored.gone.get((row.project, row.content_hash), [])]
    return next((key.rowid for key in same_text if abs(key.created_at - row.created_at) < _SAME_TIME), None)


async def _restore_memories(
    conn: Transaction,
    records: Numbered,
    done: Restored,
    vectors: VectorIndexInfo | None,
    now: float,
    visibility: str,
) -> _MemoryIds:
    ids = _MemoryIds()
    tally = done.counts["memories"]
    stored = await _stored_memories(conn)
    indexed: list[int] = []
    vector_rows: list[tuple[int, bytes, str, str, float]] = []
    for number, record in records:
        row = _memory_row(record, now, visibility)
        if not 0 <= row.importance <= 1:
            done.problems.append(f"line {number}: importance {row.importance} is out of range")
            continue
        present = _present_memory(row, stored)
        if present is not None:
            ids.rowids[record["id"]] = present
            tally.present += 1
            continue
        rowid = await transfer_rows.insert_memory_row(conn, row, parse_id(str(record["id"])))
        key = MemoryKey(rowid, row.project, row.content_hash, row.created_at)
        stored.add(key, live=row.deleted_at is None)
        ids.rowids[record["id"]] = rowid
        ids.written.add(record["id"])
        tally.added += 1
        await set_tags(conn, rowid, list(dict.fromkeys(record.get("tags") or [])), new=True)
        if row.deleted_at is None:
            indexed.append(rowid)
            if vectors is not None and record.get("vector"):
                blob = base64.b64decode(record["vector"])
                vector_rows.append((rowid, blob, row.project, row.kind, row.created_at))
    await sync_keyword_index_many(conn, indexed)
    if vector_rows and vectors is not None:
        await write_vectors(conn, vectors, vector_rows)
        done.vectors_kept += len(vector_rows)
    return ids


async def _restore_supersessions(conn: Transaction, records: Numbered, ids: _MemoryIds) -> None:
    """Each memory written now that a newer one retired names that one again, under its id here."""
    for _, record in records:
        by = ids.rowids.get(str(record.get("superseded_by") or ""))
        if by is not None and record["id"] in ids.written:
            await transfer_rows.set_superseded_by(conn, ids.rowids[record["id"]], by)


def _count(tally: Tally, added: bool) -> None:
    if added:
        tally.added += 1
    else:
        tally.present += 1


def _unstorable(*values: Any) -> bool:
    """Whether a record lacks a value its row must have: the store cannot hold it, so, like a record
    it has already, it is not written and counts as present."""
    return any(value is None for value in values)


async def _restore_versions(conn: Transaction, records: Numbered, ids: _MemoryIds, done: Restored) -> None:
    """A memory's earlier states, for the memories this import wrote (others keep their own)."""
    tally = done.counts["versions"]
    for _, record in records:
        if record["memory_id"] not in ids.written:
            tally.present += record["memory_id"] in ids.rowids
            continue
        memory_id, version = ids.rowids[record["memory_id"]], record["version"]
        columns = {
            "content": record["content"],
            "tags": json.dumps(record["tags"]),
            "kind": record["kind"],
            "importance": record["importance"],
            "metadata": _json(record["metadata"]),
            "valid_from": _time(record["valid_from"]),
            "replaced_at": _time(record["replaced_at"]),
            "replaced_by": record["replaced_by"],
            "changed": json.dumps(record["changed"]),
        }
        if _unstorable(version, *columns.values()):
            tally.present += 1
            continue
        _count(tally, await transfer_rows.add_version(conn, memory_id, version, **columns))


async def _restore_entities(
    conn: Transaction, records: Numbered, done: Restored, now: float
) -> dict[str, int]:
    """Entities and their observations; returns entity ids by exported name."""
    entities, observations = done.counts["entities"], done.counts["observations"]
    names: dict[str, int] = {}
    for _, record in records:
        created = _time(record.get("created_at")) or now
        entity_id = await graph.entity_id(conn, record["name"])
        _count(entities, entity_id is None)
        if entity_id is None:
            entity_id = await graph.insert_entity(
                conn,
                record["name"],
                record.get("entityType") or "unknown",
                created,
                updated_at=_time(record.get("updated_at")) or now,
            )
        names[record["name"]] = entity_id
        for offset, text in enumerate(record.get("observations") or []):
            # Distinct times keep the exported order, which is by time.
            stored = not _unstorable(text) and await graph.add_observation(
                conn, entity_id, text, created + offset * 1e-6
            )
            _count(observations, stored)
    return names


async def _restore_relations(
    conn: Transaction, records: Numbered, names: Mapping[str, int], done: Restored, now: float
) -> None:
    tally = done.counts["relations"]
    for _, record in records:
        if record["from"] not in names or record["to"] not in names:
            continue
        stored = not _unstorable(record["relationType"]) and await graph.add_relation(
            conn,
            names[record["from"]],
            record["relationType"],
            names[record["to"]],
            _time(record.get("created_at")) or now,
        )
        _count(tally, stored)


async def _restore_links(
    conn: Transaction, records: Numbered, ids: _MemoryIds, names: Mapping[str, int], done: Restored
) -> None:
    tally = done.counts["links"]
    for _, record in records:
        if record["memory_id"] not in ids.rowids or record["entity"] not in names:
            continue
        linked = await graph.link_memory_entity(
            conn, ids.rowids[record["memory_id"]], names[record["entity"]]
        )
        _count(tally, linked)


def _episode_row(record: Record, ids: _MemoryIds, now: float, visibility: str) -> EpisodeImport:
    return EpisodeImport(
        task=record["task"],
        context=record.get("context") or "",
        preconditions=record.get("preconditions") or [],
        project=record.get("project") or "",
        tags=record.get("tags") or [],
        outcome=record.get("outcome"),
        reward=record.get("reward"),
        lesson=record.get("lesson"),
        reflection=record.get("reflection"),
        lesson_memory_id=ids.rowids.get(record.get("lesson_memory_id") or ""),
        started_at=_time(record.get("started_at")) or now,
        completed_at=_time(record.get("completed_at")),
        visibility=visibility,
    )


def _steps(record: Record, now: float) -> list[Step]:
    return [
        Step(
            number=step["step"],
            action=step["action"],
            result=step.get("result"),
            ok=step.get("ok"),
            files=tuple(step.get("files") or []),
            created_at=_time(step.get("created_at")) or now,
        )
        for step in record.get("steps") or []
    ]


async def _restore_episodes(
    conn: Transaction, records: Numbered, ids: _MemoryIds, done: Restored, now: float, visibility: str
) -> None:
    """Episodes with their steps; one already present (same project, task and start) is left whole."""
    episodes, steps = done.counts["episodes"], done.counts["steps"]
    for _, record in records:
        row = _episode_row(record, ids, now, visibility)
        if await transfer_rows.episode_started_near(
            conn, project=row.project, task=row.task, started_at=row.started_at, within=_SAME_TIME
        ):
            episodes.present += 1
            steps.present += len(record.get("steps") or [])
            continue
        episode_id = await transfer_rows.insert_episode_row(conn, row, _episode_rowid(record.get("id")))
        episodes.added += 1
        step_rows = _steps(record, now)
        await insert_steps(conn, episode_id, step_rows)
        steps.added += len(step_rows)


_RULE_COLUMNS = ("action", "older_than_days", "kind", "tag", "project", "importance_below")


async def _restore_rules(conn: Transaction, records: Numbered, done: Restored, now: float) -> None:
    """Lifecycle rules, only into a store without rules of its own (its rules are its policy); a
    rule identical to a stored one is present."""
    tally = done.counts["rules"]
    stored = set(await read_rules(conn))
    written: list[RuleRow] = []
    for number, record in records:
        # A rule as the file has it: the store refuses one without an action or an age.
        fields: dict[str, Any] = {column: record.get(column) for column in _RULE_COLUMNS}
        rule = RuleRow(**fields)
        if rule in stored:
            tally.present += 1
        elif stored:
            done.problems.append(f"line {number}: lifecycle rule left out (this store has rules of its own)")
        else:
            written.append(rule)
            tally.added += 1
    await add_rules(conn, written, now)
