"""The bundled model's lighter graph (same vectors), its cache file, length-sorted batches, and the
glibc heap settings."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from mcp_memory.config import DEFAULT_MODEL
from mcp_memory.embeddings.model import (
    _SESSION_OPTIONS,
    BATCH_TEXTS,
    BATCH_TOKENS,
    DEFAULT_MAX_TOKENS,
    DEFAULT_MODEL_DIM,
    DEFAULT_MODEL_SHA256,
    TOKENIZER_DIR,
    FastEmbedder,
    _batches,
    _limit_tokens,
    verify_default_model,
)
from mcp_memory.embeddings.prepared import REWRITTEN_MODEL_SHA256, prepared_model, rewritten_model
from mcp_memory.embeddings.rewrite import gather_after_dequantize
from mcp_memory.process_tuning import release_free_memory, tune_malloc
from tests.conftest import make_settings


@pytest.fixture(scope="module")
def original() -> Path:
    files = verify_default_model()
    assert files.onnx is not None, files.problems
    return files.onnx


def _session(model: Path | bytes) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    source = str(model) if isinstance(model, Path) else model
    return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])


def _outputs(session: ort.InferenceSession) -> np.ndarray:
    rng = np.random.default_rng(7)
    ids = rng.integers(1000, 30522, size=(3, 41), dtype=np.int64)
    ids[:, 0] = 101
    mask = np.ones_like(ids)
    mask[1, 30:] = 0
    feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    return np.asarray(session.run(None, feed)[0])


def test_rewrite_moves_dequantization_after_the_gather_and_keeps_outputs(original: Path) -> None:
    rewritten = gather_after_dequantize(original.read_bytes())
    assert rewritten is not None
    assert hashlib.sha256(rewritten).hexdigest() == REWRITTEN_MODEL_SHA256
    # The word and position tables: each Gather now reads the int8 table.
    assert rewritten.count(b"/gather_q") == 2
    assert gather_after_dequantize(rewritten) is None  # nothing left to rewrite
    expected = _outputs(_session(original))
    actual = _outputs(_session(rewritten))
    assert np.array_equal(expected, actual)


def test_rewrite_declines_what_it_does_not_understand() -> None:
    assert gather_after_dequantize(b"") is None
    assert gather_after_dequantize(b"\xff\xff\xff") is None  # a truncated varint
    assert gather_after_dequantize(b"not an onnx model at all") is None


def test_prepared_model_is_built_once_and_gives_the_same_outputs(original: Path, tmp_path: Path) -> None:
    cache = tmp_path / "models"
    prepared = prepared_model(original, cache)
    assert prepared.parent == cache
    assert prepared.name.endswith(f"-ort{ort.__version__}.onnx")
    checksum = prepared.with_name(prepared.name + ".sha256")
    assert checksum.read_text().strip() == hashlib.sha256(prepared.read_bytes()).hexdigest()
    built_at = prepared.stat().st_mtime_ns
    assert prepared_model(original, cache) == prepared
    assert prepared.stat().st_mtime_ns == built_at  # reused, not rebuilt
    expected = _outputs(_session(original))
    np.testing.assert_allclose(_outputs(_session(prepared)), expected, rtol=0, atol=1e-5)


def test_a_damaged_prepared_model_is_rebuilt_and_stale_ones_removed(original: Path, tmp_path: Path) -> None:
    cache = tmp_path / "models"
    prepared = prepared_model(original, cache)
    good = prepared.read_bytes()
    stale = cache / "all-MiniLM-L6-v2-int8-4ec59562558b-ort0.0.1.onnx"
    stale.write_bytes(b"old")
    data = bytearray(good)
    data[len(data) // 2] ^= 0xFF
    prepared.write_bytes(bytes(data))
    assert prepared_model(original, cache) == prepared
    assert prepared.read_bytes() == good
    assert not stale.exists()


def test_without_a_writable_cache_the_original_is_loaded(original: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache directory should be")
    assert prepared_model(original, blocker / "models") == original


def test_a_model_with_another_graph_is_loaded_as_it_is(tmp_path: Path) -> None:
    other = tmp_path / "other.onnx"
    other.write_bytes(b"\x08\x07")  # a model with only an ir_version: nothing to rewrite
    assert rewritten_model(other) is None
    assert prepared_model(other, tmp_path / "models") == other


def test_batches_group_similar_lengths_within_the_limits() -> None:
    texts = ["x" * n for n in (900, 5, 40, 3000, 12, 12, 600, 7)] + ["word " * 20] * 40
    batches = _batches(texts)
    assert sorted(i for batch in batches for i in batch) == list(range(len(texts)))
    for batch in batches:
        assert len(batch) <= BATCH_TEXTS
        longest = max(min(DEFAULT_MAX_TOKENS, len(texts[i]) // 3 + 2) for i in batch)
        assert len(batch) == 1 or len(batch) * longest <= BATCH_TOKENS
    # Similar lengths together: the 3,000-character text is not padded next to the 5-character one.
    lengths = [[len(texts[i]) for i in batch] for batch in batches]
    assert lengths == sorted(lengths, key=min)
    assert not any(5 in group and 3000 in group for group in lengths)
    assert _batches([]) == []


def test_heap_settings_are_safe_to_call() -> None:
    assert isinstance(tune_malloc(), bool)
    assert isinstance(release_free_memory(), bool)


def test_batches_run_side_by_side_on_one_thread_each_with_the_same_vectors(tmp_path: Path) -> None:
    """Each inference runs on one thread; several batches run at once (one per worker) and give the
    vectors the batches give one after another."""
    from mcp_memory.config import Settings
    from mcp_memory.embeddings.model import FastEmbedder, load_embedder

    embedder = load_embedder(Settings(data_dir=tmp_path, embedding_threads=2))
    assert isinstance(embedder, FastEmbedder)
    session = embedder._model.session  # DirectModel's ONNX Runtime session
    assert session.get_session_options().intra_op_num_threads == 1
    texts = [f"memory {i}: " + "words of a longer text " * (i % 9) for i in range(70)]
    assert len(_batches(texts)) > 2
    assert embedder.workers == 2
    side_by_side = embedder.embed(texts)
    assert embedder._pool is not None  # the batches went to the workers
    embedder.workers = 1
    assert embedder.embed(texts) == side_by_side


def test_one_process_loads_the_model_for_stores_with_different_cache_directories(tmp_path: Path) -> None:
    """The second store's cache directory must not send the load to the first one's file (deleted
    here, as a temporary directory is): fastembed remembered a custom model's file per process."""
    import shutil

    from mcp_memory.config import Settings
    from mcp_memory.embeddings.model import load_embedder

    def model_file(embedder: object) -> str:
        return str(embedder._model.session._model_path)  # type: ignore[attr-defined]

    first = load_embedder(Settings(data_dir=tmp_path / "a"))
    assert model_file(first).startswith(str(tmp_path / "a" / "models"))
    vector = first.embed(["the same text"])[0]
    shutil.rmtree(tmp_path / "a")
    second = load_embedder(Settings(data_dir=tmp_path / "b"))
    assert model_file(second).startswith(str(tmp_path / "b" / "models"))
    assert second.embed(["the same text"])[0] == vector


