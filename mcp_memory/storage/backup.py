"""Backup and restore with SQLite's online backup API, safe while servers are running.

A backup is a consistent snapshot written to a new 0600 file, then checked. A restore checks the
backup first, saves the current database beside itself (`<db>.before-restore-<time>`), and copies the
backup into the live file through the same API, so processes that have it open keep valid handles.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp_memory.config import Settings
from mcp_memory.errors import DatabaseError, InvalidInput
from mcp_memory.limits import user_path
from mcp_memory.storage import LATEST_SCHEMA_VERSION, choose_sqlite

__all__ = ["BackupInfo", "backup_database", "inspect_backup", "refuse_on_postgres", "restore_database"]


@dataclass(frozen=True, slots=True)
class BackupInfo:
    path: str
    bytes: int
    memories: int
    schema_version: int
    seconds: float


def _connect(settings: Settings, path: Path, *, readonly: bool = False) -> Any:
    library = choose_sqlite(settings.sqlite)
    location = f"file:{path}?mode=ro" if readonly else str(path)
    return library.module.connect(
        location, uri=readonly, timeout=settings.busy_timeout_ms / 1000, isolation_level=None
    )


def _create_private(target: Path, overwrite: bool) -> None:
    if target.exists():
        if not overwrite:
            raise InvalidInput(
                f"{target} already exists; pass --overwrite to replace it, or choose another path."
            )
        if not target.is_file():
            raise InvalidInput(f"{target} is not a regular file.")
        target.unlink()
    if not target.parent.exists():
        target.parent.mkdir(parents=True, mode=0o700)
    os.close(os.open(target, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600))


def inspect_backup(settings: Settings, path: Path) -> BackupInfo:
    """Check that `path` is an intact mcp-memory database this version can use."""
    if not path.is_file():
        raise InvalidInput(f"{path} is not a file.")
    started = time.perf_counter()
    try:
        conn = _connect(settings, path, readonly=True)
    except Exception as exc:
        raise InvalidInput(f"{path} cannot be opened as SQLite: {exc}") from exc
    try:
        try:
            check = [str(r[0]) for r in conn.execute("PRAGMA integrity_check").fetchall()]
            version = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
            memories = conn.execute("SELECT count(*) FROM memories").fetchone()[0]
        except Exception as exc:
            raise InvalidInput(f"{path} is not an mcp-memory database ({exc}).") from exc
    finally:
        conn.close()
    if check != ["ok"]:
        raise InvalidInput(f"{path} fails SQLite's integrity check: {'; '.join(check[:3])}.")
    if version is None or int(version) > LATEST_SCHEMA_VERSION:
        raise InvalidInput(
            f"{path} has schema version {version}; this mcp-memory reads up to {LATEST_SCHEMA_VERSION}."
        )
    return BackupInfo(
        str(path), path.stat().st_size, int(memories), int(version), time.perf_counter() - started
    )


def refuse_on_postgres(settings: Settings, what: str) -> None:
    """A clear error for work on the SQLite file alone (`what`) while the memory is in Postgres."""
    if settings.database_url:
        raise DatabaseError(
            f"{what} works on the SQLite file; with MCP_MEMORY_DATABASE_URL set the memory is in Postgres: "
            "back it up with pg_dump (or your provider's backups), or copy it out with `mcp-memory export`."
        )


def backup_database(settings: Settings, target: Path, *, overwrite: bool = False) -> BackupInfo:
    """Copy the live database to `target` (0600) while it may be in use, then check the copy."""
    refuse_on_postgres(settings, "backup")
    source_path = settings.database
    if not source_path.exists():
        raise DatabaseError(f"there is no database at {source_path} to back up.")
    target = user_path(str(target)).resolve()
    if target == source_path.resolve():
        raise InvalidInput("the backup path is the database itself; choose another file.")
    started = time.perf_counter()
    _create_private(target, overwrite)
    source = _connect(settings, source_path)
    destination = _connect(settings, target)
    try:
        source.backup(destination)
        # One self-contained file: the copy leaves WAL mode, so opening it (the check below, a later
        # restore) makes no -wal and -shm files beside it.
        destination.execute("PRAGMA journal_mode = DELETE")
    finally:
        destination.close()
        source.close()
    info = inspect_backup(settings, target)
    return BackupInfo(
        info.path, info.bytes, info.memories, info.schema_version, time.perf_counter() - started
    )


@dataclass(frozen=True, slots=True)
class RestoreInfo:
    restored_from: str
    memories: int
    previous_saved_to: str | None


def restore_database(settings: Settings, source: Path) -> RestoreInfo:
    """Check `source`, keep the current database beside itself, then copy `source` into it."""
    refuse_on_postgres(settings, "restore")
    source = user_path(str(source)).resolve()
    info = inspect_backup(settings, source)
    live = settings.database
    saved: Path | None = None
    if live.exists():
        saved = live.with_name(f"{live.name}.before-restore-{time.strftime('%Y%m%d-%H%M%S')}")
        backup_database(settings, saved)
    else:
        _create_private(live, overwrite=False)
    reader = _connect(settings, source, readonly=True)
    writer = _connect(settings, live)
    try:
        reader.backup(writer)
    finally:
        writer.close()
        reader.close()
    return RestoreInfo(str(source), info.memories, str(saved) if saved else None)
