"""The context builder: order, budget, no repeats."""

from __future__ import annotations

import pytest

from mcp_memory.errors import InvalidInput
from mcp_memory.services.app import App
from mcp_memory.services.episodes.record import add_step, complete_episode, start_episode
from mcp_memory.services.memories.pins import set_pinned
from mcp_memory.services.memories.store import store_memory
from mcp_memory.services.search.context import build_context, count_tokens

pytestmark = pytest.mark.anyio


@pytest.fixture
def app(engine_app: App) -> App:
    """Every test here runs on both engines."""
    return engine_app


async def test_pins_first_then_relevant_then_lessons_without_repeats(app: App) -> None:
    """Pinned memories lead, relevant ones follow, episode lessons close; each memory once."""
    pin = (await store_memory(app, "Never push to main directly", tags=["git"])).id
    await set_pinned(app, pin, True, note="team rule")
    relevant = (await store_memory(app, "Database migrations run with alembic upgrade head")).id
    await store_memory(app, "The office plant needs water on Mondays")
    eid = await start_episode(app, "run database migrations on staging")
    await add_step(app, eid, "alembic upgrade head", result="lock timeout", ok=False)
    await add_step(app, eid, "stop the workers first, then alembic upgrade head", result="done", ok=True)
    episode = await complete_episode(app, eid, "success")
    result = await build_context(app, query="how do I run database migrations", token_budget=2000)
    text = result.text
    assert text.index("## Pinned") < text.index("## Relevant memories")
    assert text.index("Never push to main") < text.index("alembic upgrade head")
    assert result.ids[0] == pin
    assert relevant in result.ids
    assert len(result.ids) == len(set(result.ids))
    assert episode.lesson_memory_id in result.ids
    assert text.count(episode.lesson or "?") == 1
    assert count_tokens(text) <= result.tokens <= result.budget


async def test_budget_is_never_exceeded(app: App) -> None:
    """With a small budget only what fits is included, and the count stays within it."""
    for i in range(30):
        await store_memory(app, f"fact number {i}: " + "detail " * 20)
    result = await build_context(app, token_budget=120)
    assert result.tokens <= 120
    assert count_tokens(result.text) <= 120
    assert 0 < len(result.ids) < 30
    with pytest.raises(InvalidInput, match="token_budget"):
        await build_context(app, token_budget=10)


async def test_without_a_query_important_recent_memories_come_first(app: App) -> None:
    """No query: the most important recent memories are chosen."""
    low = (await store_memory(app, "minor detail", importance=0.1)).id
    high = (await store_memory(app, "critical: prod db is read-only on Sundays", importance=1.0)).id
    result = await build_context(app)
    assert result.ids.index(high) < result.ids.index(low)
