"""What the hooks put into the agent's context.

- `session_block`: at session start, a compact block for the session's project within a token
  budget: pinned memories, then (after a compaction) what this session stored, then the decisions,
  conventions, preferences and lessons most worth knowing (importance, recency, use), then the
  lessons of recent failed or partial episodes. Each line carries its id for memory_get.
- `prompt_memories`: with a prompt, the few memories relevant to it (at most PROMPT_MAX), only above
  search's relevance floor, never one this session has already seen. A hook cannot embed the prompt
  (no model on the prompt path), so relevance here is the keyword evidence alone: the IDF-weighted
  share of the prompt's informative words a memory holds, on search's scale (`mcp_memory.relevance`),
  which tops out near 0.5: only a memory holding most of what the prompt names gets in, and most
  prompts inject nothing.

Tokens are estimated at four characters each (the tokenizer would cost an import).
"""

from __future__ import annotations

import math
import sqlite3
import time
from collections.abc import Sequence

from mcp_memory import relevance
from mcp_memory.hooks.db import HookSession, live_clause, scope
from mcp_memory.previews import preview

__all__ = ["PROMPT_MAX", "prompt_block", "prompt_memories", "session_block"]

#: At most this many memories enter the context with one prompt.
PROMPT_MAX = 3
#: Kinds the session-start block lists after the pins, in this order of preference on equal merit.
_WORTH_KNOWING = ("decision", "convention", "preference", "lesson")
_LINE_CHARS = 300
_CHARS_PER_TOKEN = 4
_HALF_LIFE_DAYS = 30.0
#: Prompt words matched at most (a long prompt's first distinct informative words).
_MAX_TERMS = 32
#: A word held by more memories than this is left out of the keyword query (it scores next to nothing
#: and would make FTS5 rank every memory holding it); its weight still counts in the coverage.
_POSTINGS_BUDGET = 4000


def _line(content: str, ident: str, extra: str = "") -> str:
    return f"- {preview(' '.join(content.split()), _LINE_CHARS)} ({ident}{extra})"


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
    conn: sqlite3.Connection, hook: HookSession, *, budget_tokens: int, compacted: bool
) -> tuple[str, list[int]]:
    """The session-start block and the ids of the memories in it ('' when nothing is stored)."""
    now = time.time()
    where, params = scope(hook.project)
    live = live_clause()
    budget = _Budget(budget_tokens)
    used: list[int] = []
    label = hook.project or "global memories"
    budget.add(
        f"Long-term memory (mcp-memory) for {label}; memory_get <id> gives a memory whole, memory_search finds more."
    )
    header_only = len(budget.lines)

    def section(title: str, rows: Sequence[sqlite3.Row], extra: str = "") -> None:
        fresh = [r for r in rows if int(r["id"]) not in used]
        if not fresh or not budget.add(title):
            return
        for row in fresh:
            note = f"; pinned: {row['pin_note']}" if extra == "pin" and row["pin_note"] else ""
            kind = "" if extra == "pin" else f", {row['kind']}"
            if budget.add(_line(str(row["content"]), f"m_{row['id']}", kind + note)):
                used.append(int(row["id"]))

    pins = conn.execute(
        f"SELECT id, content, kind, pin_note FROM memories m WHERE m.pinned = 1 AND {live} AND {where} "
        "ORDER BY m.importance DESC, m.id DESC LIMIT 50",
        [now, *params],
    ).fetchall()
    section("Pinned:", pins, "pin")
    if compacted:
        mine = conn.execute(
            f"SELECT id, content, kind FROM memories m WHERE m.created_at >= ? AND {live} AND {where} "
            "ORDER BY m.id LIMIT 50",
            [hook.started_at, now, *params],
        ).fetchall()
        section("Stored in this session:", mine)
    marks = ", ".join("?" * len(_WORTH_KNOWING))
    rows = conn.execute(
        f"SELECT id, content, kind, importance, created_at, access_count FROM memories m "
        f"WHERE m.kind IN ({marks}) AND m.pinned = 0 AND {live} AND {where} "
        "ORDER BY m.importance DESC, m.created_at DESC LIMIT 400",
        [*_WORTH_KNOWING, now, *params],
    ).fetchall()

    def merit(row: sqlite3.Row) -> float:
        age_days = max(0.0, (now - float(row["created_at"])) / 86400)
        recency = math.pow(0.5, age_days / _HALF_LIFE_DAYS)
        use = min(1.0, math.log1p(int(row["access_count"])) / math.log(20))
        return 0.6 * float(row["importance"]) + 0.25 * recency + 0.15 * use

    ranked = sorted(rows, key=lambda r: (-merit(r), _WORTH_KNOWING.index(str(r["kind"])), -int(r["id"])))
    section("Decisions, conventions, preferences and lessons:", ranked)
    episodes = conn.execute(
        "SELECT id, lesson, outcome, lesson_memory_id FROM episodes WHERE outcome IN ('failure', 'partial') "
        "AND lesson IS NOT NULL AND completed_at > ? AND project IN (?, '') ORDER BY completed_at DESC LIMIT 5",
        (now - 30 * 86400, hook.project),
    ).fetchall()
    fresh = [e for e in episodes if e["lesson_memory_id"] is None or int(e["lesson_memory_id"]) not in used]
    if fresh and budget.add("Lessons of recent failed attempts:"):
        for episode in fresh:
            added = budget.add(_line(str(episode["lesson"]), f"e_{episode['id']}", f", {episode['outcome']}"))
            if added and episode["lesson_memory_id"] is not None:
                used.append(int(episode["lesson_memory_id"]))
    if len(budget.lines) == header_only:
        return "", []
    return "\n".join(budget.lines), used


