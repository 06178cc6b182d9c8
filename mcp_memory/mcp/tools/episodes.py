"""Episode tools: episode_start, episode_step, episode_complete, episode_search, episode_patterns."""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import BaseModel, Field

from mcp_memory.limits import MAX_LIMIT
from mcp_memory.mcp.tools._common import READ_ONLY, ToolEntry, app_from, respond, user_errors
from mcp_memory.mcp.tools.args import Project, Tags
from mcp_memory.services.episodes import patterns
from mcp_memory.services.episodes import record as episodes
from mcp_memory.timeparse import format_time

__all__ = ["TOOLS"]

EpisodeId = Annotated[str, Field(description="From episode_start, e.g. 'e_3'.")]
Outcome = Literal["success", "failure", "partial"]


class StartOutput(BaseModel):
    episode_id: str


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
    return respond(StartOutput(episode_id=episode_id), f"Started {episode_id}.")


class StepOutput(BaseModel):
    step: int


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
    return respond(StepOutput(step=number), f"Step {number} recorded.")


class StepOut(BaseModel):
    number: int
    action: str
    result: str | None = None
    ok: bool | None = None
    created_at: str | None = None


class EpisodeOut(BaseModel):
    id: str
    task: str
    outcome: str | None = None
    reward: float | None = None
    lesson: str | None = None
    reflection: str | None = None
    lesson_memory_id: str | None = None
    completed_at: str | None = None
    steps: list[StepOut] = Field(default_factory=list)


def episode_out(e: episodes.Episode) -> EpisodeOut:
    return EpisodeOut(
        id=e.id,
        task=e.task,
        outcome=e.outcome,
        reward=e.reward,
        lesson=e.lesson,
        reflection=e.reflection,
        lesson_memory_id=e.lesson_memory_id,
        completed_at=format_time(e.completed_at),
        steps=[
            StepOut(
                number=s.number,
                action=s.action,
                result=s.result,
                ok=s.ok,
                created_at=format_time(s.created_at),
            )
            for s in e.steps
        ],
    )


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
    the lesson as a memory of kind 'lesson'."""
    app = await app_from(ctx)
    with user_errors():
        episode = await episodes.complete_episode(app, episode_id, outcome, reward=reward, lesson=lesson)
    return respond(episode_out(episode), episode.reflection or "")


class EpisodeHitOut(BaseModel):
    episode: EpisodeOut
    score: float
    why: list[str] = Field(default_factory=list)


class EpisodeSearchOutput(BaseModel):
    results: list[EpisodeHitOut] = Field(default_factory=list)
    notice: str | None = None


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
    out = EpisodeSearchOutput(
        results=[EpisodeHitOut(episode=episode_out(h.episode), score=h.score, why=list(h.why)) for h in hits],
        notice=notice,
    )
    lines = [
        f"{h.episode.id} ({h.episode.outcome}, {h.score:.2f}): {h.episode.task}\n  lesson: {h.episode.lesson}"
        for h in out.results
    ]
    return respond(out, "\n".join(lines) or "No similar episodes.")


class PatternOut(BaseModel):
    kind: str
    description: str
    support: int
    rate: float
    episodes: list[str] = Field(default_factory=list)


class PatternsOutput(BaseModel):
    patterns: list[PatternOut] = Field(default_factory=list)


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
    out = PatternsOutput(
        patterns=[
            PatternOut(
                kind=p.kind,
                description=p.description,
                support=p.support,
                rate=p.rate,
                episodes=list(p.episodes),
            )
            for p in found
        ]
    )
    lines = [f"{p.description} (support {p.support}, rate {p.rate:.0%})" for p in out.patterns]
    return respond(out, "\n".join(lines) or "No recurring patterns yet.")


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
