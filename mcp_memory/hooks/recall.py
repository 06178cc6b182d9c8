"""What the hooks put into the agent's context.

- `session_block`: at session start, a compact block for the session's project within a token
  budget: pinned memories, then (after a compaction) what this session stored, then the decisions,
  conventions, preferences and lessons most worth knowing (importance, recency, use; a lesson
  counts its importance once it has been read or its failure has come back, so a new one never
  leads the decisions, and one that keeps being needed ranks higher), then the
  lessons of recent failed or partial episodes. Each line carries its id for memory_get.
- `served_prompt`: with a prompt, the few memories relevant to it (at most PROMPT_MAX), never one
  this session has already seen, found by the hybrid search of a running server of this user and
  database (`mcp_memory.local_socket`: its model finds a memory that shares no word with the
  prompt; `services.search.prompt_recall` is what it runs), with search's own relevance and floor;
  None when no server answers in time. The hook then opens no database at all.
- `prompt_memories`: the same without a server. A hook cannot embed the prompt (no model on the
  prompt path), so relevance here is the keyword evidence alone: the IDF-weighted
  share of the prompt's informative words a memory holds, on search's scale (`mcp_memory.relevance`),
  which tops out near 0.5: only a memory holding most of what the prompt names gets in, and most
  prompts inject nothing. The words are weighed, matched and found held by the keyword stage's own
  code (`storage.keywords`, over the hook's connection through `storage.inline`).

Tokens are estimated at four characters each (the tokenizer would cost an import).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

from mcp_memory import relevance
from mcp_memory.hooks.db import HookDatabase, HookSession
from mcp_memory.previews import preview
from mcp_memory.services.search.prompt_recall import PROMPT_MAX
from mcp_memory.storage import hook_context
from mcp_memory.storage.filters import build_filter
from mcp_memory.storage.ids import format_id
from mcp_memory.storage.inline import run_now
from mcp_memory.storage.keywords import POSTINGS_BUDGET, best_matches, word_stats, words_held_exactly

# The hooks stem prompts with the keyword index's tokenizer (`tests/test_keywords.py` checks the name).
from mcp_memory.storage.keywords import TOKENIZER as TOKENIZER
from mcp_memory.storage.memories import rows_by_id

TYPE_CHECKING = False  # typing is not imported at run time: a hook process starts faster
if TYPE_CHECKING:
    from typing import Any

    from mcp_memory.config import Settings

__all__ = [
    "PROMPT_MAX",
    "preview_session_block",
    "prompt_block",
    "prompt_memories",
    "served_prompt",
    "session_block",
]

#: Kinds the session-start block lists after the pins, in this order of preference on equal merit.
_WORTH_KNOWING = ("decision", "convention", "preference", "lesson")
#: Rows read for the pins and for this session's memories, and the candidates for the merit ranking.
_SECTION_ROWS = 50
_RANKED_ROWS = 400
#: Episodes whose lessons the block lists: failed or partial ones completed within these days.
_LESSON_OUTCOMES = ("failure", "partial")
_LESSON_DAYS = 30
_LESSON_ROWS = 5
#: The importance an unused lesson counts with in the merit ranking: just under a memory's default.
_UNUSED_LESSON = 0.45
_LINE_CHARS = 300
_CHARS_PER_TOKEN = 4
#: Prompt words matched at most (a long prompt's first distinct informative words).
_MAX_TERMS = 32
#: The keyword query ranks this many of the index's best matches; this many that pass the filter
#: are scored.
_RANKED_MATCHES = 200
_CANDIDATES = 30


def _line(content: str, ident: str, extra: str = "") -> str:
    return f"- {preview(' '.join(content.split()), _LINE_CHARS)} ({ident}{extra})"


#: Of the memories a block would show, this many are checked against each other for changed facts.
_CHECKED = 40


def _newest_only(items: Sequence[tuple[int, str, float]]) -> tuple[list[int], dict[int, list[int]]]:
    """Of `items` (id, content, when stated), the positions to show, leaving out each one a newer
    item states another value for (the fact check of search's `outdated_by`, without vectors: a
    hook has no model); and for each newest one shown, the ids of the older ones it replaces."""
    if len(items) < 2:
        return list(range(len(items))), {}
    from mcp_memory.services.memories.fact_changes import changed_pairs, newest_of

    checked = items[:_CHECKED]
    newer_of = newest_of(changed_pairs([(c, w) for _, c, w in checked]), [w for _, _, w in checked])
    replaces: dict[int, list[int]] = {}
    for older, newer in newer_of.items():
        replaces.setdefault(checked[newer][0], []).append(checked[older][0])
    return [i for i in range(len(items)) if i not in newer_of], replaces


def _replaces_note(older: Sequence[int]) -> str:
    return f"; current, replaces the older {', '.join(format_id(i) for i in older)}" if older else ""


class _Budget:
    def __init__(self, tokens: int) -> None:
        self.left = tokens * _CHARS_PER_TOKEN
        self.lines: list[str] = []

    def add(self, line: str) -> bool:
        if len(line) + 1 > self.left:
            return False
        self.lines.append(line)
        self.left -= len(line) + 1
        return True


def session_block(
    conn: HookDatabase, hook: HookSession, *, budget_tokens: int, compacted: bool
) -> tuple[str, list[int]]:
    """The session-start block and the ids of the memories in it ('' when nothing is stored)."""
    now = time.time()
    reader = conn.reader
    flt = build_filter(default_project=hook.project)
    budget = _Budget(budget_tokens)
    used: list[int] = []
    label = hook.project or "global memories"
    budget.add(
        f"Long-term memory (mcp-memory) for {label}; memory_get <id> gives a memory whole, memory_search finds more."
    )
    header_only = len(budget.lines)

    def section(title: str, rows: Sequence[Any], extra: str = "") -> None:
        fresh = [r for r in rows if int(r["id"]) not in used]
        # Of two memories that state two values for one thing, only the newer one, with a note.
        keep, replaces = _newest_only(
            [(int(r["id"]), str(r["content"]), float(r["created_at"])) for r in fresh]
        )
        fresh = [fresh[i] for i in keep]
        if not fresh or not budget.add(title):
            return
        for row in fresh:
            note = f"; pinned: {row['pin_note']}" if extra == "pin" and row["pin_note"] else ""
            note += _replaces_note(replaces.get(int(row["id"]), ()))
            kind = "" if extra == "pin" else f", {row['kind']}"
            if budget.add(_line(str(row["content"]), format_id(int(row["id"])), kind + note)):
                used.append(int(row["id"]))

    section("Pinned:", run_now(hook_context.pinned(reader, flt, _SECTION_ROWS)), "pin")
    if compacted:
        mine = run_now(hook_context.stored_since(reader, flt, hook.started_at, _SECTION_ROWS))
        section("Stored in this session:", mine)
    rows = run_now(hook_context.worth_knowing(reader, flt, _WORTH_KNOWING, _RANKED_ROWS))

    def merit(row: Any) -> float:
        age_days = max(0.0, (now - float(row["created_at"])) / 86400)
        recency = math.pow(0.5, age_days / relevance.HALF_LIFE_DAYS)
        reads = int(row["access_count"])
        # A hook lesson whose failure came back (and was fixed the same way) counts each time as
        # two reads: a fix that keeps being needed is worth knowing.
        recurrences = int(row["recurrences"] or 0)
        use = min(1.0, math.log1p(reads + 2 * recurrences) / math.log(20))
        importance = float(row["importance"])
        if row["kind"] == "lesson" and not reads and not recurrences:
            # A lesson earns its place by being used or by recurring: until then it ranks as a
            # default memory would, just under one (a lesson is stored at 0.6-0.7 by the hooks and
            # episodes).
            importance = min(importance, _UNUSED_LESSON)
        return 0.6 * importance + 0.25 * recency + 0.15 * use

    ranked = sorted(rows, key=lambda r: (-merit(r), _WORTH_KNOWING.index(str(r["kind"])), -int(r["id"])))
    section("Decisions, conventions, preferences and lessons:", ranked)
    episodes = run_now(
        hook_context.recent_lessons(
            reader, hook.project, _LESSON_OUTCOMES, now - _LESSON_DAYS * 86400, _LESSON_ROWS
        )
    )
    fresh = [e for e in episodes if e["lesson_memory_id"] is None or int(e["lesson_memory_id"]) not in used]
    if fresh and budget.add("Lessons of recent failed attempts:"):
        for episode in fresh:
            added = budget.add(_line(str(episode["lesson"]), f"e_{episode['id']}", f", {episode['outcome']}"))
            if added and episode["lesson_memory_id"] is not None:
                used.append(int(episode["lesson_memory_id"]))
    if len(budget.lines) == header_only:
        return "", []
    return "\n".join(budget.lines), used


def preview_session_block(settings: Settings, *, project: str | None) -> str:
    """The block a new session of `project` would start with (None: the settings' project, else the
    working directory's), exactly as the SessionStart hook builds it; '' with nothing to show. For
    the Cursor rules file and the viewer's preview."""
    from mcp_memory.hooks import db
    from mcp_memory.projects import project_from_path, stored_project

    conn = db.open_database(settings)
    if conn is None:
        return ""
    try:
        where = stored_project(
            project if project is not None else settings.project, project_from_path(settings.cwd)
        )
        hook = db.HookSession("preview", where, 0.0, [], 0, None, 0)
        return session_block(conn, hook, budget_tokens=settings.hook_budget_tokens, compacted=False)[0]
    finally:
        conn.close()


def prompt_memories(
    conn: HookDatabase, hook: HookSession, prompt: str, *, floor: float
) -> list[tuple[int, str, float]]:
    """(id, content, relevance) of the memories relevant to `prompt`, best first, at most PROMPT_MAX."""
    terms = relevance.query_terms(prompt)[:_MAX_TERMS]
    if not terms:
        return []
    reader = conn.reader
    # Weighed among the memories there are: FTS5's own N (`word_stats`' default) is not lowered when
    # a row leaves this contentless_delete index, so it also counts deleted and rewritten memories.
    rows = max(1, run_now(hook_context.live_count(reader)))
    stats = run_now(word_stats(reader, terms, rows=rows))
    # A word held by more memories than the keyword stage's budget, or by half of them, is left out
    # of the query (it scores next to nothing and would make FTS5 rank every memory holding it); its
    # weight still counts in the coverage.
    searchable = [w for w in stats.words if 0 < stats.held[w] <= POSTINGS_BUDGET and 2 * stats.held[w] < rows]
    if not searchable or sum(stats.weights.values()) <= 0:
        return []
    flt = build_filter(default_project=hook.project)
    found = run_now(best_matches(reader, searchable, flt, ranked=_RANKED_MATCHES, limit=_CANDIDATES))
    candidates = [(rowid, content) for rowid, content in found if rowid not in hook.injected]
    if not candidates:
        return []
    held = run_now(words_held_exactly(reader, stats, [rowid for rowid, _ in candidates])).found
    scored = []
    for rowid, content in candidates:
        holds = [w for w in stats.words if w in held[rowid]]
        shown = relevance.display(relevance.evidence(None, relevance.coverage(stats.weights, holds)))
        if shown >= floor:
            scored.append((rowid, content, shown))
    scored.sort(key=lambda item: (-item[2], -item[0]))
    # Of two that state two values for one thing, the newer (stored later) alone.
    top = scored[: PROMPT_MAX + 2]
    stored = run_now(rows_by_id(reader, [rowid for rowid, _, _ in top])) if len(top) > 1 else {}
    when = {rowid: float(row["created_at"]) for rowid, row in stored.items()}
    keep, _ = _newest_only([(rowid, content, when.get(rowid, float(rowid))) for rowid, content, _ in top])
    return [top[i] for i in keep][:PROMPT_MAX]


def served_prompt(
    settings: Settings, session_id: str, client: str, project: str, prompt: str, *, floor: float
) -> list[tuple[int, str, float]] | None:
    """(id, content, relevance) of the memories a running server of this database brings into the
    session for `prompt` (`services.search.prompt_recall`: its hybrid search, the session's record
    of what it was shown, the unasked rule), best first; None when no server answers within the
    socket's wait or its model is not loaded (the caller falls back to `prompt_memories`). No
    database is opened here."""
    from mcp_memory.local_socket import ask

    request = {
        "op": "prompt",
        "session_id": session_id,
        "client": client,
        "project": project,
        "query": prompt,
        "min_relevance": floor,
    }
    answer = ask(settings, request)
    hits = answer.get("hits") if answer is not None else None
    if not isinstance(hits, list):
        return None
    found: list[tuple[int, str, float]] = []
    for hit in hits:
        if not isinstance(hit, dict):
            continue
        ident, content, score = hit.get("id"), hit.get("content"), hit.get("relevance")
        if isinstance(ident, int) and isinstance(content, str) and isinstance(score, int | float):
            found.append((ident, content, float(score)))
    return found[:PROMPT_MAX]


def prompt_block(found: Sequence[tuple[int, str, float]]) -> str:
    """The text a prompt's memories enter the context as."""
    lines = ["Memories that may bear on this prompt (mcp-memory; memory_get <id> for more):"]
    lines += [_line(content, format_id(ident), f", relevance {score:.2f}") for ident, content, score in found]
    return "\n".join(lines)
