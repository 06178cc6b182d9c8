"""The bundled model as the server loads it: lighter in memory, same vectors.

Two steps, done once and kept in the model cache directory:

1. `rewrite.gather_after_dequantize`: the embedding tables stay int8 and only the rows a text uses
   are dequantized (the bundled model is checked by sha256 before, the result after).
2. ONNX Runtime's own graph optimizations (fusions, constant folding), saved with the
   `optimized_model_filepath` session option. Creating a session from the unoptimized graph holds
   the int8 constants, their float copies and the parsed file at once; from the saved graph it
   holds little more than the weights.

Measured on this machine (process RSS, the server's settings): loading the original file peaks at
280 MiB and settles at 163; the rewritten graph peaks at 192 and settles at 130; the saved optimized
graph peaks at 118 and settles at 108 (a process without the model: 44).

The saved graph depends on the ONNX Runtime version, so its name carries it, and its sha256 is
written beside it and checked on every load (a damaged file is rebuilt, never used). Anything that
fails falls back to the original file, which is always correct, only heavier.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from mcp_memory.embeddings.checksum import sha256_file
from mcp_memory.embeddings.rewrite import gather_after_dequantize
from mcp_memory.logs import get_logger

__all__ = ["REWRITTEN_MODEL_SHA256", "prepared_files", "prepared_model", "rewritten_model"]

_log = get_logger(__name__)

#: The bundled model after `gather_after_dequantize` (its outputs are bit-identical).
REWRITTEN_MODEL_SHA256 = "4ec59562558b6946a2d245b219dcdf3e38f0963b1b2e9600188ef339cd93b958"
_PREFIX = "all-MiniLM-L6-v2-int8-"


def rewritten_model(original: Path) -> bytes | None:
    """The rewritten graph of the (already verified) bundled model, or None if the result is not
    the pinned one."""
    rewritten = gather_after_dequantize(original.read_bytes())
    if rewritten is None or hashlib.sha256(rewritten).hexdigest() != REWRITTEN_MODEL_SHA256:
        return None
    return rewritten


def _intact(path: Path) -> bool:
    checksum = path.with_name(path.name + ".sha256")
    try:
        return path.is_file() and checksum.read_text().strip() == sha256_file(path)
    except OSError:
        return False


def _build(rewritten: bytes, target: Path) -> None:
    import onnxruntime as ort

    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    options = ort.SessionOptions()
    # EXTENDED, not ALL: the layout changes of ALL are specific to this CPU; the server's session
    # applies them when it loads the file.
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    options.optimized_model_filepath = str(partial)
    options.enable_cpu_mem_arena = False
    options.intra_op_num_threads = 1
    try:
        ort.InferenceSession(rewritten, options, providers=["CPUExecutionProvider"])
        with partial.open("rb+") as handle:
            os.fsync(handle.fileno())
        # The checksum goes in by rename too: a process checking the file meanwhile never reads a
        # half-written checksum (and rebuilds at worst, never loads a damaged file).
        checksum = target.with_name(target.name + ".sha256")
        pending = checksum.with_name(f"{checksum.name}.{os.getpid()}.partial")
        pending.write_text(sha256_file(partial) + "\n")
        os.replace(pending, checksum)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
        target.with_name(f"{target.name}.sha256.{os.getpid()}.partial").unlink(missing_ok=True)


def _remove_stale(cache_dir: Path, keep: Path) -> None:
    """Files of older versions, and partial files left by a crash (an hour old: a younger one may be
    another process's build in progress)."""
    for path in cache_dir.glob(_PREFIX + "*"):
        if path == keep or path.name == keep.name + ".sha256":
            continue
        try:
            if path.name.endswith(".partial") and time.time() - path.stat().st_mtime < 3600:
                continue
            path.unlink(missing_ok=True)
        except OSError:
            continue


def prepared_files(cache_dir: Path) -> list[tuple[Path, bool]]:
    """The prepared model files in `cache_dir`, each with whether it matches its sha256 (for doctor)."""
    return [(path, _intact(path)) for path in sorted(cache_dir.glob(_PREFIX + "*.onnx"))]


def prepared_model(original: Path, cache_dir: Path) -> Path:
    """The file the server should load for the bundled model `original` (already verified): the
    prepared graph in `cache_dir`, built on first use, or `original` when that cannot be done."""
    import onnxruntime as ort

    target = cache_dir / f"{_PREFIX}{REWRITTEN_MODEL_SHA256[:12]}-ort{ort.__version__}.onnx"
    try:
        if _intact(target):
            return target
        rewritten = rewritten_model(original)
        if rewritten is None:
            _log.warning("the bundled model's graph is not the expected one; loading it as it is")
            return original
        cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        _build(rewritten, target)
        _remove_stale(cache_dir, target)
        _log.info("prepared the embedding model's lighter graph", file=str(target))
        return target
    except Exception as exc:  # any failure here only costs memory: the original file is correct
        _log.warning("could not prepare the lighter model graph; loading the original", error=str(exc))
        return original
