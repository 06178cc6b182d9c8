"""Episode tools: episode_start, episode_step, episode_complete, episode_search, episode_patterns."""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field

from mcp_memory.limits import MAX_LIMIT
from mcp_memory.mcp.tools._common import READ_ONLY, ToolEntry, app_from, respond, user_errors
from mcp_memory.mcp.tools.args import Project, Tags
from mcp_memory.services.episodes import patterns
from mcp_memory.services.episodes import record as episodes
from mcp_memory.views.episodes import (
    EpisodeOut,
    EpisodeSearchOutput,
    PatternsOutput,
    StartOutput,
    StepOutput,
    complete_view,
    episode_search_view,
    patterns_view,
    start_view,
    step_view,
)

__all__ = ["TOOLS"]

EpisodeId = Annotated[str, Field(description="From episode_start, e.g. 'e_3'.")]
Outcome = Literal["success", "failure", "partial"]


async def episode_start(
    ctx: Context,
    task: Annotated[str, Field(min_length=1, description="What you are trying to do.")],
    context: Annotated[
        str | None, Field(description="Situation: repo state, constraints, error seen.")
    ] = None,
    preconditions: Annotated[
        list[str] | None, Field(description="What held at the start, e.g. 'tests green'.")
    ] = None,
    project: Project = None,
    tags: Tags = None,
) -> Annotated[CallToolResult, StartOutput]:
    """Start recording a task attempt. Record steps with episode_step and finish with episode_complete,
    which writes a reflection and stores the lesson."""
    app = await app_from(ctx)
    with user_errors():
        episode_id = await episodes.start_episode(
            app, task, context=context, preconditions=preconditions, project=project, tags=tags
        )
    return respond(*start_view(episode_id))


async def episode_step(
    ctx: Context,
    episode_id: EpisodeId,
    action: Annotated[str, Field(min_length=1, description="What was done.")],
    result: Annotated[str | None, Field(description="What came of it (error text, output).")] = None,
    ok: Annotated[bool | None, Field(description="Whether it worked.")] = None,
    files: Annotated[list[str] | None, Field(description="Files touched.")] = None,
) -> Annotated[CallToolResult, StepOutput]:
    """Record one step of an open episode: the action, its result, whether it worked."""
    app = await app_from(ctx)
    with user_errors():
        number = await episodes.add_step(app, episode_id, action, result=result, ok=ok, files=files)
    return respond(*step_view(number))


async def episode_complete(
    ctx: Context,
    episode_id: EpisodeId,
    outcome: Annotated[Outcome, Field(description="How it ended.")],
    reward: Annotated[float | None, Field(ge=0, le=1, description="How good the result was, 0..1.")] = None,
    lesson: Annotated[
        str | None, Field(description="The lesson in one sentence; derived from the steps if omitted.")
    ] = None,
) -> Annotated[CallToolResult, EpisodeOut]:
    """Finish an episode: writes a reflection (what was tried, what failed, what worked) and stores
    the lesson as a memory of kind 'lesson'. A failure finished without a lesson keeps the one read
    from its steps in the episode only: pass lesson= to keep what it taught."""
    app = await app_from(ctx)
    with user_errors():
        episode = await episodes.complete_episode(app, episode_id, outcome, reward=reward, lesson=lesson)
    return respond(*complete_view(episode))


async def episode_search(
    ctx: Context,
    query: Annotated[str, Field(min_length=1, description="The task you are about to attempt.")],
    outcome: Annotated[
        Outcome | None, Field(description="Only this outcome; 'failure' finds the lessons.")
    ] = None,
    project: Project = None,
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT, description="Number of episodes.")] = 5,
) -> Annotated[CallToolResult, EpisodeSearchOutput]:
    """Past episodes like the task at hand, ranked by similarity, matching preconditions, recency and
    outcome, each with its lesson. Check before repeating a task."""
    app = await app_from(ctx)
    with user_errors():
        hits, notice = await episodes.search_episodes(
            app, query, outcome=outcome, project=project, limit=limit
        )
    return respond(*episode_search_view(hits, notice))


async def episode_patterns(
    ctx: Context,
    project: Project = None,
    min_support: Annotated[int, Field(ge=1, le=1000, description="Least number of episodes showing it.")] = 2,
) -> Annotated[CallToolResult, PatternsOutput]:
    """Recurring patterns across completed episodes: actions that tend to fail and step sequences
    that tend to succeed, each with its support and episodes."""
    app = await app_from(ctx)
    with user_errors():
        found = await patterns.episode_patterns(app, project=project, min_support=min_support)
    return respond(*patterns_view(found))


_WRITE = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False
)
TOOLS: tuple[ToolEntry, ...] = (
    (episode_start, "Start an episode", _WRITE),
    (episode_step, "Record an episode step", _WRITE),
    (episode_complete, "Complete an episode", _WRITE),
    (episode_search, "Search past episodes", READ_ONLY),
    (episode_patterns, "Episode patterns", READ_ONLY),
)
