"""Knowledge-graph tools: graph_upsert, graph_link, graph_query, graph_delete, graph_build."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import BaseModel, ConfigDict, Field

from mcp_memory.limits import MAX_GRAPH_DEPTH, MAX_GRAPH_ITEMS
from mcp_memory.mcp.tools._common import READ_ONLY, ToolEntry, app_from, respond, user_errors
from mcp_memory.mcp.tools.args import OptionalIds, Project
from mcp_memory.services.graph import entities as graph
from mcp_memory.services.graph import extraction
from mcp_memory.views.graph import (
    BuildOutput,
    GraphDeleteOutput,
    LinkOutput,
    SubgraphOutput,
    UpsertOutput,
    build_view,
    graph_delete_view,
    link_view,
    subgraph_view,
    upsert_view,
)

__all__ = ["TOOLS"]


class EntityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="Unique name (case-insensitive).")
    type: str = Field(description="e.g. person, service, library, file.")
    observations: list[str] = Field(default_factory=list, description="Short facts about it.")


class RelationIn(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")
    source: str = Field(alias="from", description="Entity name.")
    target: str = Field(alias="to", description="Entity name.")
    type: str = Field(description="In active voice, e.g. uses, depends_on.")

    def as_mapping(self) -> dict[str, str]:
        return {"from": self.source, "to": self.target, "type": self.type}


class ObservationsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    observations: list[str]


async def graph_upsert(
    ctx: Context,
    entities: Annotated[
        list[EntityIn] | None, Field(max_length=MAX_GRAPH_ITEMS, description="Entities to create or extend.")
    ] = None,
    relations: Annotated[
        list[RelationIn] | None, Field(max_length=MAX_GRAPH_ITEMS, description="Directed relations.")
    ] = None,
) -> Annotated[CallToolResult, UpsertOutput]:
    """Add entities (name, type, observations) and relations (from -type-> to) to the knowledge graph.
    Existing entities get new observations; existing relations are kept; missing endpoints are created."""
    app = await app_from(ctx)
    with user_errors():
        result = await graph.upsert_graph(
            app, [e.model_dump() for e in entities or []], [r.as_mapping() for r in relations or []]
        )
    return respond(*upsert_view(result))


async def graph_link(
    ctx: Context,
    memory_id: Annotated[str, Field(description="The memory, e.g. 'm_12'.")],
    entities: Annotated[
        list[str],
        Field(
            min_length=1, max_length=MAX_GRAPH_ITEMS, description="Entity names; missing ones are created."
        ),
    ],
) -> Annotated[CallToolResult, LinkOutput]:
    """Link a memory to entities, so graph_query on them returns it."""
    app = await app_from(ctx)
    with user_errors():
        links, created = await graph.link_memory(app, memory_id, entities)
    return respond(*link_view(links, created))


async def graph_query(
    ctx: Context,
    name: Annotated[str | None, Field(description="Start from this entity.")] = None,
    memory_id: Annotated[
        str | None, Field(description="Start from the entities linked to this memory.")
    ] = None,
    query: Annotated[
        str | None, Field(description="Start from entities whose name, type or observations contain this.")
    ] = None,
    depth: Annotated[
        int, Field(ge=0, le=MAX_GRAPH_DEPTH, description="Hops to follow, either direction.")
    ] = 1,
) -> Annotated[CallToolResult, SubgraphOutput]:
    """The subgraph around an entity, a memory's entities, or a text match, within `depth` hops:
    entities with observations, relations among them, and linked memories. Give one of name,
    memory_id, query."""
    app = await app_from(ctx)
    with user_errors():
        sub = await graph.query_graph(app, name=name, memory_id=memory_id, query=query, depth=depth)
    return respond(*subgraph_view(sub))


async def graph_delete(
    ctx: Context,
    entities: Annotated[list[str] | None, Field(description="Entity names (their relations go too).")] = None,
    relations: Annotated[list[RelationIn] | None, Field(description="Relations to delete.")] = None,
    observations: Annotated[
        list[ObservationsIn] | None, Field(description="{name, observations} to delete.")
    ] = None,
) -> Annotated[CallToolResult, GraphDeleteOutput]:
    """Delete entities (with their relations and links), relations, or single observations."""
    app = await app_from(ctx)
    with user_errors():
        result = await graph.delete_graph(
            app,
            entities or [],
            [r.as_mapping() for r in relations or []],
            [o.model_dump() for o in observations or []],
        )
    return respond(*graph_delete_view(result))


async def graph_build(
    ctx: Context, ids: OptionalIds = None, project: Project = None
) -> Annotated[CallToolResult, BuildOutput]:
    """Fill the graph from memories without an LLM: code identifiers, file paths, URLs, packages and
    capitalised names become entities linked to the memories that mention them. On a shared team
    database the entities are the team's: a private memory is only linked to names it already has."""
    app = await app_from(ctx)
    with user_errors():
        result = await extraction.build_graph(app, ids=ids, project=project)
    return respond(*build_view(result))


_ADD = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)
TOOLS: tuple[ToolEntry, ...] = (
    (graph_upsert, "Add to the graph", _ADD),
    (graph_link, "Link a memory to entities", _ADD),
    (graph_query, "Query the graph", READ_ONLY),
    (
        graph_delete,
        "Delete from the graph",
        ToolAnnotations(
            read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=False
        ),
    ),
    (graph_build, "Build the graph from memories", _ADD),
)
