"""Episodes: steps, completion with a reflection and a lesson memory, search and patterns."""

from __future__ import annotations

import pytest

from mcp_memory.errors import InvalidInput, NotFound
from mcp_memory.services.app import App
from mcp_memory.services.episodes.patterns import episode_patterns, normalize_action
from mcp_memory.services.episodes.record import (
    add_step,
    complete_episode,
    search_episodes,
    start_episode,
)
from mcp_memory.services.memories.store import get_memories
from mcp_memory.services.search.hybrid import search_memories

pytestmark = pytest.mark.anyio


async def _episode(
    app: App, task: str, steps: list[tuple[str, str, bool]], outcome: str, **kw: object
) -> str:
    eid = await start_episode(app, task, **kw)  # type: ignore[arg-type]
    for action, result, ok in steps:
        await add_step(app, eid, action, result=result, ok=ok)
    await complete_episode(app, eid, outcome)
    return eid


@pytest.fixture
def app(engine_app: App) -> App:
    """Every test here runs on both engines."""
    return engine_app


async def test_completion_reflects_and_stores_the_lesson(app: App) -> None:
    """The reflection names what failed and what worked; the lesson is a memory of kind lesson."""
    eid = await start_episode(
        app, "fix the flaky login test", context="CI only", preconditions=["postgres running"], tags=["ci"]
    )
    assert await add_step(app, eid, "rerun pytest tests/test_login.py", result="still flaky", ok=False) == 1
    assert await add_step(app, eid, "freeze time with freezegun", result="passes 50/50", ok=True) == 2
    episode = await complete_episode(app, eid, "success", reward=0.9)
    assert episode.outcome == "success"
    assert episode.reflection is not None
    assert "Failed: rerun pytest tests/test_login.py — still flaky" in episode.reflection
    assert "What worked: freeze time with freezegun" in episode.reflection
    assert episode.lesson is not None
    assert "what worked was freeze time with freezegun" in episode.lesson
    assert episode.lesson_memory_id is not None
    lesson = (await get_memories(app, [episode.lesson_memory_id])).memories[0]
    assert (lesson.kind, set(lesson.tags)) == ("lesson", {"ci", "episode", "success"})
    assert lesson.metadata["episode_id"] == eid
    hits = await search_memories(app, "flaky login test")
    assert hits.hits[0].memory.id == episode.lesson_memory_id
    with pytest.raises(InvalidInput, match="already complete"):
        await add_step(app, eid, "one more")


async def test_given_lesson_wins_and_failures_derive_one(app: App) -> None:
    """A lesson passed in is kept as is; a failed episode derives one from its failed steps."""
    given = await _episode(app, "upgrade node", [], "partial")
    del given
    eid = await start_episode(app, "deploy to staging")
    await add_step(app, eid, "helm upgrade", result="timeout waiting for pods", ok=False)
    failed = await complete_episode(app, eid, "failure")
    assert failed.lesson is not None
    assert "did not work (timeout waiting for pods)" in failed.lesson
    assert failed.lesson_memory_id is None  # kept in the episode, not a lesson memory of its own
    told = await start_episode(app, "deploy to production")
    await add_step(app, told, "helm upgrade", result="quota exceeded", ok=False)
    taught = await complete_episode(app, told, "failure", lesson="Raise the namespace quota before a deploy.")
    assert taught.lesson_memory_id is not None  # a lesson given with a failure is one worth keeping
    other = await start_episode(app, "rotate keys")
    done = await complete_episode(app, other, "success", lesson="Keys live in vault path secret/app.")
    assert done.lesson == "Keys live in vault path secret/app."


async def test_episode_errors(app: App) -> None:
    """Bad outcomes, rewards and ids are refused with directions."""
    eid = await start_episode(app, "task")
    with pytest.raises(InvalidInput, match="success, failure or partial"):
        await complete_episode(app, eid, "done")
    with pytest.raises(InvalidInput, match="reward"):
        await complete_episode(app, eid, "success", reward=2)
    with pytest.raises(NotFound, match="episode_start"):
        await add_step(app, "e_999", "x")
    with pytest.raises(NotFound, match="not an episode id"):
        await add_step(app, "m_1", "x")
    with pytest.raises(InvalidInput, match="task is empty"):
        await start_episode(app, "  ")


async def test_search_ranks_similar_tasks_and_filters_outcome(app: App) -> None:
    """The most similar past task ranks first; outcome='failure' returns failures only."""
    db = await _episode(
        app, "migrate the postgres database schema", [("run alembic upgrade", "ok", True)], "success"
    )
    fail = await _episode(
        app, "migrate postgres database to v16", [("pg_upgrade in place", "disk full", False)], "failure"
    )
    await _episode(app, "write the release notes", [("draft notes", "ok", True)], "success")
    hits, notice = await search_episodes(app, "postgres database migration")
    assert notice is None
    assert {h.episode.id for h in hits[:2]} == {db, fail}
    assert hits[-1].episode.task == "write the release notes"
    failures, _ = await search_episodes(app, "postgres", outcome="failure")
    assert [h.episode.id for h in failures] == [fail]
    assert failures[0].episode.lesson is not None


async def test_patterns_find_failing_actions_and_winning_sequences(app: App) -> None:
    """Actions failing in several episodes and step pairs common to successes are reported with support."""
    for n in range(3):
        await _episode(
            app,
            f"fix bug {n}",
            [
                (f"run pytest tests/test_{n}.py", "fails", False),
                ("read the traceback", "found it", True),
                ("add a regression test", "ok", True),
            ],
            "success",
        )
    patterns = await episode_patterns(app, min_support=2)
    kinds = {(p.kind, p.support) for p in patterns}
    assert ("failing_action", 3) in kinds
    failing = next(p for p in patterns if p.kind == "failing_action")
    assert "run pytest" in failing.description
    assert len(failing.episodes) == 3
    sequence = next(p for p in patterns if p.kind == "successful_sequence" and "traceback" in p.description)
    assert sequence.support == 3
    assert await episode_patterns(app, min_support=4) == []


def test_actions_are_normalized_to_their_gist() -> None:
    """Paths and numbers do not split one recurring action into many."""
    assert normalize_action("Run pytest tests/test_a.py -k 12") == normalize_action(
        "run pytest tests/b.py -k 7"
    )
