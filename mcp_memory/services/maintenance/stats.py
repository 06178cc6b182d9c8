"""Maintenance services: statistics and re-embedding every memory with the configured model."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mcp_memory.errors import DatabaseError, ModelUnavailable
from mcp_memory.logs import get_logger
from mcp_memory.services.app import App
from mcp_memory.services.maintenance.counts import Stats, count_store
from mcp_memory.storage.counts import count_live
from mcp_memory.storage.embedding_rows import live_batch, live_hashes, mark_all_unembedded
from mcp_memory.storage.postgres.connect import describe_url, engine_version
from mcp_memory.storage.query import Transaction
from mcp_memory.storage.vectors import (
    VectorIndexInfo,
    activate_vector_table,
    create_vector_table,
    delete_vectors,
    drop_leftover_vector_table,
    drop_vector_table,
    insert_vectors,
    mark_embedded_from,
    read_vector_info,
    vector_table_names,
)

__all__ = ["ReindexResult", "Stats", "collect_stats", "reindex"]

_log = get_logger(__name__)


async def collect_stats(app: App) -> Stats:
    """Counts by kind, project and tag, database size, and the state of the model and indexes."""
    db = app.db
    shared = app.settings.database_url
    return await count_store(
        db,
        database_path=describe_url(shared) if shared else str(db.path or ":memory:"),
        sqlite=await engine_version(db) if shared else f"{db.library.name} {db.library.version}",
        embedding_model=app.settings.embedding_model,
        model_state=app.embeddings.state.value,
        model_problem=app.mismatch or app.embeddings.error,
    )


@dataclass(frozen=True, slots=True)
class ReindexResult:
    embedded: int
    model: str
    dim: int
    table: str
    previous_model: str | None
    seconds: float


async def reindex(
    app: App, *, batch_size: int = 64, progress: Callable[[int, int], None] | None = None
) -> ReindexResult:
    """Re-embed every live memory with the configured model into a new vector table, then switch to it
    in one transaction. Until the switch the old index keeps serving; an interrupted reindex leaves it
    in place and only an unused table behind (dropped by the next reindex)."""
    if app.settings.database_url:
        raise DatabaseError(
            "reindex rebuilds the SQLite file's vector table; on a shared Postgres a team re-embeds by setting "
            "up a database for the new model and `mcp-memory migrate`-ing into it (not yet built). Keep the "
            "model the team database was set up for."
        )
    started = time.perf_counter()
    await app.embeddings.load()
    embedder = app.embeddings.embedder
    if embedder is None:
        raise ModelUnavailable(app.embeddings.unavailable_reason())
    old = await read_vector_info(app.db)
    existing = await vector_table_names(app.db)
    number = 1 + max([int(name.rsplit("_", 1)[1]) for name in existing] or [0])
    table = f"memories_vec_{number}"
    target = VectorIndexInfo(embedder.model_id, embedder.dim, embedder.checksum, table)

    async def create(conn: Transaction) -> None:
        for name in await vector_table_names(conn):
            if old is None or name != old.table:
                await drop_leftover_vector_table(conn, name)  # left by an interrupted reindex
        await create_vector_table(conn, table, embedder.dim)

    await app.db.write(create)
    total = await count_live(app.db)
    done = 0
    last_id = 0
    embedded_hash: dict[int, str] = {}
    while True:
        rows = await live_batch(app.db, last_id, batch_size)
        if not rows:
            break
        vectors = await app.embeddings.embed([str(r["content"]) for r in rows])
        batch = [
            (int(r["id"]), v, str(r["project"]), str(r["kind"]), float(r["created_at"]))
            for r, v in zip(rows, vectors, strict=True)
        ]

        async def put(conn: Transaction, batch: list[Any] = batch) -> None:
            await insert_vectors(conn, table, batch)

        await app.db.write(put)
        embedded_hash.update({int(r["id"]): str(r["content_hash"]) for r in rows})
        last_id = int(rows[-1]["id"])
        done += len(rows)
        if progress is not None:
            progress(done, total)

    async def switch(conn: Transaction) -> None:
        stale = [rowid for rowid, hash_ in await live_hashes(conn) if embedded_hash.get(rowid) != hash_]
        # Memories added or changed while we worked get their vector from the embedding worker.
        await delete_vectors(conn, table, stale)
        await mark_all_unembedded(conn)
        if old is not None:
            await drop_vector_table(conn, old.table)
        await activate_vector_table(conn, table, embedder.model_id, embedder.dim, embedder.checksum)
        await mark_embedded_from(conn, table)

    await app.db.write(switch)
    app.vector_info = target
    app.mismatch = None
    app.wake_worker()
    seconds = time.perf_counter() - started
    _log.info("reindex finished", model=embedder.model_id, memories=done, seconds=round(seconds, 1))
    return ReindexResult(done, embedder.model_id, embedder.dim, table, old.model if old else None, seconds)