#: The keyword index's tokenizer (`storage.keywords.TOKENIZER`, not imported: that would load the
#: server's connection layer on the prompt path); `tests/test_keywords.py` checks they agree.
TOKENIZER = "porter unicode61 remove_diacritics 2"


def _prepare_scratch(conn: sqlite3.Connection) -> None:
    conn.execute(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.hook_words USING fts5(word, tokenize = '{TOKENIZER}')"
    )
    conn.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.hook_words_vocab USING fts5vocab(temp, hook_words, 'instance')"
    )
    conn.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.hook_index_vocab USING fts5vocab(main, memories_fts, 'row')"
    )


def _stems(conn: sqlite3.Connection, texts: Sequence[str]) -> list[set[str]]:
    """Each text's stems, as the keyword index's tokenizer makes them."""
    conn.execute("DELETE FROM temp.hook_words")
    conn.executemany(
        "INSERT INTO temp.hook_words(rowid, word) VALUES (?, ?)", list(enumerate(texts, start=1))
    )
    found: list[set[str]] = [set() for _ in texts]
    for doc, term in conn.execute("SELECT doc, term FROM temp.hook_words_vocab"):
        found[int(doc) - 1].add(str(term))
    return found


def prompt_memories(
    conn: sqlite3.Connection, hook: HookSession, prompt: str, *, floor: float
) -> list[tuple[int, str, float]]:
    """(id, content, relevance) of the memories relevant to `prompt`, best first, at most PROMPT_MAX."""
    terms = relevance.query_terms(prompt)[:_MAX_TERMS]
    if not terms:
        return []
    _prepare_scratch(conn)
    word_stems = _stems(conn, terms)
    stems = sorted({s for group in word_stems for s in group})
    if not stems:
        return []
    marks = ", ".join("?" * len(stems))
    counts = {
        str(t): int(d)
        for t, d in conn.execute(
            f"SELECT term, doc FROM temp.hook_index_vocab WHERE term IN ({marks})", stems
        )
    }
    rows_total = max(
        1, int(conn.execute("SELECT count(*) FROM memories WHERE deleted_at IS NULL").fetchone()[0])
    )
    weights: dict[str, float] = {}
    held_by: dict[str, int] = {}
    for term, group in zip(terms, word_stems, strict=True):
        held = min((counts.get(s, 0) for s in group), default=0)
        held_by[term] = held
        weights[term] = relevance.word_weight(rows_total, held)
    total = sum(weights.values())
    searchable = [t for t in terms if 0 < held_by[t] <= _POSTINGS_BUDGET and 2 * held_by[t] < rows_total]
    if not searchable or total <= 0:
        return []
    match = " OR ".join('"' + t.replace('"', '""') + '"' for t in searchable)
    where, params = scope(hook.project)
    candidates = conn.execute(
        "SELECT m.id, m.content, (SELECT group_concat(tag, ' ') FROM memory_tags t WHERE t.memory_id = m.id) AS tags "
        "FROM (SELECT rowid, rank FROM memories_fts WHERE memories_fts MATCH ? ORDER BY rank LIMIT 200) f "
        f"JOIN memories m ON m.id = f.rowid WHERE {live_clause()} AND {where} ORDER BY f.rank LIMIT 30",
        [match, time.time(), *params],
    ).fetchall()
    candidates = [c for c in candidates if int(c["id"]) not in hook.injected]
    if not candidates:
        return []
    held_stems = _stems(conn, [f"{c['content']} {c['tags'] or ''}" for c in candidates])
    scored = []
    for row, have in zip(candidates, held_stems, strict=True):
        holds = [t for t, g in zip(terms, word_stems, strict=True) if g and g <= have]
        shown = relevance.display(relevance.evidence(None, relevance.coverage(weights, holds)))
        if shown >= floor:
            scored.append((int(row["id"]), str(row["content"]), shown))
    scored.sort(key=lambda item: (-item[2], -item[0]))
    return scored[:PROMPT_MAX]


def prompt_block(found: Sequence[tuple[int, str, float]]) -> str:
    """The text a prompt's memories enter the context as."""
    lines = ["Memories that may bear on this prompt (mcp-memory; memory_get <id> for more):"]
    lines += [_line(content, f"m_{ident}", f", relevance {score:.2f}") for ident, content, score in found]
    return "\n".join(lines)
