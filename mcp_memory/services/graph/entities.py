"""The knowledge graph: entities (unique by name, case-insensitive) with a type and observations,
directed typed relations, and links from memories to entities. Semantics follow the official MCP
knowledge-graph memory server (creating what exists adds to it; deleting an entity deletes its
relations), so its users can move over."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mcp_memory.errors import Argument, InvalidInput, LimitExceeded, NotFound, Operation
from mcp_memory.limits import MAX_GRAPH_DEPTH as MAX_DEPTH
from mcp_memory.limits import MAX_GRAPH_ITEMS as MAX_ITEMS
from mcp_memory.limits import MAX_GRAPH_NAME as MAX_NAME
from mcp_memory.limits import MAX_GRAPH_NODES as MAX_NODES
from mcp_memory.limits import MAX_GRAPH_TYPE as MAX_TYPE
from mcp_memory.limits import MAX_OBSERVATION
from mcp_memory.services.app import App
from mcp_memory.services.memories.store import Memory, load_memories, resolve_id, scrub
from mcp_memory.storage import graph as graph_rows
from mcp_memory.storage.graph import Entity, Relation, ensure_entity
from mcp_memory.storage.query import Transaction
from mcp_memory.storage.rows import fetch_memory_row

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


async def _upsert_entity(
    conn: Transaction, name: str, type_: str, observations: Sequence[str], now: float
) -> tuple[bool, bool, int]:
    """Create or extend one entity: (whether created, whether its type changed, observations added)."""
    entity_id, new = await graph_rows.ensure_entity(conn, name, type_, now)
    updated = False if new else await graph_rows.set_entity_type(conn, entity_id, type_, now)
    added = 0
    for offset, observation in enumerate(observations):
        # Distinct times keep the order observations were given in.
        added += await graph_rows.add_observation(conn, entity_id, observation, now + offset * 1e-6)
    if not new and added:  # observations it already had change nothing
        await graph_rows.touch_entity(conn, entity_id, now)
    return new, updated, added


async def upsert_graph(
    app: App, entities: Sequence[Mapping[str, Any]] = (), relations: Sequence[Mapping[str, Any]] = ()
) -> UpsertResult:
    """Create entities and relations; an existing entity gets the new type and any new observations,
    an existing relation is left as it is. Relation endpoints that do not exist are created with type
    'unknown'."""
    clean_entities, clean_relations = _validate_upsert(entities, relations)
    clean_entities = [(name, type_, [scrub(app, o) for o in obs]) for name, type_, obs in clean_entities]
    now = time.time()

    async def work(conn: Transaction) -> UpsertResult:
        created = updated = added = related = 0
        for name, type_, observations in clean_entities:
            new, changed, count = await _upsert_entity(conn, name, type_, observations, now)
            created += new
            updated += changed
            added += count
        for source, target, type_ in clean_relations:
            source_id, new_source = await graph_rows.ensure_entity(conn, source, "unknown", now)
            target_id, new_target = await graph_rows.ensure_entity(conn, target, "unknown", now)
            created += new_source + new_target
            related += await graph_rows.add_relation(conn, source_id, type_, target_id, now)
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

    async def work(conn: Transaction) -> tuple[int, int]:
        if await fetch_memory_row(conn, rowid, live_only=True) is None:
            raise NotFound(f"no memory {memory_id}; ", Operation("memory_search"), " finds ids.")
        links = created = 0
        for name in clean:
            entity_id, new = await graph_rows.ensure_entity(conn, name, entity_type, now)
            created += new
            links += await graph_rows.link_memory_entity(conn, rowid, entity_id)
        return links, created

    return await app.db.write(work)


async def _seeds(app: App, name: str | None, memory_id: str | None, query: str | None) -> list[int]:
    """The entities a graph query starts from: the one named, a memory's, or those matching a text."""
    if name is not None:
        found = await graph_rows.entity_id(app.db, _name(name))
        if found is None:
            raise NotFound(
                f"no entity named {name!r}; ",
                Operation("graph_query", (Argument("query", "…"),)),
                " searches names and observations.",
            )
        return [found]
    if memory_id is not None:
        return await graph_rows.entities_of_memory(app.db, resolve_id(memory_id))
    text = (query or "").strip()
    if not text:
        raise InvalidInput("query is empty.")
    return await graph_rows.entities_matching(app.db, text, MAX_NODES)


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
        raise InvalidInput(
            "give exactly one of ",
            Argument("name"),
            ", ",
            Argument("memory_id"),
            " or ",
            Argument("query"),
            ".",
        )
    if not 0 <= depth <= MAX_DEPTH:
        raise InvalidInput(f"depth {depth} is out of range; use 0 to {MAX_DEPTH}.")
    seeds = await _seeds(app, name, memory_id, query)
    if not seeds:
        return Subgraph((), (), ())
    reached = await graph_rows.entities_within(app.db, seeds, depth, MAX_NODES + 1)
    truncated = len(reached) > MAX_NODES
    ids = reached[:MAX_NODES]
    entities = await graph_rows.entities_by_id(app.db, ids)
    relations = [
        Relation(entities[a].name, entities[b].name, t)
        for a, t, b in await graph_rows.relations_among(app.db, ids)
    ]
    memory_rowids = await graph_rows.memories_of_entities(app.db, ids, memory_limit)
    memories = await load_memories(app.db, memory_rowids)
    return Subgraph(
        tuple(entities[i] for i in ids if i in entities),
        tuple(relations),
        tuple(memories[r] for r in memory_rowids if r in memories),
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

    async def work(conn: Transaction) -> DeleteGraphResult:
        deleted_entities = deleted_relations = deleted_observations = 0
        for source, target, type_ in rels:
            deleted_relations += await graph_rows.delete_relation(conn, source, type_, target)
        for name, contents in obs:
            for content in contents:
                deleted_observations += await graph_rows.delete_observation(conn, name, content)
        for name in names:
            deleted_entities += await graph_rows.delete_entity(conn, name)
        return DeleteGraphResult(deleted_entities, deleted_relations, deleted_observations)

    return await app.db.write(work)
