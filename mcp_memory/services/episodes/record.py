"""Episodes: what an agent tried for a task, step by step, how it ended, and what it learned.

Completing an episode writes a reflection without a language model (what was tried, what failed and
how, what finally worked, the lesson) and stores the lesson as a memory of kind `lesson`.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from mcp_memory import relevance
from mcp_memory.errors import InvalidInput, LimitExceeded, NotFound, Operation
from mcp_memory.limits import MAX_EPISODE_STEPS as _MAX_STEPS
from mcp_memory.limits import MAX_EPISODE_TEXT as _MAX_TEXT
from mcp_memory.limits import MAX_LIMIT, clean_tags
from mcp_memory.previews import preview
from mcp_memory.projects import scope_for, stored_project
from mcp_memory.services.app import App
from mcp_memory.services.memories.store import prepare_memory, redact_tags, resolve_id, scrub, write_prepared
from mcp_memory.storage import episodes as episode_rows
from mcp_memory.storage.episodes import EpisodeRow, Step
from mcp_memory.storage.ids import format_id, rowid_of
from mcp_memory.storage.query import Transaction
from mcp_memory.timeparse import format_time

__all__ = [
    "Episode",
    "EpisodeHit",
    "Step",
    "add_step",
    "complete_episode",
    "episodes_behind",
    "get_episode",
    "list_episodes",
    "search_episodes",
    "short_text",
    "start_episode",
]

Outcome = Literal["success", "failure", "partial"]
OUTCOMES = ("success", "failure", "partial")
_WORD = re.compile(r"[a-z0-9]+")
#: What an outcome is worth in an episode's rank when it was completed without a reward.
_RESULT_VALUE = {"success": 1.0, "partial": 0.5}
#: The most recently completed episodes a search ranks, at most.
_SEARCHED = 5000


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
            f"{episode_id!r} is not an episode id; ids look like 'e_3' (",
            Operation("episode_start"),
            " returns one).",
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
        return await episode_rows.insert_episode(
            conn,
            task=task_text,
            context=context_text,
            preconditions=conditions,
            project=proj,
            tags=tag_list,
            started_at=now,
            visibility=app.settings.visibility,
        )

    return format_episode_id(await app.db.write(work))


async def _open_episode(conn: Transaction, rowid: int, episode_id: str) -> EpisodeRow:
    row = await episode_rows.fetch_episode(conn, rowid)
    if row is None:
        raise NotFound(f"no episode {episode_id}; ", Operation("episode_start"), " opens one.")
    if row.completed_at is not None:
        raise InvalidInput(f"episode {episode_id} is already complete ({row.outcome}); start a new one.")
    return row


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
        number = await episode_rows.last_step(conn, rowid) + 1
        if number > _MAX_STEPS:
            raise LimitExceeded(
                f"episode {episode_id} has {_MAX_STEPS} steps already; complete it and start another."
            )
        await episode_rows.insert_step(
            conn,
            rowid,
            number,
            action=action_text,
            result=result_text,
            ok=ok,
            files=file_list,
            at=time.time(),
        )
        return number

    return await app.db.write(work)


def short_text(text: str | None, limit: int = 160) -> str:
    return preview(" ".join((text or "").split()), limit)


def _tried(steps: Sequence[Step]) -> str:
    """The line listing the steps tried (the first 20), each marked ok or failed when known."""
    return (
        f"Tried {len(steps)} step(s): "
        + "; ".join(
            f"{s.number}. {short_text(s.action, 80)}"
            + ("" if s.ok is None else (" (ok)" if s.ok else " (failed)"))
            for s in steps[:20]
        )
        + ("; …" if len(steps) > 20 else "")
    )


def _derived_lesson(
    task: str, outcome: str, steps: Sequence[Step], failed: Sequence[Step], finally_worked: Sequence[Step]
) -> str:
    """A lesson read from the steps, for an episode completed without one."""
    subject = short_text(task, 120)
    if outcome == "failure":
        tried = "; ".join(short_text(s.action, 80) for s in (failed or steps)[:3]) or "the attempted approach"
        why = f" ({short_text(failed[0].result, 100)})" if failed and failed[0].result else ""
        return f"For '{subject}': {tried} did not work{why}; try a different approach next time."
    if failed and finally_worked:
        return (
            f"For '{subject}': {short_text(failed[0].action, 80)} failed"
            + (f" ({short_text(failed[0].result, 100)})" if failed[0].result else "")
            + f"; what worked was {short_text(finally_worked[0].action, 100)}."
        )
    if finally_worked:
        return (
            f"For '{subject}': "
            + "; then ".join(short_text(s.action, 80) for s in finally_worked[:3])
            + " worked."
        )
    return f"For '{subject}': ended {outcome} with no recorded steps."


def reflect(task: str, steps: Sequence[Step], outcome: str, lesson: str | None) -> tuple[str, str]:
    """The reflection text and the lesson (given, or derived from the steps)."""
    failed = [s for s in steps if s.ok is False]
    worked = [s for s in steps if s.ok is True]
    last_failure = max((s.number for s in failed), default=0)
    finally_worked = [s for s in worked if s.number > last_failure] or worked[-1:]
    lines = [f"Task: {short_text(task, 300)}", f"Outcome: {outcome}."]
    if steps:
        lines.append(_tried(steps))
    lines += [
        f"Failed: {short_text(s.action, 100)}" + (f" — {short_text(s.result, 160)}" if s.result else "")
        for s in failed[:10]
    ]
    if outcome != "failure" and finally_worked:
        lines.append("What worked: " + "; ".join(short_text(s.action, 100) for s in finally_worked[:5]))
    if not lesson:
        lesson = _derived_lesson(task, outcome, steps, failed, finally_worked)
    lines.append(f"Lesson: {lesson}")
    return "\n".join(lines), lesson


def _episode(row: EpisodeRow, steps: Sequence[Step]) -> Episode:
    return Episode(
        id=format_episode_id(row.id),
        task=row.task,
        context=row.context,
        preconditions=row.preconditions,
        project=row.project or None,
        tags=row.tags,
        outcome=row.outcome,
        reward=row.reward,
        lesson=row.lesson,
        reflection=row.reflection,
        lesson_memory_id=format_id(row.lesson_memory_id) if row.lesson_memory_id else None,
        started_at=row.started_at,
        completed_at=row.completed_at,
        steps=tuple(steps),
    )


async def complete_episode(
    app: App,
    episode_id: str,
    outcome: str,
    *,
    reward: float | None = None,
    lesson: str | None = None,
    remember: bool = True,
) -> Episode:
    """Close an episode with its outcome, write its reflection, and store the lesson as a memory
    (`remember`). A failure completed without a lesson keeps the lesson read from its steps in the
    episode only: "X did not work" teaches nothing worth a memory of its own."""
    rowid = _episode_rowid(episode_id)
    if outcome not in OUTCOMES:
        raise InvalidInput(f"outcome {outcome!r} is not valid; use success, failure or partial.")
    if reward is not None and not 0 <= reward <= 1:
        raise InvalidInput(f"reward {reward} is out of range; use 0 (worthless) to 1 (perfect).")
    given = scrub(app, _text(lesson, "lesson")) or None
    row = await episode_rows.fetch_episode(app.db, rowid)
    if row is None:
        raise NotFound(f"no episode {episode_id}; ", Operation("episode_start"), " opens one.")
    steps = (await episode_rows.steps_of(app.db, [rowid])).get(rowid, [])
    reflection, lesson_text = reflect(row.task, steps, outcome, given)
    # The lesson is as private as the episode it comes from.
    visibility = await episode_rows.episode_visibility(app.db, rowid)
    item = prepare_memory(
        app,
        lesson_text,
        tags=[*row.tags, "episode", outcome],
        kind="lesson",
        importance=0.7 if outcome != "success" else 0.6,
        metadata={"episode_id": episode_id, "outcome": outcome},
        project=row.project or "global",
        visibility=visibility,
    )
    keep = remember and (given is not None or outcome != "failure")
    texts = [item.content, f"{row.task}\n{row.context}"] if keep else [f"{row.task}\n{row.context}"]
    vectors = await app.embed_for_write(texts) if not app.mismatch else None
    info = app.vector_info
    model = app.embeddings.embedder.model_id if app.embeddings.embedder else None
    now = time.time()

    async def work(conn: Transaction) -> None:
        await _open_episode(conn, rowid, episode_id)
        stored = (
            await write_prepared(conn, item, vectors[0] if vectors else None, info, now) if keep else None
        )
        await episode_rows.record_completion(
            conn,
            rowid,
            outcome=outcome,
            reward=reward,
            lesson=lesson_text,
            reflection=reflection,
            lesson_memory_id=rowid_of(stored.id) if stored is not None else None,
            completed_at=now,
            embedding=vectors[-1] if vectors else None,
            embedding_model=model if vectors else None,
        )

    await app.db.write(work)
    app.wake_worker()
    return await get_episode(app, episode_id)


async def get_episode(app: App, episode_id: str) -> Episode:
    """One episode with its steps."""
    rowid = _episode_rowid(episode_id)
    row = await episode_rows.fetch_episode(app.db, rowid)
    if row is None:
        raise NotFound(f"no episode {episode_id}.")
    return _episode(row, (await episode_rows.steps_of(app.db, [rowid])).get(rowid, []))


async def list_episodes(app: App, *, project: str | None = None, limit: int = 20) -> list[Episode]:
    """Episodes newest first, in the usual project scope (steps included)."""
    scope = scope_for(project, app.default_project).projects
    rows = await episode_rows.recent_episodes(app.db, scope, limit)
    steps = await episode_rows.steps_of(app.db, [r.id for r in rows])
    return [_episode(r, steps.get(r.id, [])) for r in rows]


async def episodes_behind(app: App, memory_id: str, *, limit: int = 10) -> list[Episode]:
    """The episodes whose lesson is the memory `memory_id` (steps included), newest first."""
    rows = await episode_rows.episodes_of_lesson(app.db, resolve_id(memory_id), limit)
    steps = await episode_rows.steps_of(app.db, [r.id for r in rows])
    return [_episode(r, steps.get(r.id, [])) for r in rows]


@dataclass(frozen=True, slots=True)
class EpisodeHit:
    episode: Episode
    score: float
    why: tuple[str, ...]
    #: How strongly the episode's task and context answer the query, on search's relevance scale.
    relevance: float = 0.0


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if len(w) > 2}


async def _task_vectors(app: App, rows: Sequence[EpisodeRow], model: str) -> list[bytes]:
    """The vector of each episode's task and context by `model`: the stored one, or made now (and
    stored) for an episode without one or with another model's."""
    vectors = {r.id: r.embedding for r in rows if r.embedding is not None and r.embedding_model == model}
    missing = [r for r in rows if r.id not in vectors]
    if missing:
        made = await app.embeddings.embed([f"{r.task}\n{r.context}" for r in missing])
        fresh = {r.id: v for r, v in zip(missing, made, strict=True)}

        async def save(conn: Transaction) -> None:
            await episode_rows.save_episode_vectors(conn, fresh, model)

        await app.db.write(save)
        vectors.update(fresh)
    return [vectors[r.id] for r in rows]


