"""The embedding worker: gives vectors to memories stored without one (before the model was ready,
or by a process that stopped before embedding them) and flushes read counts."""

from __future__ import annotations

import anyio

from mcp_memory.embeddings import ModelState
from mcp_memory.errors import MemoryServerError
from mcp_memory.logs import get_logger
from mcp_memory.services.app import App
from mcp_memory.storage import Database
from mcp_memory.storage.counts import count_pending
from mcp_memory.storage.embedding_rows import unembedded_batch, unembedded_hashes
from mcp_memory.storage.query import Transaction
from mcp_memory.storage.vectors import write_vectors

__all__ = ["embed_pending", "finish_pending", "pending_count", "run_worker"]

_log = get_logger(__name__)
_BATCH = 32


async def pending_count(db: Database) -> int:
    """How many live memories still wait for their vector."""
    return await count_pending(db)


async def embed_pending(app: App, batch_size: int = _BATCH) -> int:
    """Embed one batch of memories that have no vector; returns how many got one."""
    info = app.vector_info
    if info is None or not (app.semantic_ready() or app.embeddings.state is ModelState.UNLOADED):
        return 0
    rows = await unembedded_batch(app.db, batch_size)
    if not rows:
        return 0
    await app.ensure_model()  # memories another process left need the model back
    vectors = await app.embeddings.embed([str(r["content"]) for r in rows])
    by_id = {int(r["id"]): (r, v) for r, v in zip(rows, vectors, strict=True)}

    async def work(conn: Transaction) -> int:
        current = await unembedded_hashes(conn, list(by_id))
        # Skip rows whose content changed while we embedded: the next round embeds the new text.
        batch = [
            (rid, vec, str(row["project"]), str(row["kind"]), float(row["created_at"]))
            for rid, hash_ in current
            for row, vec in [by_id[rid]]
            if row["content_hash"] == hash_
        ]
        if batch:
            await write_vectors(conn, info, batch)
        return len(batch)

    return await app.db.write(work)


async def finish_pending(app: App, seconds: float) -> int:
    """Before a process exits: give every memory without a vector its vector, loading the model if
    needed, within `seconds` (a short-lived process, such as a client session that stores a few
    memories and ends, must not leave them without vectors). Returns how many got one."""
    done = 0
    with anyio.move_on_after(seconds):
        if not await pending_count(app.db):
            return 0
        if app.embeddings.state is ModelState.WAITING:
            await app.load_model()
        if not await app.await_semantic(seconds):
            return 0
        while (n := await embed_pending(app)) > 0:
            done += n
    if done:
        _log.info("embedded memories before exit", count=done)
    return done


async def run_worker(app: App, *, interval: float = 1.0) -> None:
    """Run until cancelled: embed pending memories whenever woken (and every `interval` seconds, for
    memories other processes left), and flush read counts."""
    while True:
        with anyio.move_on_after(interval):
            await app.pending_event.wait()
        if app.pending_event.is_set():
            app.pending_event = anyio.Event()
        try:
            await app.flush_access()
            while await embed_pending(app) > 0:
                pass
        except MemoryServerError as exc:
            _log.warning("embedding worker paused", error=str(exc))
            await anyio.sleep(5 * interval)
        except Exception:
            _log.exception("embedding worker failed; retrying")
            await anyio.sleep(5 * interval)