def test_stale_files_go_but_a_build_in_progress_stays(original: Path, tmp_path: Path) -> None:
    import os
    import time

    from mcp_memory.embeddings.prepared import prepared_files

    cache = tmp_path / "models"
    cache.mkdir()
    fresh = cache / "all-MiniLM-L6-v2-int8-4ec59562558b-ort9.9.9.onnx.4242.partial"
    crashed = cache / "all-MiniLM-L6-v2-int8-4ec59562558b-ort9.9.9.onnx.4243.partial"
    fresh.write_bytes(b"being written by another process")
    crashed.write_bytes(b"left by a crash")
    old = time.time() - 7200
    os.utime(crashed, (old, old))
    prepared = prepared_model(original, cache)
    assert fresh.exists()
    assert not crashed.exists()
    assert prepared_files(cache) == [(prepared, True)]
    prepared.write_bytes(b"damaged")
    assert prepared_files(cache) == [(prepared, False)]


@pytest.mark.anyio
async def test_a_single_text_does_not_wait_behind_a_batch(tmp_path: Path) -> None:
    """A query (or a single store) embeds while a large batch is still embedding."""
    import threading

    import anyio

    from mcp_memory.config import Settings
    from mcp_memory.embeddings.service import EmbeddingService
    from tests.conftest import FakeEmbedder

    release = threading.Event()

    class SlowBatches(FakeEmbedder):
        def embed(self, texts: list[str]) -> list[bytes]:  # type: ignore[override]
            if len(texts) > 1:
                assert release.wait(10), "the batch was never released"
            return super().embed(texts)

    service = EmbeddingService(Settings(data_dir=tmp_path), loader=lambda s: SlowBatches("slow"))
    await service.load()
    batch: list[bytes] = []

    async def import_many() -> None:
        batch.extend(await service.embed([f"text {i}" for i in range(500)]))

    async with anyio.create_task_group() as group:
        group.start_soon(import_many)
        await anyio.sleep(0.05)
        with anyio.fail_after(5):
            query = await service.embed_query("what did we decide")
        assert not batch  # the batch is still embedding
        release.set()
    assert len(query) == len(batch[0])
    assert len(batch) == 500


