"""Episodes' rows: an episode (a task, how it ended, its reflection and the vector of its task) and its
numbered steps. Lists (preconditions, tags, a step's files) are stored as JSON text.

Reads take a `QuerySource`, writes a `Transaction`; the episodes service keeps validation, limits and
the public 'e_<n>' ids.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mcp_memory.storage.query import POSTGRES, QuerySource, Transaction

__all__ = [
    "EpisodeRow",
    "Step",
    "completed_episodes",
    "episode_visibility",
    "episodes_of_lesson",
    "fetch_episode",
    "insert_episode",
    "insert_step",
    "insert_steps",
    "last_step",
    "recent_episodes",
    "record_completion",
    "save_episode_vectors",
    "steps_of",
]

_INSERT_STEP = (
    "INSERT INTO episode_steps(episode_id, step, action, result, ok, files, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_COLUMNS = (
    "id, task, context, preconditions, project, tags, outcome, reward, lesson, reflection, "
    "lesson_memory_id, started_at, completed_at, embedding, embedding_model"
)


@dataclass(frozen=True, slots=True)
class Step:
    number: int
    action: str
    result: str | None
    ok: bool | None
    files: tuple[str, ...]
    created_at: float  # epoch seconds, like every stored time; shown as ISO 8601 (`format_time`)


@dataclass(frozen=True, slots=True)
class EpisodeRow:
    """One row of `episodes`; `project` is '' for a global episode, the vector is float32 bytes."""

    id: int
    task: str
    context: str
    preconditions: tuple[str, ...]
    project: str
    tags: tuple[str, ...]
    outcome: str | None
    reward: float | None
    lesson: str | None
    reflection: str | None
    lesson_memory_id: int | None
    started_at: float
    completed_at: float | None
    embedding: bytes | None
    embedding_model: str | None


def _episode_row(row: Any) -> EpisodeRow:
    return EpisodeRow(
        id=int(row["id"]),
        task=str(row["task"]),
        context=str(row["context"]),
        preconditions=tuple(json.loads(row["preconditions"])),
        project=str(row["project"]),
        tags=tuple(json.loads(row["tags"])),
        outcome=row["outcome"],
        reward=row["reward"],
        lesson=row["lesson"],
        reflection=row["reflection"],
        lesson_memory_id=row["lesson_memory_id"],
        started_at=float(row["started_at"]),
        completed_at=row["completed_at"],
        embedding=None if row["embedding"] is None else bytes(row["embedding"]),
        embedding_model=row["embedding_model"],
    )


def _project_clause(projects: Sequence[str] | None) -> tuple[list[str], list[Any]]:
    """The condition keeping episodes of `projects` (None: every project), and its parameters."""
    if projects is None:
        return [], []
    return [f"project IN ({', '.join('?' * len(projects))})"], list(projects)


# -- episodes -----------------------------------------------------------------------------------------


async def insert_episode(
    tx: Transaction,
    *,
    task: str,
    context: str,
    preconditions: Sequence[str],
    project: str,
    tags: Sequence[str],
    started_at: float,
    visibility: str = "team",
) -> int:
    """A new open episode's row id (`visibility`: who may read it on a shared Postgres)."""
    shared = tx.dialect == POSTGRES
    rows = await tx.execute_fetchall(
        f"INSERT INTO episodes(task, context, preconditions, project, tags, started_at"
        f"{', visibility' if shared else ''}) VALUES (?, ?, ?, ?, ?, ?{', ?' if shared else ''}) RETURNING id",
        (
            task,
            context,
            json.dumps(list(preconditions)),
            project,
            json.dumps(list(tags)),
            started_at,
            *((visibility,) if shared else ()),
        ),
    )
    return int(rows[0][0])


async def episode_visibility(source: QuerySource, rowid: int) -> str | None:
    """Who may read the episode on a shared Postgres ('team' or 'private'); None on the SQLite file."""
    if source.dialect != POSTGRES:
        return None
    rows = await source.fetchall("SELECT visibility FROM episodes WHERE id = ?", (rowid,))
    return str(rows[0][0]) if rows else None


async def fetch_episode(source: QuerySource, rowid: int) -> EpisodeRow | None:
    """The episode with this row id, or None."""
    rows = await source.fetchall(f"SELECT {_COLUMNS} FROM episodes WHERE id = ?", (rowid,))
    return _episode_row(rows[0]) if rows else None


