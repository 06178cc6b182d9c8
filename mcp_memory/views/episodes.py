"""Views of episode results: starting, stepping, completing, searching, patterns, and the listing
and detail the command line shows."""

from __future__ import annotations

from pydantic import BaseModel, Field

from mcp_memory.services.episodes.patterns import Pattern
from mcp_memory.services.episodes.record import Episode, EpisodeHit
from mcp_memory.storage.episodes import Step
from mcp_memory.timeparse import format_time

__all__ = [
    "EpisodeDetail",
    "EpisodeHitOut",
    "EpisodeOut",
    "EpisodeSearchOutput",
    "EpisodesOutput",
    "PatternOut",
    "PatternsOutput",
    "StartOutput",
    "StepOut",
    "StepOutput",
    "complete_view",
    "episode_detail_view",
    "episode_out",
    "episode_search_view",
    "episodes_view",
    "patterns_view",
    "start_view",
    "step_view",
]


class StartOutput(BaseModel):
    episode_id: str


class StepOutput(BaseModel):
    step: int


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


class EpisodeHitOut(BaseModel):
    episode: EpisodeOut
    score: float
    why: list[str] = Field(default_factory=list)


class EpisodeSearchOutput(BaseModel):
    results: list[EpisodeHitOut] = Field(default_factory=list)
    notice: str | None = None


class PatternOut(BaseModel):
    kind: str
    description: str
    support: int
    rate: float
    episodes: list[str] = Field(default_factory=list)


class PatternsOutput(BaseModel):
    patterns: list[PatternOut] = Field(default_factory=list)


class StepDetail(StepOut):
    files: list[str] = Field(default_factory=list)


class EpisodeDetail(EpisodeOut):
    """An episode whole, as `episodes --show` prints it: what the tools return, and where it started."""

    context: str | None = None
    preconditions: list[str] = Field(default_factory=list)
    project: str | None = None
    tags: list[str] = Field(default_factory=list)
    started_at: str | None = None
    steps: list[StepDetail] = Field(default_factory=list)  # type: ignore[assignment]


class EpisodesOutput(BaseModel):
    episodes: list[EpisodeDetail] = Field(default_factory=list)
    count: int


def _step_out(s: Step) -> StepOut:
    return StepOut(
        number=s.number, action=s.action, result=s.result, ok=s.ok, created_at=format_time(s.created_at)
    )


def episode_out(e: Episode) -> EpisodeOut:
    return EpisodeOut(
        id=e.id,
        task=e.task,
        outcome=e.outcome,
        reward=e.reward,
        lesson=e.lesson,
        reflection=e.reflection,
        lesson_memory_id=e.lesson_memory_id,
        completed_at=format_time(e.completed_at),
        steps=[_step_out(s) for s in e.steps],
    )


def _episode_detail(e: Episode) -> EpisodeDetail:
    brief = episode_out(e).model_dump(exclude={"steps"})
    return EpisodeDetail(
        **brief,
        context=e.context or None,
        preconditions=list(e.preconditions),
        project=e.project,
        tags=list(e.tags),
        started_at=format_time(e.started_at),
        steps=[StepDetail(**_step_out(s).model_dump(), files=list(s.files)) for s in e.steps],
    )


def start_view(episode_id: str) -> tuple[StartOutput, str]:
    return StartOutput(episode_id=episode_id), f"Started {episode_id}."


def step_view(number: int) -> tuple[StepOutput, str]:
    return StepOutput(step=number), f"Step {number} recorded."


def complete_view(e: Episode) -> tuple[EpisodeOut, str]:
    return episode_out(e), e.reflection or ""


def episode_search_view(hits: list[EpisodeHit], notice: str | None) -> tuple[EpisodeSearchOutput, str]:
    out = EpisodeSearchOutput(
        results=[EpisodeHitOut(episode=episode_out(h.episode), score=h.score, why=list(h.why)) for h in hits],
        notice=notice,
    )
    lines = [
        f"{h.episode.id} ({h.episode.outcome}, {h.score:.2f}): {h.episode.task}\n  lesson: {h.episode.lesson}"
        for h in out.results
    ]
    return out, "\n".join(lines) or "No similar episodes."


def patterns_view(found: list[Pattern]) -> tuple[PatternsOutput, str]:
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
    return out, "\n".join(lines) or "No recurring patterns yet."


def episode_detail_view(e: Episode) -> tuple[EpisodeDetail, str]:
    """One episode with its steps and reflection."""
    steps = [
        f"  {s.number}. {s.action}"
        + ("" if s.ok is None else (" [ok]" if s.ok else " [failed]"))
        + (f" -> {s.result}" if s.result else "")
        for s in e.steps
    ]
    text = "\n".join([f"{e.id} {e.outcome or 'open'}: {e.task}", *steps, e.reflection or "(not completed)"])
    return _episode_detail(e), text


def episodes_view(found: list[Episode]) -> tuple[EpisodesOutput, str]:
    """Episodes newest first, one line each."""
    out = EpisodesOutput(episodes=[_episode_detail(e) for e in found], count=len(found))
    lines = [
        f"{e.id} {(format_time(e.started_at) or '')[:10]} {e.outcome or 'open':8} {e.task}" for e in found
    ]
    return out, "\n".join(lines) or "No episodes yet."
