"""Episodes: what an agent tried for a task, step by step, how it ended, and what it learned.

Completing an episode writes a reflection without a language model (what was tried, what failed and
how, what finally worked, the lesson) and stores the lesson as a memory of kind `lesson`.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from mcp_memory import relevance
from mcp_memory.errors import InvalidInput, LimitExceeded, NotFound
from mcp_memory.limits import MAX_EPISODE_STEPS as _MAX_STEPS
from mcp_memory.limits import MAX_EPISODE_TEXT as _MAX_TEXT
from mcp_memory.limits import MAX_LIMIT, clean_tags
from mcp_memory.projects import scope_for, stored_project
from mcp_memory.services.app import App
from mcp_memory.services.memories.store import format_id, prepare_memory, redact_tags, scrub, write_prepared
from mcp_memory.storage import QuerySource
from mcp_memory.storage.query import Transaction
from mcp_memory.timeparse import format_time

__all__ = [
    "Episode",
    "EpisodeHit",
    "Step",
    "add_step",
    "complete_episode",
    "get_episode",
    "list_episodes",
    "search_episodes",
    "short_text",
    "start_episode",
]

Outcome = Literal["success", "failure", "partial"]
OUTCOMES = ("success", "failure", "partial")
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True, slots=True)
class Step:
    number: int
    action: str
    result: str | None
    ok: bool | None
    files: tuple[str, ...]
    at: float


@dataclass(frozen=True, slots=True)
class Episode:
    id: str
    task: str
    context: str
    preconditions: tuple[str, ...]
    project: str | None
    tags: tuple[str, ...]
    outcome: str | None
    reward: float | None
    lesson: str | None
    reflection: str | None
    lesson_memory_id: str | None
    started_at: float
    completed_at: float | None
    steps: tuple[Step, ...]


def format_episode_id(rowid: int) -> str:
    return f"e_{rowid}"


def _episode_rowid(episode_id: str) -> int:
    text = episode_id.strip()
    if text.startswith("e_"):
        text = text[2:]
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise NotFound(
            f"{episode_id!r} is not an episode id; ids look like 'e_3' (episode_start returns one)."
        )
    return int(text)


def _text(value: str | None, what: str, *, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(f"{what} is empty; describe it in a sentence.")
    if len(text) > _MAX_TEXT:
        raise LimitExceeded(f"{what} is {len(text):,} characters; at most {_MAX_TEXT:,}.")
    return text


async def start_episode(
    app: App,
    task: str,
    *,
    context: str | None = None,
    preconditions: Sequence[str] | None = None,
    project: str | None = None,
    tags: Sequence[str] | None = None,
) -> str:
    """Open an episode for a task; returns its id."""
    task_text = scrub(app, _text(task, "task", required=True))
    context_text = scrub(app, _text(context, "context"))
    conditions = [scrub(app, _text(p, "a precondition", required=True)) for p in preconditions or []]
    tag_list = clean_tags(redact_tags(app, tags)[0])
    proj = stored_project(project, app.default_project)
    now = time.time()

    async def work(conn: Transaction) -> int:
        cursor = await conn.execute(
            "INSERT INTO episodes(task, context, preconditions, project, tags, started_at) VALUES (?, ?, ?, ?, ?, ?)",
            (task_text, context_text, json.dumps(conditions), proj, json.dumps(tag_list), now),
        )
        assert cursor.lastrowid is not None
        return int(cursor.lastrowid)

    return format_episode_id(await app.db.write(work))


async def _open_episode(conn: Transaction, rowid: int, episode_id: str) -> Any:
    rows = list(await conn.execute_fetchall("SELECT * FROM episodes WHERE id = ?", (rowid,)))
    if not rows:
        raise NotFound(f"no episode {episode_id}; episode_start opens one.")
    if rows[0]["completed_at"] is not None:
        raise InvalidInput(
            f"episode {episode_id} is already complete ({rows[0]['outcome']}); start a new one."
        )
    return rows[0]


async def add_step(
    app: App,
    episode_id: str,
    action: str,
    *,
    result: str | None = None,
    ok: bool | None = None,
    files: Sequence[str] | None = None,
) -> int:
    """Record one step (what was done, what came of it, whether it worked); returns its number."""
    rowid = _episode_rowid(episode_id)
    action_text = scrub(app, _text(action, "action", required=True))
    result_text = scrub(app, _text(result, "result")) or None
    file_list = [scrub(app, f.strip()) for f in files or [] if f.strip()][:100]

    async def work(conn: Transaction) -> int:
        await _open_episode(conn, rowid, episode_id)
        rows = list(
            await conn.execute_fetchall(
                "SELECT coalesce(max(step), 0) FROM episode_steps WHERE episode_id = ?", (rowid,)
            )
        )
        number = int(rows[0][0]) + 1
        if number > _MAX_STEPS:
            raise LimitExceeded(
                f"episode {episode_id} has {_MAX_STEPS} steps already; complete it and start another."
            )
        await conn.execute(
            "INSERT INTO episode_steps(episode_id, step, action, result, ok, files, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                rowid,
                number,
                action_text,
                result_text,
                None if ok is None else int(ok),
                json.dumps(file_list),
                time.time(),
            ),
        )
        return number

    return await app.db.write(work)


def short_text(text: str | None, limit: int = 160) -> str:
    value = " ".join((text or "").split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def reflect(task: str, steps: Sequence[Step], outcome: str, lesson: str | None) -> tuple[str, str]:
    """The reflection text and the lesson (given, or derived from the steps)."""
    failed = [s for s in steps if s.ok is False]
    worked = [s for s in steps if s.ok is True]
    last_failure = max((s.number for s in failed), default=0)
    finally_worked = [s for s in worked if s.number > last_failure] or worked[-1:]
    lines = [f"Task: {short_text(task, 300)}", f"Outcome: {outcome}."]
    if steps:
        lines.append(
            f"Tried {len(steps)} step(s): "
            + "; ".join(
                f"{s.number}. {short_text(s.action, 80)}"
                + ("" if s.ok is None else (" (ok)" if s.ok else " (failed)"))
                for s in steps[:20]
            )
            + ("; …" if len(steps) > 20 else "")
        )
    for s in failed[:10]:
        lines.append(
            f"Failed: {short_text(s.action, 100)}" + (f" — {short_text(s.result, 160)}" if s.result else "")
        )
    if outcome != "failure" and finally_worked:
        lines.append("What worked: " + "; ".join(short_text(s.action, 100) for s in finally_worked[:5]))
    if not lesson:
        subject = short_text(task, 120)
        if outcome == "failure":
            tried = (
                "; ".join(short_text(s.action, 80) for s in (failed or steps)[:3]) or "the attempted approach"
            )
            why = f" ({short_text(failed[0].result, 100)})" if failed and failed[0].result else ""
            lesson = f"For '{subject}': {tried} did not work{why}; try a different approach next time."
        elif failed and finally_worked:
            lesson = (
                f"For '{subject}': {short_text(failed[0].action, 80)} failed"
                + (f" ({short_text(failed[0].result, 100)})" if failed[0].result else "")
                + f"; what worked was {short_text(finally_worked[0].action, 100)}."
            )
        elif finally_worked:
            lesson = (
                f"For '{subject}': "
                + "; then ".join(short_text(s.action, 80) for s in finally_worked[:3])
                + " worked."
            )
        else:
            lesson = f"For '{subject}': ended {outcome} with no recorded steps."
    lines.append(f"Lesson: {lesson}")
    return "\n".join(lines), lesson


async def _steps(source: QuerySource, rowids: Sequence[int]) -> dict[int, list[Step]]:
    if not rowids:
        return {}
    sql = (
        f"SELECT episode_id, step, action, result, ok, files, created_at FROM episode_steps "
        f"WHERE episode_id IN ({', '.join('?' * len(rowids))}) ORDER BY episode_id, step"
    )
    rows = await source.fetchall(sql, list(rowids))
    result: dict[int, list[Step]] = defaultdict(list)
    for r in rows:
        result[int(r[0])].append(
            Step(
                int(r[1]),
                str(r[2]),
                r[3],
                None if r[4] is None else bool(r[4]),
                tuple(json.loads(r[5])),
                float(r[6]),
            )
        )
    return result


def _episode(row: Any, steps: Sequence[Step]) -> Episode:
    return Episode(
        id=format_episode_id(int(row["id"])),
        task=str(row["task"]),
        context=str(row["context"]),
        preconditions=tuple(json.loads(row["preconditions"])),
        project=str(row["project"]) or None,
        tags=tuple(json.loads(row["tags"])),
        outcome=row["outcome"],
        reward=row["reward"],
        lesson=row["lesson"],
        reflection=row["reflection"],
        lesson_memory_id=format_id(int(row["lesson_memory_id"])) if row["lesson_memory_id"] else None,
        started_at=float(row["started_at"]),
        completed_at=row["completed_at"],
        steps=tuple(steps),
    )


async def complete_episode(
    app: App, episode_id: str, outcome: str, *, reward: float | None = None, lesson: str | None = None
) -> Episode:
    """Close an episode with its outcome, write its reflection, and store the lesson as a memory."""
    rowid = _episode_rowid(episode_id)
    if outcome not in OUTCOMES:
        raise InvalidInput(f"outcome {outcome!r} is not valid; use success, failure or partial.")
    if reward is not None and not 0 <= reward <= 1:
        raise InvalidInput(f"reward {reward} is out of range; use 0 (worthless) to 1 (perfect).")
    given = scrub(app, _text(lesson, "lesson")) or None
    row = await app.db.fetchone("SELECT * FROM episodes WHERE id = ?", (rowid,))
    if row is None:
        raise NotFound(f"no episode {episode_id}; episode_start opens one.")
    steps = (await _steps(app.db, [rowid])).get(rowid, [])
    reflection, lesson_text = reflect(str(row["task"]), steps, outcome, given)
    tags = [*json.loads(row["tags"]), "episode", outcome]
    item = prepare_memory(
        app,
        lesson_text,
        tags=tags,
        kind="lesson",
        importance=0.7 if outcome != "success" else 0.6,
        metadata={"episode_id": episode_id, "outcome": outcome},
        project=str(row["project"]) or "global",
    )
    texts = [item.content, f"{row['task']}\n{row['context']}"]
    vectors = await app.embed_for_write(texts) if not app.mismatch else None
    info = app.vector_info
    model = app.embeddings.embedder.model_id if app.embeddings.embedder else None
    now = time.time()

    async def work(conn: Transaction) -> None:
        await _open_episode(conn, rowid, episode_id)
        stored = await write_prepared(conn, item, vectors[0] if vectors else None, info, now)
        await conn.execute(
            "UPDATE episodes SET outcome = ?, reward = ?, lesson = ?, reflection = ?, lesson_memory_id = ?, "
            "completed_at = ?, embedding = ?, embedding_model = ? WHERE id = ?",
            (
                outcome,
                reward,
                lesson_text,
                reflection,
                int(stored.id[2:]),
                now,
                vectors[1] if vectors else None,
                model if vectors else None,
                rowid,
            ),
        )

    await app.db.write(work)
    app.wake_worker()
    return await get_episode(app, episode_id)


async def get_episode(app: App, episode_id: str) -> Episode:
    """One episode with its steps."""
    rowid = _episode_rowid(episode_id)
    row = await app.db.fetchone("SELECT * FROM episodes WHERE id = ?", (rowid,))
    if row is None:
        raise NotFound(f"no episode {episode_id}.")
    return _episode(row, (await _steps(app.db, [rowid])).get(rowid, []))


async def list_episodes(app: App, *, project: str | None = None, limit: int = 20) -> list[Episode]:
    """Episodes newest first, in the usual project scope (steps included)."""
    scope = scope_for(project, app.default_project).projects
    where = "1" if scope is None else f"project IN ({', '.join('?' * len(scope))})"
    rows = await app.db.fetchall(
        f"SELECT * FROM episodes WHERE {where} ORDER BY started_at DESC, id DESC LIMIT ?",
        [*(scope or ()), limit],
    )
    steps = await _steps(app.db, [int(r["id"]) for r in rows])
    return [_episode(r, steps.get(int(r["id"]), [])) for r in rows]


@dataclass(frozen=True, slots=True)
class EpisodeHit:
    episode: Episode
    score: float
    why: tuple[str, ...]
    #: How strongly the episode's task and context answer the query, on search's relevance scale.
    relevance: float = 0.0


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if len(w) > 2}


async def search_episodes(
    app: App,
    query: str,
    *,
    outcome: str | None = None,
    project: str | None = None,
    preconditions: Sequence[str] | None = None,
    limit: int = 5,
) -> tuple[list[EpisodeHit], str | None]:
    """Completed episodes most like `query`, ranked by similarity of task and context (60%), overlap of
    preconditions (15%), recency (15%, half-life 30 days) and outcome/reward (10%)."""
    text = _text(query, "query", required=True)
    if outcome is not None and outcome not in OUTCOMES:
        raise InvalidInput(f"outcome {outcome!r} is not valid; use success, failure or partial.")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit {limit} is out of range; use 1 to {MAX_LIMIT}.")
    scope = scope_for(project, app.default_project).projects
    clauses = ["completed_at IS NOT NULL"]
    params: list[Any] = []
    if scope is not None:
        clauses.append(f"project IN ({', '.join('?' * len(scope))})")
        params.extend(scope)
    if outcome:
        clauses.append("outcome = ?")
        params.append(outcome)
    rows = await app.db.fetchall(
        f"SELECT * FROM episodes WHERE {' AND '.join(clauses)} ORDER BY completed_at DESC LIMIT 5000", params
    )
    if not rows:
        return [], None
    await app.ensure_model()
    notice = None
    similarities: list[float]
    embedder = app.embeddings.embedder
    if app.semantic_ready() and embedder is not None:
        import numpy as np

        missing = [r for r in rows if r["embedding"] is None or r["embedding_model"] != embedder.model_id]
        fresh: dict[int, bytes] = {}
        if missing:
            vectors = await app.embeddings.embed([f"{r['task']}\n{r['context']}" for r in missing])
            fresh = {int(r["id"]): v for r, v in zip(missing, vectors, strict=True)}

            async def save(conn: Transaction) -> None:
                await conn.executemany(
                    "UPDATE episodes SET embedding = ?, embedding_model = ? WHERE id = ?",
                    [(v, embedder.model_id, i) for i, v in fresh.items()],
                )

            await app.db.write(save)
        matrix = np.frombuffer(
            b"".join(fresh.get(int(r["id"])) or bytes(r["embedding"]) for r in rows), dtype="<f4"
        )
        matrix = matrix.reshape(len(rows), -1)
        query_vector = np.frombuffer(await app.embeddings.embed_query(text), dtype="<f4")
        similarities = [float(x) for x in matrix @ query_vector]
    else:
        notice = f"ranked by shared words only: {app.semantic_unavailable_reason()}."
        query_words = _words(text)
        similarities = [
            len(query_words & _words(f"{r['task']} {r['context']}")) / max(len(query_words), 1) for r in rows
        ]
    query_words = _words(text)
    wanted = {w for p in preconditions or [] for w in _words(p)} or query_words
    now = time.time()
    scored = []
    for row, similarity in zip(rows, similarities, strict=True):
        conditions = _words(" ".join(json.loads(row["preconditions"])))
        overlap = len(wanted & conditions) / max(len(conditions), 1) if conditions else 0.0
        age_days = (now - float(row["completed_at"])) / 86400
        recency = math.pow(0.5, age_days / relevance.HALF_LIFE_DAYS)
        result_value = (
            row["reward"]
            if row["reward"] is not None
            else {"success": 1.0, "partial": 0.5}.get(row["outcome"], 0.3)
        )
        score = 0.6 * similarity + 0.15 * overlap + 0.15 * recency + 0.1 * float(result_value)
        why = [f"task similarity {similarity:.2f}"]
        if overlap:
            why.append(f"preconditions overlap {overlap:.2f}")
        why.append(f"{row['outcome']}, completed {format_time(row['completed_at'])}")
        words = _words(f"{row['task']} {row['context']}")
        shared = len(query_words & words) / max(len(query_words), 1)
        semantic = similarity if notice is None else None
        shown = relevance.display(relevance.evidence(semantic, shared))
        scored.append((score, row, tuple(why), shown))
    scored.sort(key=lambda x: -x[0])
    top = scored[:limit]
    steps = await _steps(app.db, [int(r["id"]) for _, r, _, _ in top])
    return [
        EpisodeHit(_episode(r, steps.get(int(r["id"]), [])), round(s, 4), w, shown) for s, r, w, shown in top
    ], notice
