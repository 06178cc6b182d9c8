"""Backup while writing, restore with a safety copy, refusals."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import anyio
import pytest

from mcp_memory.errors import InvalidInput
from mcp_memory.services.app import open_app
from mcp_memory.services.memories.store import recent_memories, store_memory
from mcp_memory.storage.backup import backup_database, inspect_backup, restore_database
from tests.conftest import db_digest, fake_loader, make_settings

pytestmark = pytest.mark.anyio


async def test_backup_while_writing_is_consistent_and_restores(tmp_path: Path) -> None:
    """A backup taken while another connection stores memories is intact and holds every memory
    committed before it; restoring it brings exactly those back and saves the current database."""
    settings = make_settings(tmp_path)
    target = tmp_path / "backups" / "memory-backup.db"
    async with open_app(settings, loader=fake_loader()) as app:
        await app.load_model()
        for i in range(50):
            await store_memory(app, f"before the backup {i}")
        info: list[object] = []

        async def writer() -> None:
            for i in range(50):
                await store_memory(app, f"during the backup {i}")

        async with anyio.create_task_group() as tg:
            tg.start_soon(writer)
            info.append(await anyio.to_thread.run_sync(backup_database, settings, target))
        backed = info[0]
        assert 50 <= backed.memories <= 100  # type: ignore[attr-defined]
        await store_memory(app, "after the backup")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(target.parent).st_mode) == 0o700
    assert sorted(p.name for p in target.parent.iterdir()) == ["memory-backup.db"]  # no -wal / -shm
    restored = restore_database(settings, target)
    assert restored.memories == backed.memories  # type: ignore[attr-defined]
    assert restored.previous_saved_to is not None
    assert inspect_backup(settings, Path(restored.previous_saved_to)).memories == 101
    async with open_app(settings, loader=fake_loader()) as app:
        contents = {m.content for m in await recent_memories(app, limit=100, project="*")}
        assert "after the backup" not in contents
        assert {f"before the backup {i}" for i in range(50)} <= contents


async def test_bad_backups_are_refused_and_change_nothing(tmp_path: Path) -> None:
    """A non-database, a database of something else, and an existing target are refused."""
    settings = make_settings(tmp_path)
    async with open_app(settings, loader=fake_loader()) as app:
        await store_memory(app, "keep me")
    before = db_digest(settings.database)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(InvalidInput, match=r"cannot be opened|not an mcp-memory"):
        restore_database(settings, junk)
    import sqlite3

    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE x(y)").connection.close()
    with pytest.raises(InvalidInput, match="not an mcp-memory database"):
        restore_database(settings, other)
    target = tmp_path / "b.db"
    backup_database(settings, target)
    with pytest.raises(InvalidInput, match="--overwrite"):
        backup_database(settings, target)
    assert db_digest(settings.database) == before