def test_a_model_that_is_not_downloaded_fails_at_once_when_the_hub_is_unreachable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A non-bundled model missing from the cache, with its download host unreachable, is refused
    with a message naming the cache, the host and the bundled model (not after a minute of retries)."""
    from mcp_memory.embeddings.model import _load_fastembed_model
    from mcp_memory.errors import ModelUnavailable

    monkeypatch.setenv("HF_ENDPOINT", "https://127.0.0.1")  # nothing listens on 443 here
    settings = make_settings(tmp_path, embedding_model="BAAI/bge-small-en-v1.5")
    with pytest.raises(
        ModelUnavailable, match=r"not downloaded yet .* 127\.0\.0\.1 cannot be reached"
    ) as raised:
        _load_fastembed_model(settings)
    assert "all-MiniLM-L6-v2-int8" in str(raised.value)


def test_an_unloadable_prepared_graph_falls_back_to_the_verified_original(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The prepared graph is a cache: when it cannot be loaded (replaced by another process at the
    wrong moment, a damaged disk), the bundled original loads instead and gives the same vectors."""
    from mcp_memory.embeddings import model as model_module

    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not an onnx graph")
    monkeypatch.setattr(model_module, "prepared_model", lambda original, cache_dir: broken)
    fallback = model_module._load_default(tmp_path / "cache")
    monkeypatch.undo()
    reference = model_module._load_default(tmp_path / "cache2")
    text = ["the deploy key rotates monthly"]
    assert np.allclose(
        np.frombuffer(fallback.embed(text)[0], dtype="<f4"),
        np.frombuffer(reference.embed(text)[0], dtype="<f4"),
        atol=1e-5,
    )


def _load_bundled_with_fastembed(model_file: Path) -> FastEmbedder:
    """The bundled model through fastembed, as it loaded before `DirectModel`."""
    from fastembed import TextEmbedding
    from fastembed.common.model_description import ModelSource, PoolingType

    # fastembed's registry of custom models is per process and keeps the file's path: one name per
    # file, so a process opening stores with different cache directories loads each one's own file.
    name = f"mcp-memory/all-MiniLM-L6-v2-int8-{hashlib.sha256(str(model_file).encode()).hexdigest()[:12]}"
    registered = {m["model"].lower() for m in TextEmbedding.list_supported_models()}
    if name.lower() not in registered:
        TextEmbedding.add_custom_model(
            model=name,
            pooling=PoolingType.MEAN,
            normalization=True,
            sources=ModelSource(hf="sentence-transformers/all-MiniLM-L6-v2"),
            dim=DEFAULT_MODEL_DIM,
            # An absolute path: the weights live in the model cache (or the model package), the
            # tokenizer files here.
            model_file=str(model_file),
            description="all-MiniLM-L6-v2, int8 ONNX, bundled with mcp-memory",
            license="apache-2.0",
        )
    model = TextEmbedding(name, specific_model_path=str(TOKENIZER_DIR), threads=1, **_SESSION_OPTIONS)
    _limit_tokens(model, DEFAULT_MAX_TOKENS)
    return FastEmbedder(model, DEFAULT_MODEL, DEFAULT_MODEL_DIM, DEFAULT_MODEL_SHA256)


def test_the_bundled_model_without_fastembed_gives_fastembeds_vectors_bit_for_bit(
    original: Path, tmp_path: Path
) -> None:
    """`DirectModel` repeats fastembed's tokenizer set-up, inference and pooling; stored vectors made
    by either must be the same, on the original graph and the prepared one, for empty, accented,
    emoji and over-long texts as for sentences, one at a time and in mixed batches."""
    from mcp_memory.embeddings.model import _load_bundled

    texts = [
        "The staging host is pegasus.internal",
        "how do I run the migrations?",
        "",
        " ",
        "naïve café, Zürich: 東京 🙂",
        "word " * 700,
        "x" * 3000,
        *(f"memory {i}: " + "a longer text with several words " * (i % 7) for i in range(40)),
    ]
    for model_file in (original, prepared_model(original, tmp_path / "models")):
        direct, through = _load_bundled(model_file), _load_bundled_with_fastembed(model_file)
        assert direct.embed(texts) == through.embed(texts)
        assert direct.embed(texts[:1]) == through.embed(texts[:1])
