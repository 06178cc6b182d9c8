"""The context builder: one block of text to paste into a prompt, within a token budget.

Order: pinned memories, then the memories relevant to the query above the relevance floor (without
a query: the most important recent ones), then lessons of similar past episodes above the same
floor. No memory appears twice; a question nothing stored answers gets the pins and a line saying
that nothing else matched. Of two relevant memories that state two values for one thing, only the
newer one is shown, with a note naming the older one.
Tokens are counted with the bundled all-MiniLM-L6-v2 WordPiece tokenizer (no special tokens).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mcp_memory.errors import InvalidInput
from mcp_memory.limits import MAX_TOKEN_BUDGET as MAX_BUDGET
from mcp_memory.limits import MIN_TOKEN_BUDGET as MIN_BUDGET
from mcp_memory.services.app import App
from mcp_memory.services.episodes.record import search_episodes
from mcp_memory.services.memories.pins import list_pins
from mcp_memory.services.memories.store import Memory, load_memories, record_access
from mcp_memory.services.search.hybrid import search_memories
from mcp_memory.storage.filters import build_filter
from mcp_memory.storage.ids import rowid_of
from mcp_memory.storage.listings import recently_stored_ids
from mcp_memory.timeparse import format_time

__all__ = ["ContextResult", "build_context", "count_tokens"]

#: Without a query, the most important of this many memories stored last are considered.
_RECENT_READ = 200


@functools.lru_cache(maxsize=1)
def _tokenizer() -> Any:
    from tokenizers import Tokenizer

    from mcp_memory.embeddings.model import TOKENIZER_DIR

    tokenizer = Tokenizer.from_file(str(TOKENIZER_DIR / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def count_tokens(text: str) -> int:
    """Word pieces in `text` by the bundled MiniLM tokenizer."""
    return len(_tokenizer().encode(text, add_special_tokens=False).ids)


@dataclass(frozen=True, slots=True)
class ContextResult:
    text: str
    ids: tuple[str, ...]
    episodes: tuple[str, ...]
    tokens: int
    budget: int


def _line(memory: Memory, replaces: Sequence[str] = ()) -> str:
    tags = f" [{', '.join(memory.tags)}]" if memory.tags else ""
    note = f" (pinned: {memory.pin_note})" if memory.pin_note else ""
    if replaces:
        note += f" (current: replaces the older {', '.join(replaces)}, which stated another value)"
    return f"- {memory.content}{tags}{note} ({memory.id}, {(format_time(memory.created_at) or '')[:10]})"


class _Budget:
    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.used = 0
        self.parts: list[str] = []

    def add(self, text: str) -> bool:
        cost = count_tokens(text + "\n")
        if self.used + cost > self.budget:
            return False
        self.parts.append(text)
        self.used += cost
        return True


async def build_context(
    app: App, *, query: str | None = None, token_budget: int = 2000, project: str | None = None
) -> ContextResult:
    """Assemble the context block; see the module docstring for what goes in and in which order."""
    if not MIN_BUDGET <= token_budget <= MAX_BUDGET:
        raise InvalidInput(
            f"token_budget {token_budget} is out of range; use {MIN_BUDGET} to {MAX_BUDGET:,}."
        )
    text = (query or "").strip() or None
    budget = _Budget(token_budget)
    used: list[str] = []
    seen: set[str] = set()

    def section(
        title: str, memories: list[Memory], replaces: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        fresh = [m for m in memories if m.id not in seen]
        if not fresh or not budget.add(f"## {title}"):
            return
        for memory in fresh:
            if budget.add(_line(memory, (replaces or {}).get(memory.id, ()))):
                seen.add(memory.id)
                used.append(memory.id)

    section("Pinned", await list_pins(app, project))
    if text:
        # The relevance floor holds here as in search: a question nothing stored answers gets the
        # pins and a line saying so, not the nearest unrelated memories.
        found = await search_memories(app, text, limit=30, project=project)
        # Of two memories that state two values for one thing, only the newer one (`outdated_by`).
        replaces: dict[str, list[str]] = {}
        for found_hit in found.hits:
            if found_hit.outdated_by:
                replaces.setdefault(found_hit.outdated_by, []).append(found_hit.memory.id)
        relevant = [h.memory for h in found.hits if h.memory.id not in seen and not h.outdated_by]
        if relevant:
            section("Relevant memories", relevant, replaces)
        else:
            budget.add("## Relevant memories\n(nothing else stored is relevant to this question)")
    else:
        flt = build_filter(default_project=app.default_project, project=project)
        recent = await load_memories(app.db, await recently_stored_ids(app.db, flt, _RECENT_READ))
        ranked = sorted(
            recent.values(),
            key=lambda m: (-(m.importance + (0.1 if m.kind == "lesson" else 0)), -m.created_at),
        )
        section("Recent and important", ranked[:40])
    episode_ids: list[str] = []
    if text:
        hits, _ = await search_episodes(app, text, project=project, limit=5)
        floor = app.settings.min_relevance
        lessons = [
            h
            for h in hits
            if h.episode.lesson and h.episode.lesson_memory_id not in seen and h.relevance >= floor
        ]
        if lessons and budget.add("## Lessons from past episodes"):
            for hit in lessons:
                episode = hit.episode
                line = f"- {episode.lesson} ({episode.outcome}; {episode.id})"
                if budget.add(line):
                    episode_ids.append(episode.id)
                    if episode.lesson_memory_id:
                        seen.add(episode.lesson_memory_id)
                        used.append(episode.lesson_memory_id)
    await record_access(app, [rowid_of(i) for i in used])
    return ContextResult("\n".join(budget.parts), tuple(used), tuple(episode_ids), budget.used, token_budget)