async def recent_episodes(
    source: QuerySource, projects: Sequence[str] | None, limit: int
) -> list[EpisodeRow]:
    """Episodes of `projects` (None: all), newest first; at most `limit`."""
    clauses, params = _project_clause(projects)
    where = f"WHERE {' AND '.join(clauses)} " if clauses else ""
    rows = await source.fetchall(
        f"SELECT {_COLUMNS} FROM episodes {where}ORDER BY started_at DESC, id DESC LIMIT ?", [*params, limit]
    )
    return [_episode_row(r) for r in rows]


async def episodes_of_lesson(source: QuerySource, memory_id: int, limit: int) -> list[EpisodeRow]:
    """The episodes whose lesson became the memory `memory_id`, newest first; at most `limit`."""
    rows = await source.fetchall(
        f"SELECT {_COLUMNS} FROM episodes WHERE lesson_memory_id = ? ORDER BY started_at DESC, id DESC LIMIT ?",
        [memory_id, limit],
    )
    return [_episode_row(r) for r in rows]


async def completed_episodes(
    source: QuerySource, projects: Sequence[str] | None, outcome: str | None, limit: int
) -> list[EpisodeRow]:
    """Completed episodes of `projects` (None: all), with `outcome` if given, most recently completed
    first; at most `limit`."""
    clauses, params = _project_clause(projects)
    clauses.insert(0, "completed_at IS NOT NULL")
    if outcome:
        clauses.append("outcome = ?")
        params.append(outcome)
    rows = await source.fetchall(
        f"SELECT {_COLUMNS} FROM episodes WHERE {' AND '.join(clauses)} ORDER BY completed_at DESC LIMIT ?",
        [*params, limit],
    )
    return [_episode_row(r) for r in rows]


async def record_completion(
    tx: Transaction,
    rowid: int,
    *,
    outcome: str,
    reward: float | None,
    lesson: str,
    reflection: str,
    lesson_memory_id: int | None,
    completed_at: float,
    embedding: bytes | None,
    embedding_model: str | None,
) -> None:
    """Close an episode: how it ended, its reflection, its lesson's memory and its task's vector."""
    await tx.execute(
        "UPDATE episodes SET outcome = ?, reward = ?, lesson = ?, reflection = ?, lesson_memory_id = ?, "
        "completed_at = ?, embedding = ?, embedding_model = ? WHERE id = ?",
        (
            outcome,
            reward,
            lesson,
            reflection,
            lesson_memory_id,
            completed_at,
            embedding,
            embedding_model,
            rowid,
        ),
    )


async def save_episode_vectors(tx: Transaction, vectors: Mapping[int, bytes], model: str) -> None:
    """Store the vectors of episodes' tasks (by row id), made by `model`."""
    await tx.executemany(
        "UPDATE episodes SET embedding = ?, embedding_model = ? WHERE id = ?",
        [(vector, model, rowid) for rowid, vector in vectors.items()],
    )


# -- steps --------------------------------------------------------------------------------------------


async def last_step(source: QuerySource, episode: int) -> int:
    """The number of an episode's last step; 0 before its first."""
    rows = await source.fetchall(
        "SELECT coalesce(max(step), 0) FROM episode_steps WHERE episode_id = ?", (episode,)
    )
    return int(rows[0][0])


async def insert_step(
    tx: Transaction,
    episode: int,
    number: int,
    *,
    action: str,
    result: str | None,
    ok: bool | None,
    files: Sequence[str],
    at: float,
) -> None:
    """Record step `number` of an episode."""
    await tx.execute(
        _INSERT_STEP,
        (episode, number, action, result, None if ok is None else int(ok), json.dumps(list(files)), at),
    )


async def insert_steps(tx: Transaction, episode: int, steps: Sequence[Step]) -> None:
    """Record these steps of an episode (an import writes an exported episode's steps at once)."""
    await tx.executemany(
        _INSERT_STEP,
        [
            (
                episode,
                s.number,
                s.action,
                s.result,
                None if s.ok is None else int(s.ok),
                json.dumps(list(s.files)),
                s.created_at,
            )
            for s in steps
        ],
    )


async def steps_of(source: QuerySource, episodes: Sequence[int]) -> dict[int, list[Step]]:
    """The steps of these episodes (by row id), in order; an episode without steps is left out."""
    if not episodes:
        return {}
    rows = await source.fetchall(
        f"SELECT episode_id, step, action, result, ok, files, created_at FROM episode_steps "
        f"WHERE episode_id IN ({', '.join('?' * len(episodes))}) ORDER BY episode_id, step",
        list(episodes),
    )
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
