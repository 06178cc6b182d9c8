"""Views of knowledge-graph results: upserts, links, subgraphs, deletions, builds."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from mcp_memory.previews import preview
from mcp_memory.services.graph.entities import DeleteGraphResult, Subgraph, UpsertResult
from mcp_memory.services.graph.extraction import BuildResult
from mcp_memory.views.models import MemoryBrief, memory_brief
from mcp_memory.views.render import count

__all__ = [
    "BuildOutput",
    "EntityOut",
    "GraphDeleteOutput",
    "LinkOutput",
    "RelationOut",
    "SubgraphOutput",
    "UpsertOutput",
    "build_view",
    "graph_delete_view",
    "link_view",
    "subgraph_view",
    "upsert_view",
]


class UpsertOutput(BaseModel):
    entities_created: int
    entities_updated: int
    observations_added: int
    relations_created: int


class LinkOutput(BaseModel):
    links: int
    entities_created: int


class EntityOut(BaseModel):
    name: str
    type: str
    observations: list[str] = Field(default_factory=list)


class RelationOut(BaseModel):
    # `from` and `to` as the tools' arguments name a relation's ends (a docstring would enter the schema).
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)
    source: str = Field(alias="from")
    target: str = Field(alias="to")
    type: str


class SubgraphOutput(BaseModel):
    entities: list[EntityOut] = Field(default_factory=list)
    relations: list[RelationOut] = Field(default_factory=list)
    memories: list[MemoryBrief] = Field(default_factory=list)
    truncated: bool = False


class GraphDeleteOutput(BaseModel):
    entities: int
    relations: int
    observations: int


class BuildOutput(BaseModel):
    memories: int
    entities_created: int
    links: int


def upsert_view(r: UpsertResult) -> tuple[UpsertOutput, str]:
    out = UpsertOutput(
        entities_created=r.entities_created,
        entities_updated=r.entities_updated,
        observations_added=r.observations_added,
        relations_created=r.relations_created,
    )
    return out, (
        f"{count(out.entities_created, 'entity')} created, {out.entities_updated} updated, "
        f"{count(out.observations_added, 'observation')} added, "
        f"{count(out.relations_created, 'relation')} created."
    )


def link_view(links: int, created: int) -> tuple[LinkOutput, str]:
    return LinkOutput(links=links, entities_created=created), f"{count(links, 'link')} made."


def subgraph_view(sub: Subgraph) -> tuple[SubgraphOutput, str]:
    out = SubgraphOutput(
        entities=[
            EntityOut(name=e.name, type=e.type, observations=list(e.observations)) for e in sub.entities
        ],
        relations=[
            RelationOut.model_validate({"from": r.source, "to": r.target, "type": r.type})
            for r in sub.relations
        ],
        memories=[memory_brief(m) for m in sub.memories],
        truncated=sub.truncated,
    )
    lines = [f"{e.name} ({e.type})" + "".join(f"\n  - {o}" for o in e.observations) for e in out.entities]
    lines += [f"{r.source} -{r.type}-> {r.target}" for r in out.relations]
    lines += [f"[{m.id}] {preview(m.content, 200)}" for m in out.memories]
    return out, "\n".join(lines) or "Nothing found."


def graph_delete_view(r: DeleteGraphResult) -> tuple[GraphDeleteOutput, str]:
    out = GraphDeleteOutput(entities=r.entities, relations=r.relations, observations=r.observations)
    return out, (
        f"Deleted {count(out.entities, 'entity')}, {count(out.relations, 'relation')}, "
        f"{count(out.observations, 'observation')}."
    )


def build_view(r: BuildResult) -> tuple[BuildOutput, str]:
    out = BuildOutput(memories=r.memories, entities_created=r.entities_created, links=r.links)
    return out, (
        f"Read {count(out.memories, 'memory')}: {count(out.entities_created, 'new entity')}, "
        f"{count(out.links, 'link')}."
    )
