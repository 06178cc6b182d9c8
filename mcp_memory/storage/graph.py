"""The knowledge graph's rows: entities (unique by name, case-insensitive: the column's collation),
their observations, directed typed relations, and the links from memories to entities.

Reads take a `QuerySource`, writes a `Transaction`; the graph service keeps validation and limits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mcp_memory.storage.filters import MemoryFilter
from mcp_memory.storage.ids import live
from mcp_memory.storage.query import QuerySource, Transaction

__all__ = [
    "Entity",
    "Relation",
    "add_observation",
    "add_relation",
    "delete_entity",
    "delete_observation",
    "delete_relation",
    "ensure_entity",
    "entities_by_id",
    "entities_matching",
    "entities_of_memory",
    "entities_within",
    "entity_id",
    "insert_entity",
    "link_memory_entity",
    "memories_of_entities",
    "memory_rowids",
    "relations_among",
    "set_entity_type",
    "touch_entity",
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


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))


# -- entities -----------------------------------------------------------------------------------------

#: An entity's name equal to the one bound, whatever its case: SQLite's column is NOCASE (its unique
#: index answers), Postgres' unique index is on lower(name).
_SAME_NAME = {"sqlite": "name = ?", "postgres": "lower(name) = lower(?)"}
#: Contains the bound pattern, whatever its case (SQLite's LIKE ignores ASCII case already).
_CONTAINS = {"sqlite": "LIKE", "postgres": "ILIKE"}


def _named(dialect: str) -> str:
    return _SAME_NAME.get(dialect, _SAME_NAME["sqlite"])


async def entity_id(source: QuerySource, name: str) -> int | None:
    """The id of the entity named `name` (any case), or None."""
    rows = await source.fetchall(f"SELECT id FROM entities WHERE {_named(source.dialect)}", (name,))
    return int(rows[0][0]) if rows else None


async def insert_entity(
    tx: Transaction, name: str, type_: str, now: float, *, updated_at: float | None = None
) -> int:
    """A new entity's id: created at `now`, and updated then too unless `updated_at` says when."""
    rows = await tx.execute_fetchall(
        "INSERT INTO entities(name, type, created_at, updated_at) VALUES (?, ?, ?, ?) RETURNING id",
        (name, type_, now, now if updated_at is None else updated_at),
    )
    return int(rows[0][0])


async def ensure_entity(tx: Transaction, name: str, type_: str, now: float) -> tuple[int, bool]:
    """The id of the entity named `name`, created with `type_` if missing; and whether it was created."""
    existing = await entity_id(tx, name)
    if existing is not None:
        return existing, False
    return await insert_entity(tx, name, type_, now), True


async def set_entity_type(tx: Transaction, entity: int, type_: str, now: float) -> bool:
    """Give an entity `type_`; whether that changed it (an entity that has it already is left alone)."""
    cursor = await tx.execute(
        "UPDATE entities SET type = ?, updated_at = ? WHERE id = ? AND type != ?",
        (type_, now, entity, type_),
    )
    return cursor.rowcount > 0


async def touch_entity(tx: Transaction, entity: int, now: float) -> None:
    """Mark an entity updated at `now`."""
    await tx.execute("UPDATE entities SET updated_at = ? WHERE id = ?", (now, entity))


async def delete_entity(tx: Transaction, name: str) -> int:
    """Delete the entity named `name` (its observations, relations and links go with it: the foreign
    keys cascade); how many were deleted (0 or 1)."""
    cursor = await tx.execute(f"DELETE FROM entities WHERE {_named(tx.dialect)}", (name,))
    return cursor.rowcount


async def entities_by_id(source: QuerySource, ids: Sequence[int]) -> dict[int, Entity]:
    """The entities with these ids, each with its observations in the order they were added."""
    if not ids:
        return {}
    marks = _marks(ids)
    entity_rows, observation_rows = await source.fetch_many(
        [
            (f"SELECT id, name, type FROM entities WHERE id IN ({marks})", list(ids)),
            (
                f"SELECT entity_id, content FROM observations WHERE entity_id IN ({marks}) "
                "ORDER BY entity_id, created_at, content",
                list(ids),
            ),
        ]
    )
    observations: dict[int, list[str]] = {int(r[0]): [] for r in entity_rows}
    for entity, content in observation_rows:
        observations[int(entity)].append(str(content))
    return {int(r[0]): Entity(str(r[1]), str(r[2]), tuple(observations[int(r[0])])) for r in entity_rows}


async def entities_matching(source: QuerySource, text: str, limit: int) -> list[int]:
    """Ids of entities whose name, type or an observation contains `text` (at most `limit`)."""
    like = f"%{text}%"
    op = _CONTAINS.get(source.dialect, "LIKE")
    rows = await source.fetchall(
        f"SELECT id FROM entities WHERE name {op} ? OR type {op} ? UNION "
        f"SELECT entity_id FROM observations WHERE content {op} ? LIMIT ?",
        (like, like, like, limit),
    )
    return [int(r[0]) for r in rows]


