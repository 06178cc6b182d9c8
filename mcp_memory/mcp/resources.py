"""MCP resources and prompts.

Resources: `memory://pins`, `memory://recent`, `memory://stats` and `memory://memory/{id}`, as JSON.
Prompts: `recall` (what memory holds for a task, from the context builder) and `save_lessons` (asks
the agent to store what a session taught). Service modules are imported inside the functions, so
registering these costs nothing before `initialize` is answered.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError
from mcp.server.mcpserver.prompts.base import UserMessage

from mcp_memory.errors import MemoryServerError
from mcp_memory.mcp.state import ServerState

__all__ = ["register_resources_and_prompts"]


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


@contextmanager
def _resource_errors() -> Iterator[None]:
    """Report a service error as the resource read's error, message unchanged."""
    try:
        yield
    except MemoryServerError as exc:
        raise ResourceError(str(exc)) from exc


def register_resources_and_prompts(server: MCPServer[Any], state: ServerState) -> None:
    """Add the resources and prompts to `server`; they read the App from `state`."""
    _register_resources(server, state)
    _register_prompts(server, state)


def _register_resources(server: MCPServer[Any], state: ServerState) -> None:
    """`memory://pins`, `memory://recent`, `memory://stats` and `memory://memory/{id}`."""

    @server.resource(
        "memory://pins",
        name="pins",
        title="Pinned memories",
        mime_type="application/json",
        description="Pinned memories of the current project and global ones.",
    )
    async def pins_resource() -> str:
        from mcp_memory.services.memories.pins import list_pins
        from mcp_memory.views.models import memory_brief

        with _resource_errors():
            found = await list_pins(state.app)
        return _json([memory_brief(m).model_dump(mode="json") for m in found])

    @server.resource(
        "memory://recent",
        name="recent",
        title="Recent memories",
        mime_type="application/json",
        description="The 20 newest memories of the current project and global ones.",
    )
    async def recent_resource() -> str:
        from mcp_memory.services.memories.store import recent_memories
        from mcp_memory.views.models import memory_brief

        with _resource_errors():
            found = await recent_memories(state.app, limit=20)
        return _json([memory_brief(m).model_dump(mode="json") for m in found])

    @server.resource(
        "memory://stats",
        name="stats",
        title="Memory statistics",
        mime_type="application/json",
        description="Counts by kind, project and tag; database size; model and index state.",
    )
    async def stats_resource() -> str:
        from dataclasses import asdict

        from mcp_memory.services.maintenance.stats import collect_stats

        with _resource_errors():
            return _json(asdict(await collect_stats(state.app)))

    @server.resource(
        "memory://memory/{id}",
        name="memory",
        title="One memory",
        mime_type="application/json",
        description="One memory by id (e.g. memory://memory/m_12), whole, with its history.",
    )
    async def memory_resource(id: str) -> str:
        from mcp_memory.services.memories.store import get_memories
        from mcp_memory.views.models import memory_out

        with _resource_errors():
            result = await get_memories(state.app, [id], include_history=True)
        if not result.memories:
            raise ResourceError(f"no memory {id}; memory_search finds ids.")
        return _json(memory_out(result.memories[0], with_history=True).model_dump(mode="json"))


def _register_prompts(server: MCPServer[Any], state: ServerState) -> None:
    """`recall` and `save_lessons`."""

    @server.prompt(
        name="recall",
        title="Recall what is known for a task",
        description="What memory holds for a task: pinned rules, relevant memories, lessons of similar past attempts.",
    )
    async def recall(task: str) -> list[UserMessage]:
        from mcp_memory.services.search.context import build_context

        try:
            block = await build_context(state.app, query=task, token_budget=2000)
        except MemoryServerError as exc:
            raise ValueError(str(exc)) from exc
        known = block.text or "(nothing stored yet for this project)"
        return [
            UserMessage(
                f"Task: {task}\n\nWhat long-term memory holds that may matter for it:\n\n{known}\n\n"
                "Use what applies. If something here looks outdated or wrong, say so and correct it with memory_update."
            )
        ]

    @server.prompt(
        name="save_lessons",
        title="Save the lessons of this session",
        description="Asks the agent to store what this session taught: decisions, fixes, preferences, conventions.",
    )
    async def save_lessons(focus: str | None = None) -> list[UserMessage]:
        extra = f" Focus on: {focus}." if focus else ""
        return [
            UserMessage(
                "Before we finish, save what this session taught that a future session would need and could not "
                f"easily rediscover.{extra}\n"
                "1. For each decision (with its reason), user preference, project convention, root cause with the fix "
                "that worked, or command that works: call memory_search first; if a memory already covers it, "
                "memory_update it; otherwise memory_store one self-contained fact with 2-4 tags and a kind (decision, "
                "preference, fact, lesson).\n"
                "2. If we worked through a task with several attempts, record it: episode_start, an episode_step per "
                "attempt (ok true/false), then episode_complete with the outcome and the lesson.\n"
                "3. Never store secrets, whole files, or things that are only true for today.\n"
                "Reply with the ids you stored or updated."
            )
        ]
