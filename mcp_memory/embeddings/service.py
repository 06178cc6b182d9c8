"""The embedding service: loads the model once, in the background, and runs it in a worker thread so
the event loop keeps answering while texts are embedded."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from enum import Enum

import anyio
import anyio.to_thread

from mcp_memory.config import Settings
from mcp_memory.embeddings.model import Embedder, load_embedder
from mcp_memory.errors import ModelUnavailable
from mcp_memory.logs import get_logger

__all__ = ["EmbeddingService", "ModelState"]

_log = get_logger(__name__)
_QUERY_CACHE_SIZE = 512


class ModelState(str, Enum):
    """Where the model is in its life."""

    WAITING = "waiting"  # not started: the server loads it once the client has been answered
    LOADING = "loading"
    READY = "ready"
    FAILED = "failed"


class EmbeddingService:
    """One model per process, loaded at most once. Batches embed one call at a time (each already
    spreads over the embedder's workers); a single text (a query, one store) has a lane of its own,
    so a search never waits behind an import's thousand texts (the session serves both at once)."""

    def __init__(self, settings: Settings, loader: Callable[[Settings], Embedder] = load_embedder) -> None:
        self._settings = settings
        self._loader = loader
        self._embedder: Embedder | None = None
        self._ready = anyio.Event()
        self._load_lock = anyio.Lock()
        self._limiter = anyio.CapacityLimiter(1)
        self._single = anyio.CapacityLimiter(2)
        self._query_cache: OrderedDict[str, bytes] = OrderedDict()
        self.state = ModelState.WAITING
        self.error: str | None = None
        self.load_seconds: float | None = None

    @property
    def configured_model(self) -> str:
        """The model the settings ask for (known before it loads)."""
        return self._settings.embedding_model

    @property
    def embedder(self) -> Embedder | None:
        """The loaded model, or None before it is ready."""
        return self._embedder

    @property
    def ready(self) -> bool:
        return self.state is ModelState.READY

    async def load(self) -> None:
        """Load the model unless it is loaded or loading; never raises (the failure is kept in
        `error` and reported by search results, health and doctor)."""
        async with self._load_lock:
            if self.state in (ModelState.READY, ModelState.LOADING):
                return
            self.state = ModelState.LOADING
            started = time.perf_counter()
            try:
                embedder = await anyio.to_thread.run_sync(self._loader, self._settings, limiter=self._limiter)
            except Exception as exc:
                self.state = ModelState.FAILED
                self.error = str(exc) if isinstance(exc, ModelUnavailable) else f"{type(exc).__name__}: {exc}"
                _log.error("embedding model failed to load", model=self.configured_model, error=self.error)
            else:
                self._embedder = embedder
                self.load_seconds = time.perf_counter() - started
                self.state = ModelState.READY
                _log.info(
                    "embedding model ready", model=embedder.model_id, seconds=round(self.load_seconds, 2)
                )
            finally:
                self._ready.set()

    async def wait_settled(self, within: float | None = None) -> bool:
        """Wait until loading has finished (ready or failed); True if it has."""
        if within is None:
            await self._ready.wait()
            return True
        with anyio.move_on_after(within):
            await self._ready.wait()
        return self._ready.is_set()

    def unavailable_reason(self) -> str:
        """Why semantic search cannot run right now, in words for the user."""
        if self.state is ModelState.FAILED:
            return f"the embedding model failed to load: {(self.error or '').rstrip('.')}. `mcp-memory doctor` shows the fix"
        if self.state is ModelState.READY:
            return ""
        return "the embedding model is still loading (a few seconds after start)"

    def _require(self) -> Embedder:
        if self._embedder is None:
            raise ModelUnavailable(self.unavailable_reason())
        return self._embedder

    async def embed(self, texts: Sequence[str]) -> list[bytes]:
        """Vectors for `texts`, computed in a worker thread."""
        embedder = self._require()
        limiter = self._single if len(texts) == 1 else self._limiter
        return await anyio.to_thread.run_sync(embedder.embed, list(texts), limiter=limiter)

    async def embed_query(self, text: str) -> bytes:
        """The vector of a search query; repeated queries are served from a small cache."""
        cached = self._query_cache.get(text)
        if cached is not None:
            self._query_cache.move_to_end(text)
            return cached
        (vector,) = await self.embed([text])
        self._query_cache[text] = vector
        if len(self._query_cache) > _QUERY_CACHE_SIZE:
            self._query_cache.popitem(last=False)
        return vector
