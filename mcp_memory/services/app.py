"""The running application: settings, the open database, the embedding service and the vector index
state. Tools and CLI commands receive an `App` and call service functions with it."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import cast

import anyio

from mcp_memory.config import Settings
from mcp_memory.embeddings import Embedder, EmbeddingService, ModelState, load_embedder
from mcp_memory.errors import ModelMismatch, ModelUnavailable
from mcp_memory.logs import get_logger
from mcp_memory.process_tuning import release_free_memory
from mcp_memory.projects import project_from_path
from mcp_memory.storage import Database
from mcp_memory.storage.binary_codes import BinaryCodes
from mcp_memory.storage.query import SQLITE, Transaction
from mcp_memory.storage.rows import ACCESS_UPDATE
from mcp_memory.storage.vectors import (
    VectorIndexInfo,
    ensure_vector_index,
    mismatch_message,
    read_vector_info,
)

__all__ = ["App", "open_app"]

_log = get_logger(__name__)


class App:
    """Everything a service call needs, opened once per process."""

    def __init__(self, settings: Settings, db: Database, embeddings: EmbeddingService) -> None:
        self.settings = settings
        self.db = db
        self.embeddings = embeddings
        self.default_project = settings.project or project_from_path(settings.cwd)
        self.vector_info: VectorIndexInfo | None = None
        self.binary_codes = BinaryCodes()
        self.mismatch: str | None = None
        #: Set whenever a memory is stored without its vector, to wake the embedding worker.
        self.pending_event = anyio.Event()
        self._accessed: dict[int, float] = {}
        #: CLI: load the model the first time a service needs it. The server loads it in the
        #: background instead; requests that need it wait a bounded time (`await_semantic`).
        self.model_on_demand = False
        #: Set when a model load has finished, well or not, and the vector index is attached.
        self._model_settled = anyio.Event()

    async def _check_recorded_model(self) -> None:
        info = await read_vector_info(self.db)
        if info is not None and info.model != self.settings.embedding_model:
            self.mismatch = mismatch_message(info.model, self.settings.embedding_model)
            _log.warning(
                "embedding model mismatch", recorded=info.model, configured=self.settings.embedding_model
            )
        elif info is not None:
            self.vector_info = info

    async def load_model(self) -> None:
        """Load the model (once) and attach the vector index for it."""
        try:
            await self.embeddings.load()
            embedder = self.embeddings.embedder
            if embedder is None or self.mismatch:
                return
            try:
                self.vector_info = await ensure_vector_index(
                    self.db, embedder.model_id, embedder.dim, embedder.checksum
                )
            except ModelMismatch as exc:
                self.mismatch = str(exc)
                _log.warning("embedding model mismatch", detail=self.mismatch)
            self.wake_worker()
        finally:
            if self.embeddings.state is not ModelState.LOADING:
                self._model_settled.set()

    async def await_semantic(self, seconds: float) -> bool:
        """Whether semantic search can run, waiting up to `seconds` while the model is loading or
        about to (the server starts it right after answering the client's first message). Returns
        at once when it is ready, failed, or made by another model."""
        if self.semantic_ready():
            return True
        await self.ensure_model()
        if self.mismatch or self.embeddings.state is ModelState.FAILED or seconds <= 0:
            return self.semantic_ready()
        with anyio.move_on_after(seconds):
            await self._model_settled.wait()
        return self.semantic_ready()

    async def warm_vector_index(self) -> None:
        """Load the binary codes now rather than on the first semantic search (0.2-0.7 s at 100,000
        memories). The server calls it after the model; CLI commands leave it to the search."""
        if self.semantic_ready() and self.vector_info is not None and self.db.dialect == SQLITE:
            try:
                await self.binary_codes.sync(self.db, self.vector_info.table)
            except Exception as exc:  # the first search loads them and reports any error
                _log.warning("could not load the vector codes yet", error=str(exc))
            release_free_memory()  # the rows read to build the arrays

    def wake_worker(self) -> None:
        """Tell the embedding worker there may be memories without vectors."""
        self.pending_event.set()

    async def ensure_model(self) -> None:
        """With `model_on_demand`, load the model now if nothing has tried yet; a model unloaded after
        a quiet period is loaded again (the caller waits at most the load time)."""
        state = self.embeddings.state
        if state is ModelState.UNLOADED or (self.model_on_demand and state is ModelState.WAITING):
            await self.load_model()

    def semantic_ready(self) -> bool:
        """Whether vectors can be computed and searched now."""
        return self.embeddings.ready and self.mismatch is None and self.vector_info is not None

    def semantic_unavailable_reason(self) -> str:
        if self.mismatch:
            return self.mismatch
        return self.embeddings.unavailable_reason() or "the vector index is not ready yet"

    def require_model_match(self) -> None:
        """Refuse writes that would need vectors from a different model than the stored ones."""
        if self.mismatch:
            raise ModelMismatch(self.mismatch)

    async def embed_for_write(self, texts: list[str]) -> list[bytes] | None:
        """Vectors for new content when the model is ready; None means 'store now, embed later'."""
        await self.ensure_model()
        if not self.semantic_ready():
            return None
        try:
            return await self.embeddings.embed(texts)
        except ModelUnavailable:
            return None

    def note_access(self, rowids: list[int]) -> None:
        """Remember that these memories were read; `flush_access` writes the counts later, so a read
        never waits for a write."""
        now = time.time()
        for rowid in rowids:
            self._accessed[rowid] = now

    async def flush_access(self) -> None:
        """Write the remembered reads (access count and last-accessed time) in one transaction."""
        if not self._accessed:
            return
        pending, self._accessed = self._accessed, {}

        async def work(conn: Transaction) -> None:
            await conn.executemany(ACCESS_UPDATE, [(when, rowid) for rowid, when in pending.items()])

        try:
            await self.db.write(work)
        except Exception as exc:  # access counts are a ranking hint, not data: never fail a caller over them
            _log.warning("could not record memory access", error=str(exc))

    async def close(self) -> None:
        with anyio.CancelScope(shield=True):
            await self.flush_access()
            await self.embeddings.close()
        await self.db.close()


@asynccontextmanager
async def open_app(
    settings: Settings,
    *,
    loader: Callable[[Settings], Embedder] = load_embedder,
    database: Database | None = None,
) -> AsyncIterator[App]:
    """Open the database (the shared Postgres of `database_url`, else the SQLite file; or take
    `database`, already open) and create the (not yet loaded) embedding service. The app closes the
    database. The Postgres engine's database answers the same reads and transactions as the SQLite
    one (`mcp_memory.storage.postgres.database`), hence the cast until the two share a protocol."""
    if database is None and settings.database_url:
        from mcp_memory.storage.postgres.database import PgDatabase

        database = cast(Database, await PgDatabase.open(settings.database_url))
    if database is not None:  # the SQLite engine makes the data folder with its file; exports go there too
        settings.data_dir.expanduser().mkdir(parents=True, exist_ok=True, mode=0o700)
    db = database or await Database.open(
        settings.database, sqlite=settings.sqlite, busy_timeout_ms=settings.busy_timeout_ms
    )
    app = App(settings, db, EmbeddingService(settings, loader))
    try:
        await app._check_recorded_model()
        yield app
    finally:
        with anyio.CancelScope(shield=True):
            await app.close()
