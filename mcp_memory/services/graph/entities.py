"""The knowledge graph: entities (unique by name, case-insensitive) with a type and observations,
directed typed relations, and links from memories to entities. Semantics follow the official MCP
knowledge-graph memory server (creating what exists adds to it; deleting an entity deletes its
relations), so its users can move over."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from mcp_memory.errors import InvalidInput, LimitExceeded, NotFound
from mcp_memory.limits import MAX_GRAPH_DEPTH as MAX_DEPTH
from mcp_memory.limits import MAX_GRAPH_ITEMS as MAX_ITEMS
from mcp_memory.limits import MAX_GRAPH_NAME as MAX_NAME
from mcp_memory.limits import MAX_GRAPH_NODES as MAX_NODES
from mcp_memory.limits import MAX_GRAPH_TYPE as MAX_TYPE
from mcp_memory.limits import MAX_OBSERVATION
from mcp_memory.services.app import App
from mcp_memory.services.memories.store import Memory, load_memories, resolve_id, scrub

__all__ = [
    "Entity",
    "Relation",
    "Subgraph",
    "delete_graph",
    "ensure_entity",
    "link_memory",
    "query_graph",
    "upsert_graph",
]


@dataclass(frozen=True, slots=True)
class Entity:
    name: str
    type: str
    observations: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Relation:
    source: str
    target: str
    type: str


@dataclass(frozen=True, slots=True)
class Subgraph:
    entities: tuple[Entity, ...]
    relations: tuple[Relation, ...]
    memories: tuple[Memory, ...]
    truncated: bool = field(default=False)


def _name(value: Any, what: str = "entity name") -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{what} is missing or empty.")
    text = " ".join(value.split())
    if len(text) > MAX_NAME:
        raise LimitExceeded(f"{what} {text[:30]!r}… is {len(text)} characters; at most {MAX_NAME}.")
    return text


def _type(value: Any, what: str = "type") -> str:
    text = _name(value, what)
    if len(text) > MAX_TYPE:
        raise LimitExceeded(f"{what} {text[:30]!r}… is too long; at most {MAX_TYPE} characters.")
    return text


def _observation(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("an observation is empty; observations are short facts about the entity.")
    text = value.strip()
    if len(text) > MAX_OBSERVATION:
        raise LimitExceeded(
            f"an observation is {len(text)} characters; at most {MAX_OBSERVATION}. Store long text as a memory."
        )
    return text


async def _entity_id(conn: aiosqlite.Connection, name: str) -> int | None:
    rows = list(await conn.execute_fetchall("SELECT id FROM entities WHERE name = ?", (name,)))
    return int(rows[0][0]) if rows else None


async def ensure_entity(conn: aiosqlite.Connection, name: str, type_: str, now: float) -> tuple[int, bool]:
    """The id of the entity named `name`, created with `type_` if missing; and whether it was created."""
    existing = await _entity_id(conn, name)
    if existing is not None:
        return existing, False
    cursor = await conn.execute(
        "INSERT INTO entities(name, type, created_at, updated_at) VALUES (?, ?, ?, ?)",
        (name, type_, now, now),
    )
    assert cursor.lastrowid is not None
    return int(cursor.lastrowid), True


@dataclass(frozen=True, slots=True)
class UpsertResult:
    entities_created: int
    entities_updated: int
    observations_added: int
    relations_created: int


def _validate_upsert(
    entities: Sequence[Mapping[str, Any]], relations: Sequence[Mapping[str, Any]]
) -> tuple[list[tuple[str, str, list[str]]], list[tuple[str, str, str]]]:
    if not entities and not relations:
        raise InvalidInput(
            "nothing to do; pass entities [{name, type, observations}] and/or relations [{from, to, type}]."
        )
    if len(entities) + len(relations) > MAX_ITEMS:
        raise LimitExceeded(f"{len(entities) + len(relations)} items; at most {MAX_ITEMS} per call.")
    clean_entities = []
    for e in entities:
        if not isinstance(e, Mapping):
            raise InvalidInput("each entity is an object {name, type, observations}.")
        observations = e.get("observations") or []
        if not isinstance(observations, list):
            raise InvalidInput("observations must be a list of strings.")
        clean_entities.append(
            (
                _name(e.get("name")),
                _type(e.get("entityType") or e.get("type"), "entity type"),
                [_observation(o) for o in observations],
            )
        )
    clean_relations = []
    for r in relations:
        if not isinstance(r, Mapping):
            raise InvalidInput("each relation is an object {from, to, type}.")
        clean_relations.append(
            (
                _name(r.get("from"), "relation `from`"),
                _name(r.get("to"), "relation `to`"),
                _type(r.get("relationType") or r.get("type"), "relation type"),
            )
        )
    return clean_entities, clean_relations


async def upsert_graph(
    app: App, entities: Sequence[Mapping[str, Any]] = (), relations: Sequence[Mapping[str, Any]] = ()
) -> UpsertResult:
    """Create entities and relations; an existing entity gets the new type and any new observations,
    an existing relation is left as it is. Relation endpoints that do not exist are created with type
    'unknown'."""
    clean_entities, clean_relations = _validate_upsert(entities, relations)
    clean_entities = [(name, type_, [scrub(app, o) for o in obs]) for name, type_, obs in clean_entities]
    now = time.time()

    async def work(conn: aiosqlite.Connection) -> UpsertResult:
        created = updated = added = related = 0
        for name, type_, observations in clean_entities:
            entity_id, new = await ensure_entity(conn, name, type_, now)
            if new:
                created += 1
            else:
                cursor = await conn.execute(
                    "UPDATE entities SET type = ?, updated_at = ? WHERE id = ? AND type != ?",
                    (type_, now, entity_id, type_),
                )
                updated += cursor.rowcount > 0
            new_observations = 0
            for offset, observation in enumerate(observations):
                # Distinct times keep the order observations were given in.
                cursor = await conn.execute(
                    "INSERT OR IGNORE INTO observations(entity_id, content, created_at) VALUES (?, ?, ?)",
                    (entity_id, observation, now + offset * 1e-6),
                )
                new_observations += cursor.rowcount
            added += new_observations
            if not new and new_observations:  # observations it already had change nothing
                await conn.execute("UPDATE entities SET updated_at = ? WHERE id = ?", (now, entity_id))
        for source, target, type_ in clean_relations:
            source_id, new_source = await ensure_entity(conn, source, "unknown", now)
            target_id, new_target = await ensure_entity(conn, target, "unknown", now)
            created += new_source + new_target
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO relations(from_id, type, to_id, created_at) VALUES (?, ?, ?, ?)",
                (source_id, type_, target_id, now),
            )
            related += cursor.rowcount
        return UpsertResult(created, updated, added, related)

    return await app.db.write(work)


async def link_memory(
    app: App, memory_id: str, names: Sequence[str], entity_type: str = "unknown"
) -> tuple[int, int]:
    """Link a memory to entities by name (creating missing ones); returns (links made, entities created)."""
    rowid = resolve_id(memory_id)
    clean = list(dict.fromkeys(_name(n) for n in names))
    if not clean:
        raise InvalidInput("no entity names given; pass entities: ['PostgreSQL', 'billing-service'].")
    if len(clean) > MAX_ITEMS:
        raise LimitExceeded(f"{len(clean)} names; at most {MAX_ITEMS}.")
    now = time.time()

    async def work(conn: aiosqlite.Connection) -> tuple[int, int]:
        if not list(
            await conn.execute_fetchall(
                "SELECT 1 FROM memories WHERE id = ? AND deleted_at IS NULL", (rowid,)
            )
        ):
            raise NotFound(f"no memory {memory_id}; memory_search finds ids.")
        links = created = 0
        for name in clean:
            entity_id, new = await ensure_entity(conn, name, entity_type, now)
            created += new
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO memory_entities(memory_id, entity_id) VALUES (?, ?)",
                (rowid, entity_id),
            )
            links += cursor.rowcount
        return links, created

    return await app.db.write(work)


async def _entities(app: App, ids: Sequence[int]) -> dict[int, Entity]:
    if not ids:
        return {}
    marks = ", ".join("?" * len(ids))
    rows = await app.db.fetchall(f"SELECT id, name, type FROM entities WHERE id IN ({marks})", list(ids))
    observations: dict[int, list[str]] = {int(r[0]): [] for r in rows}
    for entity_id, content in await app.db.fetchall(
        f"SELECT entity_id, content FROM observations WHERE entity_id IN ({marks}) ORDER BY entity_id, created_at, content",
        list(ids),
    ):
        observations[int(entity_id)].append(str(content))
    return {int(r[0]): Entity(str(r[1]), str(r[2]), tuple(observations[int(r[0])])) for r in rows}


async def query_graph(
    app: App,
    *,
    name: str | None = None,
    memory_id: str | None = None,
    query: str | None = None,
    depth: int = 1,
    memory_limit: int = 20,
) -> Subgraph:
    """The subgraph within `depth` hops (either direction) of the entities named, linked to a memory, or
    matching a text (in name, type or observations), with the memories linked to its entities."""
    if sum(x is not None for x in (name, memory_id, query)) != 1:
        raise InvalidInput("give exactly one of name, memory_id or query.")
    if not 0 <= depth <= MAX_DEPTH:
        raise InvalidInput(f"depth {depth} is out of range; use 0 to {MAX_DEPTH}.")
    if name is not None:
        seeds = [
            int(r[0]) for r in await app.db.fetchall("SELECT id FROM entities WHERE name = ?", (_name(name),))
        ]
        if not seeds:
            raise NotFound(
                f"no entity named {name!r}; graph_query with query='…' searches names and observations."
            )
    elif memory_id is not None:
        seeds = [
            int(r[0])
            for r in await app.db.fetchall(
                "SELECT entity_id FROM memory_entities WHERE memory_id = ?", (resolve_id(memory_id),)
            )
        ]
    else:
        text = (query or "").strip()
        if not text:
            raise InvalidInput("query is empty.")
        like = f"%{text}%"
        seeds = [
            int(r[0])
            for r in await app.db.fetchall(
                "SELECT id FROM entities WHERE name LIKE ? OR type LIKE ? UNION "
                "SELECT entity_id FROM observations WHERE content LIKE ? LIMIT ?",
                (like, like, like, MAX_NODES),
            )
        ]
    if not seeds:
        return Subgraph((), (), ())
    marks = ", ".join("?" * len(seeds))
    rows = await app.db.fetchall(
        f"WITH RECURSIVE walk(id, d) AS (SELECT id, 0 FROM entities WHERE id IN ({marks}) "
        "UNION SELECT r.to_id, w.d + 1 FROM walk w JOIN relations r ON r.from_id = w.id WHERE w.d < ? "
        "UNION SELECT r.from_id, w.d + 1 FROM walk w JOIN relations r ON r.to_id = w.id WHERE w.d < ?) "
        "SELECT id, min(d) AS d FROM walk GROUP BY id ORDER BY d, id LIMIT ?",
        [*seeds, depth, depth, MAX_NODES + 1],
    )
    truncated = len(rows) > MAX_NODES
    ids = [int(r[0]) for r in rows[:MAX_NODES]]
    entities = await _entities(app, ids)
    marks = ", ".join("?" * len(ids))
    relations = [
        Relation(entities[int(a)].name, entities[int(b)].name, str(t))
        for a, t, b in await app.db.fetchall(
            f"SELECT from_id, type, to_id FROM relations WHERE from_id IN ({marks}) AND to_id IN ({marks}) "
            "ORDER BY from_id, type, to_id",
            [*ids, *ids],
        )
    ]
    memory_rows = await app.db.fetchall(
        f"SELECT DISTINCT me.memory_id FROM memory_entities me JOIN memories m ON m.id = me.memory_id "
        f"WHERE me.entity_id IN ({marks}) AND m.deleted_at IS NULL ORDER BY m.created_at DESC LIMIT ?",
        [*ids, memory_limit],
    )
    memories = await load_memories(app.db, [int(r[0]) for r in memory_rows])
    return Subgraph(
        tuple(entities[i] for i in ids if i in entities),
        tuple(relations),
        tuple(memories[int(r[0])] for r in memory_rows if int(r[0]) in memories),
        truncated,
    )


@dataclass(frozen=True, slots=True)
class DeleteGraphResult:
    entities: int
    relations: int
    observations: int


async def delete_graph(
    app: App,
    entities: Sequence[str] = (),
    relations: Sequence[Mapping[str, Any]] = (),
    observations: Sequence[Mapping[str, Any]] = (),
) -> DeleteGraphResult:
    """Delete entities (with their relations, observations and memory links), relations, or single
    observations ({name, observations: [...]}). Names that do not exist are ignored, as in the
    official server."""
    if not entities and not relations and not observations:
        raise InvalidInput("nothing to delete; pass entities, relations and/or observations.")
    names = [_name(n) for n in entities]
    rels = [
        (
            _name(r.get("from"), "relation `from`"),
            _name(r.get("to"), "relation `to`"),
            _type(r.get("relationType") or r.get("type"), "relation type"),
        )
        for r in relations
    ]
    obs = [
        (_name(o.get("name") or o.get("entityName")), [_observation(x) for x in o.get("observations") or []])
        for o in observations
    ]

    async def work(conn: aiosqlite.Connection) -> DeleteGraphResult:
        deleted_entities = deleted_relations = deleted_observations = 0
        for source, target, type_ in rels:
            cursor = await conn.execute(
                "DELETE FROM relations WHERE from_id = (SELECT id FROM entities WHERE name = ?) AND type = ? "
                "AND to_id = (SELECT id FROM entities WHERE name = ?)",
                (source, type_, target),
            )
            deleted_relations += cursor.rowcount
        for name, contents in obs:
            for content in contents:
                cursor = await conn.execute(
                    "DELETE FROM observations WHERE entity_id = (SELECT id FROM entities WHERE name = ?) AND content = ?",
                    (name, content),
                )
                deleted_observations += cursor.rowcount
        for name in names:
            cursor = await conn.execute("DELETE FROM entities WHERE name = ?", (name,))
            deleted_entities += cursor.rowcount
        return DeleteGraphResult(deleted_entities, deleted_relations, deleted_observations)

    return await app.db.write(work)
