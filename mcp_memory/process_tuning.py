"""Tuning the process for a server's work: its memory kept small on glibc (Linux: fewer malloc
arenas, large blocks given back when freed, free pages handed back after the model loads), and the
GIL handed between threads sooner (`tune_threads`).

Why: glibc keeps freed memory for reuse. Creating the ONNX Runtime session frees tens of MiB of
scratch, each busy thread gets a malloc arena of its own, and glibc raises its threshold for
serving large blocks from the heap every time one is freed, so temporary arrays of a search end up
scattered over the heap. On the server at 100,000 memories these settings left less resident after
a thousand searches, at the same search times (figures in bench/README.md).
Elsewhere (macOS, Windows, musl) the malloc calls do nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from functools import cache
from typing import Any

__all__ = ["release_free_memory", "tune_malloc", "tune_threads"]

# mallopt parameters (glibc's malloc.h).
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
#: Blocks from this size up get their own mapping, returned to the system when freed.
_MMAP_THRESHOLD = 256 * 1024


@cache
def _glibc() -> Any | None:
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c") or "libc.so.6"
    try:
        libc = ctypes.CDLL(name)
    except OSError:
        return None
    if not hasattr(libc, "malloc_trim") or not hasattr(libc, "mallopt"):
        return None  # not glibc (musl has neither)
    return libc


def tune_malloc(arenas: int = 2) -> bool:
    """Cap glibc's malloc arenas (it makes up to 8 per core) and fix the size from which blocks are
    mapped on their own. Call it before threads start. Returns whether glibc took both."""
    libc = _glibc()
    if libc is None:
        return False
    return bool(
        libc.mallopt(_M_ARENA_MAX, arenas) == 1 and libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD) == 1
    )


def release_free_memory() -> bool:
    """Return the heap's free pages to the system (glibc's malloc_trim). Returns whether any were."""
    libc = _glibc()
    return bool(libc is not None and libc.malloc_trim(0) == 1)


#: How long (seconds) a thread holding the GIL runs before a waiting thread gets it (Python: 0.005).
GIL_SWITCH_INTERVAL = 0.0005


def tune_threads() -> None:
    """Hand the GIL to a waiting thread after 0.5 ms instead of Python's 5. A search runs Python on
    the event loop (matching words, scoring) while its question is embedded on a worker thread, whose
    every step back into Python waited up to 5 ms for the GIL, which slowed the vector stage and the
    whole search over stdio (figures in bench/README.md)."""
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