async def _similarities(app: App, rows: Sequence[EpisodeRow], text: str) -> tuple[list[float], str | None]:
    """How like `text` each episode's task and context is (cosine of vectors, or the share of the
    query's words it has when vectors cannot be used), and the notice saying so in that case."""
    embedder = app.embeddings.embedder
    if not app.semantic_ready() or embedder is None:
        query_words = _words(text)
        shares = [len(query_words & _words(f"{r.task} {r.context}")) / max(len(query_words), 1) for r in rows]
        return shares, f"ranked by shared words only: {app.semantic_unavailable_reason()}."
    import numpy as np

    vectors = await _task_vectors(app, rows, embedder.model_id)
    matrix = np.frombuffer(b"".join(vectors), dtype="<f4").reshape(len(rows), -1)
    query_vector = np.frombuffer(await app.embeddings.embed_query(text), dtype="<f4")
    return [float(x) for x in matrix @ query_vector], None


@dataclass(frozen=True, slots=True)
class _Scored:
    score: float
    row: EpisodeRow
    why: tuple[str, ...]
    relevance: float


def _score(
    row: EpisodeRow, similarity: float, semantic: bool, query_words: set[str], wanted: set[str], now: float
) -> _Scored:
    """An episode's rank: task similarity 60%, preconditions overlap 15%, recency 15%, result 10%."""
    conditions = _words(" ".join(row.preconditions))
    overlap = len(wanted & conditions) / max(len(conditions), 1) if conditions else 0.0
    assert row.completed_at is not None  # only completed episodes are searched
    age_days = (now - float(row.completed_at)) / 86400
    recency = math.pow(0.5, age_days / relevance.HALF_LIFE_DAYS)
    result_value = row.reward if row.reward is not None else _RESULT_VALUE.get(row.outcome or "", 0.3)
    score = 0.6 * similarity + 0.15 * overlap + 0.15 * recency + 0.1 * float(result_value)
    why = [f"task similarity {similarity:.2f}"]
    if overlap:
        why.append(f"preconditions overlap {overlap:.2f}")
    why.append(f"{row.outcome}, completed {format_time(row.completed_at)}")
    shared = len(query_words & _words(f"{row.task} {row.context}")) / max(len(query_words), 1)
    shown = relevance.display(relevance.evidence(similarity if semantic else None, shared))
    return _Scored(score, row, tuple(why), shown)


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
    rows = await episode_rows.completed_episodes(app.db, scope, outcome, _SEARCHED)
    if not rows:
        return [], None
    await app.ensure_model()
    similarities, notice = await _similarities(app, rows, text)
    query_words = _words(text)
    wanted = {w for p in preconditions or [] for w in _words(p)} or query_words
    now = time.time()
    scored = [
        _score(row, similarity, notice is None, query_words, wanted, now)
        for row, similarity in zip(rows, similarities, strict=True)
    ]
    scored.sort(key=lambda hit: -hit.score)
    top = scored[:limit]
    steps = await episode_rows.steps_of(app.db, [hit.row.id for hit in top])
    return [
        EpisodeHit(_episode(hit.row, steps.get(hit.row.id, [])), round(hit.score, 4), hit.why, hit.relevance)
        for hit in top
    ], notice
