"""One search result: the memory, its relevance and the signals that put it there."""

from __future__ import annotations

from dataclasses import dataclass

from mcp_memory.services.memories.records import Memory

__all__ = ["SearchHit"]


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One result: the memory, its relevance (0..1, the same scale for every question:
    `mcp_memory.relevance`) and the signals that put it there."""

    memory: Memory
    relevance: float
    why: tuple[str, ...]
    similarity: float | None
    #: A newer result of the same answer states another value for this one's fact: its id.
    outdated_by: str | None = None