async def entities_within(source: QuerySource, seeds: Sequence[int], depth: int, limit: int) -> list[int]:
    """Ids of the entities within `depth` relation hops (either direction) of `seeds`, the seeds
    included, nearest first (then by id); at most `limit`."""
    # One recursive step over relations in either direction (Postgres allows the recursive name
    # once); SQLite answers the OR from the two indexes on relations.
    rows = await source.fetchall(
        f"WITH RECURSIVE walk(id, d) AS (SELECT id, 0 FROM entities WHERE id IN ({_marks(seeds)}) "
        "UNION SELECT CASE WHEN r.from_id = w.id THEN r.to_id ELSE r.from_id END, w.d + 1 "
        "FROM walk w JOIN relations r ON r.from_id = w.id OR r.to_id = w.id WHERE w.d < ?) "
        "SELECT id, min(d) AS d FROM walk GROUP BY id ORDER BY d, id LIMIT ?",
        [*seeds, depth, limit],
    )
    return [int(r[0]) for r in rows]


# -- observations and relations -----------------------------------------------------------------------


async def add_observation(tx: Transaction, entity: int, content: str, created_at: float) -> bool:
    """Add an observation to an entity; False when the entity has it already."""
    cursor = await tx.execute(
        "INSERT INTO observations(entity_id, content, created_at) VALUES (?, ?, ?) "
        "ON CONFLICT (entity_id, content) DO NOTHING",
        (entity, content, created_at),
    )
    return cursor.rowcount > 0


async def delete_observation(tx: Transaction, name: str, content: str) -> int:
    """Delete one observation of the entity named `name`; how many were deleted (0 or 1)."""
    cursor = await tx.execute(
        f"DELETE FROM observations WHERE entity_id = (SELECT id FROM entities WHERE {_named(tx.dialect)}) "
        "AND content = ?",
        (name, content),
    )
    return cursor.rowcount


async def add_relation(tx: Transaction, source: int, type_: str, target: int, now: float) -> bool:
    """Add the relation `source -type_-> target`; False when it exists already."""
    cursor = await tx.execute(
        "INSERT INTO relations(from_id, type, to_id, created_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (from_id, type, to_id) DO NOTHING",
        (source, type_, target, now),
    )
    return cursor.rowcount > 0


async def delete_relation(tx: Transaction, source: str, type_: str, target: str) -> int:
    """Delete the relation `source -type_-> target` between entities named so; how many (0 or 1)."""
    cursor = await tx.execute(
        f"DELETE FROM relations WHERE from_id = (SELECT id FROM entities WHERE {_named(tx.dialect)}) "
        f"AND type = ? AND to_id = (SELECT id FROM entities WHERE {_named(tx.dialect)})",
        (source, type_, target),
    )
    return cursor.rowcount


async def relations_among(source: QuerySource, ids: Sequence[int]) -> list[tuple[int, str, int]]:
    """The relations (from id, type, to id) whose both ends are among `ids`, in that order."""
    marks = _marks(ids)
    rows = await source.fetchall(
        f"SELECT from_id, type, to_id FROM relations WHERE from_id IN ({marks}) AND to_id IN ({marks}) "
        "ORDER BY from_id, type, to_id",
        [*ids, *ids],
    )
    return [(int(a), str(t), int(b)) for a, t, b in rows]


# -- links from memories ------------------------------------------------------------------------------


async def link_memory_entity(tx: Transaction, memory: int, entity: int) -> bool:
    """Link a memory (row id) to an entity; False when they were linked already."""
    cursor = await tx.execute(
        "INSERT INTO memory_entities(memory_id, entity_id) VALUES (?, ?) "
        "ON CONFLICT (entity_id, memory_id) DO NOTHING",
        (memory, entity),
    )
    return cursor.rowcount > 0


async def entities_of_memory(source: QuerySource, memory: int) -> list[int]:
    """Ids of the entities a memory (row id) is linked to."""
    rows = await source.fetchall("SELECT entity_id FROM memory_entities WHERE memory_id = ?", (memory,))
    return [int(r[0]) for r in rows]


async def memories_of_entities(source: QuerySource, ids: Sequence[int], limit: int) -> list[int]:
    """Row ids of the live memories linked to any of these entities, newest first; at most `limit`."""
    rows = await source.fetchall(
        f"SELECT me.memory_id FROM memory_entities me JOIN memories m ON m.id = me.memory_id "
        f"WHERE me.entity_id IN ({_marks(ids)}) AND {live('m')} GROUP BY me.memory_id "
        "ORDER BY max(m.created_at) DESC LIMIT ?",
        [*ids, limit],
    )
    return [int(r[0]) for r in rows]


async def memory_rowids(source: QuerySource, memory_filter: MemoryFilter) -> list[int]:
    """Row ids of the memories `memory_filter` lets through, oldest first (what `graph_build` reads)."""
    where, params = memory_filter.sql("m")
    rows = await source.fetchall(f"SELECT m.id FROM memories m WHERE {where} ORDER BY m.id", params)
    return [int(r[0]) for r in rows]
