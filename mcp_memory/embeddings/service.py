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
    UNLOADED = "unloaded"  # was ready, given back after a quiet period; the next call loads it again


def _load_seconds(embedder: Embedder, waited: float) -> float:
    """How long the model took to load: what the embedder measured itself, if it did (a model in a
    process of its own, started before the server asked for it: the wait is only the rest of its
    load), else the time the loader took here."""
    own = getattr(embedder, "load_seconds", None)
    return float(own) if isinstance(own, int | float) else waited


class EmbeddingService:
    """One model per process, loaded at most once. Batches embed one call at a time (each already
    spreads over the embedder's workers); a single text (a query, one store) has a lane of its own,
    so a search never waits behind an import's thousand texts (the session serves both at once)."""

    def __init__(self, settings: Settings, loader: Callable[[Settings], Embedder] = load_embedder) -> None:
        self._settings = settings
        self._loader = loader
        self._embedder: Embedder | None = None
        self._load_lock = anyio.Lock()
        self._limiter = anyio.CapacityLimiter(1)
        self._single = anyio.CapacityLimiter(2)
        self._query_cache: OrderedDict[str, bytes] = OrderedDict()
        self.state = ModelState.WAITING
        self.error: str | None = None
        self.load_seconds: float | None = None
        #: When the model last embedded something (monotonic seconds), and how many calls are in it.
        self.last_used = time.monotonic()
        self._in_flight = 0
        self.unloads = 0

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
            started = time.monotonic()
            try:
                embedder = await anyio.to_thread.run_sync(self._loader, self._settings, limiter=self._limiter)
            except Exception as exc:
                self.state = ModelState.FAILED
                self.error = str(exc) if isinstance(exc, ModelUnavailable) else f"{type(exc).__name__}: {exc}"
                _log.error("embedding model failed to load", model=self.configured_model, error=self.error)
            else:
                self._embedder = embedder
                self.load_seconds = _load_seconds(embedder, time.monotonic() - started)
                self.last_used = time.monotonic()
                self.state = ModelState.READY
                _log.info(
                    "embedding model ready", model=embedder.model_id, seconds=round(self.load_seconds, 2)
                )

    def unavailable_reason(self) -> str:
        """Why semantic search cannot run right now, in words for the user."""
        if self.state is ModelState.FAILED:
            return f"the embedding model failed to load: {(self.error or '').rstrip('.')}. `mcp-memory doctor` shows the fix"
        if self.state is ModelState.READY:
            return ""
        if self.state is ModelState.UNLOADED:
            return "the embedding model was unloaded after a quiet period and loads again on the next call that needs it"
        return "the embedding model is still loading (a few seconds after start)"

    def _require(self) -> Embedder:
        if self._embedder is None:
            raise ModelUnavailable(self.unavailable_reason())
        return self._embedder

    async def embed(self, texts: Sequence[str]) -> list[bytes]:
        """Vectors for `texts`, computed in a worker thread. A model unloaded after a quiet period is
        loaded again first (the call waits for that, at most the load time)."""
        if self.state is ModelState.UNLOADED:
            await self.load()
        embedder = self._require()
        limiter = self._single if len(texts) == 1 else self._limiter
        self._in_flight += 1
        try:
            return await anyio.to_thread.run_sync(embedder.embed, list(texts), limiter=limiter)
        except ModelUnavailable:
            if not getattr(embedder, "alive", True) and self._embedder is embedder:
                # The model's process died: the next call starts it again.
                self._embedder = None
                self.state = ModelState.UNLOADED
            raise
        finally:
            self._in_flight -= 1
            self.last_used = time.monotonic()

    async def close(self) -> None:
        """Let the model go (a hosted model's process exits)."""
        embedder, self._embedder = self._embedder, None
        close = getattr(embedder, "close", None)
        if close is not None:
            await anyio.to_thread.run_sync(close)

    async def unload_when_idle(self, idle_seconds: float) -> None:
        """Run until cancelled: unload the model whenever it has been quiet for `idle_seconds`
        (checked every quarter of that, at most every minute). Nothing to do for 0."""
        if idle_seconds <= 0:
            return
        while True:
            await anyio.sleep(min(60.0, idle_seconds / 4))
            await self.unload_if_idle(idle_seconds)

    async def unload_if_idle(self, idle_seconds: float) -> bool:
        """Give the model's memory back when it has not embedded anything for `idle_seconds` and is
        not embedding now; whether it did. The next `embed` (or `load`) loads it again."""
        if idle_seconds <= 0 or self.state is not ModelState.READY:
            return False
        async with self._load_lock:
            idle = time.monotonic() - self.last_used
            if self.state is not ModelState.READY or self._in_flight or idle < idle_seconds:
                return False
            embedder, self._embedder = self._embedder, None
            self.state = ModelState.UNLOADED
            self.unloads += 1
        close = getattr(embedder, "close", None)
        if close is not None:
            await anyio.to_thread.run_sync(close)  # a hosted model: its process exits
        del embedder
        import gc

        from mcp_memory.process_tuning import release_free_memory

        gc.collect()
        release_free_memory()
        _log.info("embedding model unloaded after a quiet period", idle_minutes=round(idle / 60, 1))
        return True

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
