"""Two writers on one file at once: nothing acknowledged is lost and the indexes match the rows."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from mcp_memory.services.app import open_app
from mcp_memory.services.memories.changes import delete_memories, update_memory
from mcp_memory.services.memories.store import store_memory
from mcp_memory.services.search.hybrid import search_memories
from tests.conftest import fake_loader, make_settings

pytestmark = pytest.mark.anyio


async def test_two_apps_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    """Two Apps (separate connections and locks, like two server processes) store, update and delete
    concurrently; every acknowledged store is present and both indexes agree with the table."""
    settings = make_settings(tmp_path, busy_timeout_ms=200)
    acknowledged: dict[str, str] = {}
    deleted: set[str] = set()
    async with (
        open_app(settings, loader=fake_loader()) as one,
        open_app(settings, loader=fake_loader()) as two,
    ):
        await one.load_model()
        await two.load_model()

        async def writer(app_name: str, app: object) -> None:
            for i in range(60):
                text = f"{app_name} writes memory number {i} about topic{i % 7}"
                result = await store_memory(app, text, tags=[app_name])  # type: ignore[arg-type]
                acknowledged[result.id] = text
                if i % 10 == 3:
                    await update_memory(app, result.id, content=text + " (revised)")  # type: ignore[arg-type]
                    acknowledged[result.id] = text + " (revised)"
                if i % 15 == 7:
                    await delete_memories(app, [result.id])  # type: ignore[arg-type]
                    deleted.add(result.id)
                await search_memories(app, f"topic{i % 7}")  # type: ignore[arg-type]

        async with anyio.create_task_group() as tg:
            tg.start_soon(writer, "alpha", one)
            tg.start_soon(writer, "beta", two)

        assert len(acknowledged) == 120
        rows = await one.db.fetchall("SELECT id, content FROM memories WHERE deleted_at IS NULL")
        live = {f"m_{r[0]}": r[1] for r in rows}
        assert live == {k: v for k, v in acknowledged.items() if k not in deleted}
        assert await one.db.scalar("SELECT count(*) FROM memories_fts") == len(live)
        assert one.vector_info is not None
        vectors = await one.db.scalar(f"SELECT count(*) FROM {one.vector_info.table}")
        assert vectors == len(live)
        assert await one.db.scalar("PRAGMA integrity_check") == "ok"
