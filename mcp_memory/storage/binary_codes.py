"""The first stage of vector search: one bit per dimension, compared by Hamming distance in memory.

Every stored vector has a binary code beside it (sqlite-vec's `vec_quantize_binary`: bit i is set when
dimension i is positive, 48 bytes for 384 dimensions). This module keeps those codes, and the columns
filters need (project, kind, created_at), in numpy arrays held column by column, so that one query
costs a few vectorised passes (milliseconds even at a million memories: bench/README.md). A shortlist
by Hamming distance is ordered by the asymmetric distance (the float query against each code's signs),
and the best are re-scored exactly from the float vectors in SQLite (`vectors.rescore`), which keeps
at least 0.95 of exact search's recall@10 (bench/README.md).

Why not sqlite-vec's own `vec0` KNN: its top-k selection costs O(rows x k) and each `vec0` point
lookup is costly too, so neither the wide first stage nor the re-scoring fits (bench/README.md).
Nothing here is a second copy of the truth: the database stays the one record and the arrays follow it
through `vector_changes`, a log that triggers on the vector table fill inside the writing transaction.
Before each search the index reads the log past its last position (one primary-key lookup when nothing
changed) and re-reads the rows it names, so writes by this process, another server or the CLI are seen
by the next search. A gap in the log (pruned while this process was idle), a switch of table by
`reindex`, or a restored file reloads everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread

from mcp_memory.storage.vector_tables import codes_table

if TYPE_CHECKING:
    import numpy as np

    from mcp_memory.storage import Reader
    from mcp_memory.storage.filters import MemoryFilter

__all__ = ["SHORTLIST_FACTOR", "BinaryCodes", "candidate_count", "query_code"]

#: `nearest` shortlists this many times the candidates by Hamming distance, then ranks them by the
#: asymmetric distance. 8 instead of 4 gained next to no recall for a measurable cost (bench/README.md).
SHORTLIST_FACTOR = 4
#: From this many codes, `nearest_async` scans in a worker thread.
_THREAD_FROM = 50_000
#: Rows read per query while loading.
_LOAD_CHUNK = 5_000
#: A log this far behind is cheaper to replace by a reload.
_MAX_REPLAY = 20_000


def candidate_count(wanted: int, size: int) -> int:
    """How many codes to re-score for `wanted` results among `size` vectors.

    Chosen on the derived corpora (bench/perf.py) with the asymmetric second pass of `nearest`: these
    counts keep exact search's recall@10 within the goal at 100,000 and at a million memories, with
    at most half the candidates Hamming order alone would need (the recall of each: bench/README.md)."""
    return max(200, 4 * wanted, size // 2000)


def query_code(vector: bytes) -> np.ndarray:
    """The binary code of a float32 vector as 64-bit words, bit for bit what `vec_quantize_binary`
    stores (little-endian bit order within each byte; a test checks they agree)."""
    import numpy as np

    bits = np.packbits(np.frombuffer(vector, dtype="<f4") > 0, bitorder="little")
    return _as_words(bits.tobytes()).reshape(-1)


def _as_words(code: bytes) -> np.ndarray:
    import numpy as np

    return np.frombuffer(_padded(code), dtype="<u8")


@dataclass(frozen=True, slots=True)
class _MaskKey:
    version: int
    projects: tuple[str, ...] | None
    kind: str | None
    since: float | None
    until: float | None


class BinaryCodes:
    """Binary codes of one vector table, kept in step with the database by its change log."""

    def __init__(self) -> None:
        self.table: str | None = None
        self.position = 0
        self.version = 0
        self._lock = anyio.Lock()
        self._size = 0  # slots used (live or freed)
        self._live = 0
        self._free: list[int] = []
        self._words: Any = None  # (words per code, capacity) uint64, one row per word
        self._ids: Any = None  # int64 memory id per slot, 0 when free
        self._project: Any = None  # int32 code of the project per slot
        self._kind: Any = None  # int32 code of the kind per slot
        self._created: Any = None  # float64 created_at per slot
        self._labels: dict[str, int] = {}
        self._mask: tuple[_MaskKey, Any] | None = None

    def __len__(self) -> int:
        return self._live

    # -- keeping in step ---------------------------------------------------------------------------

    async def sync(self, db: Reader, vector_table: str) -> None:
        """Bring the arrays up to the database's last committed state of `vector_table`'s codes."""
        table = codes_table(vector_table)
        async with self._lock:
            if table != self.table:
                await self._reload(db, table)
                return
            newest = await db.scalar("SELECT max(seq) FROM vector_changes")
            newest = int(newest or 0)
            if newest == self.position:
                return
            if newest < self.position or newest - self.position > _MAX_REPLAY:
                await self._reload(db, table)
                return
            rows = await db.fetchall(
                "SELECT seq, memory_id FROM vector_changes WHERE seq > ? ORDER BY seq", (self.position,)
            )
            if not rows or int(rows[0][0]) != self.position + 1:
                await self._reload(db, table)  # the entries we missed were pruned
                return
            changed = sorted({int(r[1]) for r in rows})
            found: dict[int, Any] = {}
            for start in range(0, len(changed), 500):
                part = changed[start : start + 500]
                for row in await db.fetchall(
                    f"SELECT memory_id, code, project, kind, created_at FROM {table} "
                    f"WHERE memory_id IN ({', '.join('?' * len(part))})",
                    part,
                ):
                    found[int(row[0])] = row
            slots = self._slots_of(changed)
            for memory_id in changed:
                row = found.get(memory_id)
                if row is None:
                    self._remove(slots.get(memory_id))
                else:
                    slots[memory_id] = self._put(
                        memory_id,
                        slots.get(memory_id),
                        bytes(row[1]),
                        str(row[2]),
                        str(row[3]),
                        float(row[4]),
                    )
            self.position = int(rows[-1][0])
            self.version += 1

    async def _reload(self, db: Reader, table: str) -> None:
        import numpy as np

        # The log position is read first: a change committed while the rows load is replayed by the
        # next sync, and replaying re-reads the row as it then is.
        position = int(await db.scalar("SELECT max(seq) FROM vector_changes") or 0)
        self._reset()
        # Sized once to the rows there are: growing by doubling would hold up to twice the memory.
        expected = int(await db.scalar(f"SELECT count(*) FROM {table}") or 0)
        last = 0
        while True:
            rows = await db.fetchall(
                f"SELECT memory_id, code, project, kind, created_at FROM {table} "
                "WHERE memory_id > ? ORDER BY memory_id LIMIT ?",
                (last, _LOAD_CHUNK),
            )
            if not rows:
                break
            self._reserve(max(expected, self._size + len(rows)), len(bytes(rows[0][1])))
            codes = np.frombuffer(b"".join(_padded(bytes(r[1])) for r in rows), dtype="<u8")
            start, end = self._size, self._size + len(rows)
            self._words[:, start:end] = codes.reshape(len(rows), -1).T
            self._ids[start:end] = [int(r[0]) for r in rows]
            self._project[start:end] = [self._label(str(r[2])) for r in rows]
            self._kind[start:end] = [self._label(str(r[3])) for r in rows]
            self._created[start:end] = [float(r[4]) for r in rows]
            self._size = end
            self._live += len(rows)
            last = int(rows[-1][0])
        self.table = table
        self.position = position
        self.version += 1

    def _reset(self) -> None:
        self._size = self._live = 0
        self._free, self._labels = [], {}
        self._words = self._ids = self._project = self._kind = self._created = None
        self._mask = None

    def _label(self, value: str) -> int:
        return self._labels.setdefault(value, len(self._labels))

    def _reserve(self, needed: int, code_bytes: int) -> None:
        import numpy as np

        capacity = 0 if self._ids is None else len(self._ids)
        if needed <= capacity:
            return
        grown = max(needed, capacity + capacity // 4, 1024)
        words = np.zeros(((code_bytes + 7) // 8, grown), dtype=np.uint64)
        arrays: list[Any] = [
            np.zeros(grown, dtype=np.int64),
            np.zeros(grown, dtype=np.int32),
            np.zeros(grown, dtype=np.int32),
            np.zeros(grown, dtype=np.float64),
        ]
        if self._ids is not None:
            words[:, :capacity] = self._words
            for new, old in zip(arrays, (self._ids, self._project, self._kind, self._created), strict=True):
                new[:capacity] = old
        self._words = words
        self._ids, self._project, self._kind, self._created = arrays

    def _slots_of(self, memory_ids: list[int]) -> dict[int, int]:
        """The slots holding these memories' codes (absent: not in the index). Found in the ids array
        itself: a dict from id to slot cost ~100 bytes per code (10 MiB at 100,000 memories)."""
        import numpy as np

        n = self._size
        if not n or not memory_ids:
            return {}
        ids = self._ids[:n]
        if len(memory_ids) <= 16:
            found = {}
            for memory_id in memory_ids:
                hits = np.flatnonzero(ids == memory_id)
                if len(hits):
                    found[memory_id] = int(hits[0])
            return found
        order = np.argsort(ids, kind="stable")
        wanted = np.asarray(memory_ids, dtype=np.int64)
        at = np.minimum(np.searchsorted(ids[order], wanted), n - 1)
        slots = order[at]
        hit = ids[slots] == wanted
        return {int(m): int(slot) for m, slot, ok in zip(wanted, slots, hit, strict=True) if ok}

    def _put(
        self, memory_id: int, slot: int | None, code: bytes, project: str, kind: str, created_at: float
    ) -> int:
        """Write a code into `slot` (its memory's current slot), or a new one; returns the slot."""
        if slot is None:
            if self._free:
                slot = self._free.pop()
            else:
                self._reserve(self._size + 1, len(code))
                slot = self._size
                self._size += 1
            self._live += 1
        self._words[:, slot] = _as_words(code)
        self._ids[slot] = memory_id
        self._project[slot] = self._label(project)
        self._kind[slot] = self._label(kind)
        self._created[slot] = created_at
        return slot

    def _remove(self, slot: int | None) -> None:
        if slot is None:
            return
        self._ids[slot] = 0
        self._free.append(slot)
        self._live -= 1

    # -- searching ---------------------------------------------------------------------------------

    def _filter_mask(self, flt: MemoryFilter | None) -> Any:
        """Which slots hold a live vector that passes the filter's project, kind and time clauses."""
        import numpy as np

        n = self._size
        key = _MaskKey(
            self.version,
            flt.scope.projects if flt else None,
            flt.kind if flt else None,
            flt.since if flt else None,
            flt.until if flt else None,
        )
        if self._mask is not None and self._mask[0] == key:
            return self._mask[1]
        mask = self._ids[:n] != 0
        if key.projects is not None:
            wanted = [self._labels[p] for p in key.projects if p in self._labels]
            inside = np.zeros(n, dtype=bool)
            for label in wanted:
                inside |= self._project[:n] == label
            mask &= inside
        if key.kind is not None:
            mask &= self._kind[:n] == self._labels.get(key.kind, -1)
        if key.since is not None:
            mask &= self._created[:n] >= key.since
        if key.until is not None:
            mask &= self._created[:n] < key.until
        self._mask = (key, mask)
        return mask

    def matching(self, flt: MemoryFilter | None) -> int:
        """How many vectors pass the filter's project, kind and time clauses."""
        if not self._size:
            return 0
        return int(self._filter_mask(flt).sum())

    async def nearest_async(self, vector: bytes, count: int, flt: MemoryFilter | None = None) -> list[int]:
        """`nearest`, in a worker thread for a large index so the event loop keeps serving the
        keyword stage meanwhile (the scan takes milliseconds at a million codes, and numpy releases
        the GIL while it runs). The lock keeps a concurrent sync from changing the arrays under it."""
        if self._size < _THREAD_FROM:
            return self.nearest(vector, count, flt)
        async with self._lock:
            return await anyio.to_thread.run_sync(self.nearest, vector, count, flt)

    def nearest(self, vector: bytes, count: int, flt: MemoryFilter | None = None) -> list[int]:
        """Memory ids of about `count` vectors nearest `vector` by their codes, among the vectors
        passing the filter's project, kind and time clauses; nearest first.

        Two passes: Hamming distance between the codes picks SHORTLIST_FACTOR x `count`, then those
        are ranked by the float query's dot product with each code's signs (the asymmetric distance:
        only the stored side is quantized), which orders them much closer to the exact order."""
        import numpy as np

        n = self._size
        if not n or count <= 0:
            return []
        query = query_code(vector)
        words = self._words
        if len(query) != words.shape[0]:
            return []  # a vector of another model: the caller's model check reports it
        distance = np.zeros(n, dtype=np.uint16)
        scratch = np.empty(n, dtype=np.uint64)
        bits = np.empty(n, dtype=np.uint8)
        for j in range(words.shape[0]):
            np.bitwise_xor(words[j, :n], query[j], out=scratch)
            np.bitwise_count(scratch, out=bits)
            distance += bits
        mask = self._filter_mask(flt)
        worst = 64 * words.shape[0] + 1
        distance[~mask] = worst
        chosen = _shortlist(distance, count * SHORTLIST_FACTOR, worst)
        floats = np.frombuffer(vector, dtype="<f4")
        signs = np.unpackbits(
            np.ascontiguousarray(words[:, chosen].T).view(np.uint8), axis=1, bitorder="little"
        )[:, : len(floats)]
        score = signs.astype(np.float32) @ floats
        best = np.argsort(-score, kind="stable")[:count]
        return [int(i) for i in self._ids[chosen[best]]]


#: From this many slots, `_shortlist` estimates its cutoff from every _SAMPLE_STEP-th distance.
_SAMPLE_FROM = 200_000
_SAMPLE_STEP = 16


def _shortlist(distance: np.ndarray, wanted: int, worst: int) -> np.ndarray:
    """The slots of the `wanted` smallest distances below `worst`, and any tied with the last of them
    (a few more when sampled); cheaper than a partition over every slot.

    The cutoff comes from a histogram (distances are small integers). Over a million slots that
    histogram alone is a large share of the scan (bench/README.md), so a large index takes the cutoff at
    1.25 x `wanted` from a sample of every 16th distance and checks it: a cutoff at least as large as
    the exact one selects every slot the exact one does (the asymmetric pass then ranks a few more); a
    smaller one is replaced by the exact cutoff."""
    import numpy as np

    if len(distance) >= _SAMPLE_FROM:
        sample = np.bincount(distance[::_SAMPLE_STEP], minlength=worst + 1)
        guess = int(np.searchsorted(np.cumsum(sample[:worst]), wanted * 1.25 / _SAMPLE_STEP))
        chosen = np.flatnonzero(distance <= min(guess, worst - 1))
        if len(chosen) >= wanted:
            return chosen
    histogram = np.bincount(distance, minlength=worst + 1)
    cutoff = int(np.searchsorted(np.cumsum(histogram[:worst]), wanted))
    return np.flatnonzero(distance <= min(cutoff, worst - 1))


def _padded(code: bytes) -> bytes:
    return code + b"\x00" * (-len(code) % 8)
