"""Recurring patterns across completed episodes: actions that tend to fail, and consecutive steps
that tend to appear in successful episodes, each with its support and the episodes behind it."""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Literal

from mcp_memory.errors import InvalidInput
from mcp_memory.services.app import App
from mcp_memory.services.episodes.record import list_episodes, short_text

__all__ = ["Pattern", "episode_patterns", "normalize_action"]


@dataclass(frozen=True, slots=True)
class Pattern:
    kind: Literal["failing_action", "successful_sequence"]
    description: str
    support: int
    rate: float
    episodes: tuple[str, ...]


_PATHLIKE = re.compile(r"\S*[/\\]\S*|\S+\.\w{1,5}\b")
_NUMBER = re.compile(r"\b\d+(?:\.\d+)*\b")


def normalize_action(action: str) -> str:
    """An action reduced to its gist, so 'run pytest tests/a.py' and 'Run pytest tests/b.py' match."""
    text = _NUMBER.sub("<n>", _PATHLIKE.sub("<path>", action.lower()))
    return " ".join(text.split()[:5])


async def episode_patterns(app: App, *, project: str | None = None, min_support: int = 2) -> list[Pattern]:
    """Recurring patterns across completed episodes: actions that tend to fail, and consecutive step
    pairs that tend to appear in successful episodes; each with its support and episodes."""
    if min_support < 1:
        raise InvalidInput("min_support must be at least 1.")
    episodes = [
        e for e in await list_episodes(app, project=project, limit=10_000) if e.completed_at is not None
    ]
    failing: dict[str, Counter[str]] = defaultdict(Counter)
    attempts: dict[str, set[str]] = defaultdict(set)
    failures: dict[str, set[str]] = defaultdict(set)
    sequences: dict[tuple[str, str], set[str]] = defaultdict(set)
    for episode in episodes:
        gists = [normalize_action(s.action) for s in episode.steps]
        for step, gist in zip(episode.steps, gists, strict=True):
            attempts[gist].add(episode.id)
            if step.ok is False:
                failures[gist].add(episode.id)
                failing[gist][step.action] += 1
        for pair in itertools.pairwise(gists):
            sequences[pair].add(episode.id)
    outcome = {e.id: e.outcome for e in episodes}
    patterns: list[Pattern] = []
    for gist, failed in failures.items():
        rate = len(failed) / len(attempts[gist])
        if len(failed) >= min_support and rate >= 0.5:
            example = failing[gist].most_common(1)[0][0]
            patterns.append(
                Pattern(
                    "failing_action",
                    f"'{short_text(example, 80)}' tends to fail",
                    len(failed),
                    round(rate, 2),
                    tuple(sorted(failed)),
                )
            )
    for (first, second), members in sequences.items():
        succeeded = {e for e in members if outcome[e] == "success"}
        rate = len(succeeded) / len(members)
        if len(succeeded) >= min_support and rate >= 0.5 and first != second:
            patterns.append(
                Pattern(
                    "successful_sequence",
                    f"'{first}' then '{second}' tends to succeed",
                    len(succeeded),
                    round(rate, 2),
                    tuple(sorted(succeeded)),
                )
            )
    patterns.sort(key=lambda p: (-p.support, -p.rate, p.description))
    return patterns
