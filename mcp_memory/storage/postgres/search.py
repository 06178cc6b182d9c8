"""The search's reads on Postgres: the words' stems and document counts, the keyword candidates
(the memory's stemmed `tsvector` under a GIN index), the nearest vectors (pgvector, HNSW with
iterative scans so filters still fill the result), and the texts and vectors the last stage reads.

Every query runs as the connecting member, so row-level security applies to all of it: a word's
document count, a candidate, a neighbour are only ever the member's own and the team's memories.
The same calibrated relevance as on SQLite is computed from these (`mcp_memory.relevance`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from mcp_memory.storage.filters import MemoryFilter
from mcp_memory.storage.query import QuerySource

__all__ = [
    "keyword_candidates",
    "memory_texts",
    "nearest",
    "statistics",
    "vectors_by_id",
]

#: Seconds a word's document count (and the number of memories) is reused before it is counted again.
_COUNT_TTL = 300.0
_counts: dict[tuple[int, str], tuple[int, float]] = {}
_stem_cache: dict[str, tuple[str, ...]] = {}
_CACHE_LIMIT = 50_000

_LEXEMES = (
    "SELECT w.ord, lexeme FROM unnest(?::text[]) WITH ORDINALITY AS w(word, ord), "
    "unnest(tsvector_to_array(to_tsvector('english', w.word))) AS lexeme ORDER BY w.ord"
)


def _query(stems: Sequence[str]) -> str:
    """A tsquery text matching any of `stems` (already lexemes: each quoted, none stemmed again)."""
    return " | ".join("'" + s.replace("'", "''") + "'" for s in stems)


async def statistics(
    source: QuerySource, words: Sequence[str]
) -> tuple[dict[str, tuple[str, ...]], dict[str, int], int]:
    """Each word's stems (Postgres' English stemmer), each stem's number of live memories holding it,
    and the number of live memories; counts are kept `_COUNT_TTL` seconds per database."""
    now = time.monotonic()
    if len(_counts) > _CACHE_LIMIT:
        _counts.clear()
    if len(_stem_cache) > _CACHE_LIMIT:
        _stem_cache.clear()
    key = id(source)
    unknown = [w for w in dict.fromkeys(words) if w not in _stem_cache]
    if unknown:
        found: dict[int, list[str]] = {}
        for ord_, lexeme in await source.fetchall(_LEXEMES, [unknown]):
            found.setdefault(int(ord_) - 1, []).append(str(lexeme))
        for index, word in enumerate(unknown):
            _stem_cache[word] = tuple(found.get(index, ()))
    stems = {w: _stem_cache[w] for w in words}
    wanted = sorted({s for group in stems.values() for s in group})
    stale = [s for s in ["", *wanted] if (key, s) not in _counts or now - _counts[(key, s)][1] > _COUNT_TTL]
    if stale:
        statements: list[tuple[str, Sequence[Any]]] = [
            ("SELECT count(*) FROM memories WHERE deleted_at IS NULL", ())
            if stem == ""
            else (
                "SELECT count(*) FROM memories WHERE search @@ ?::tsquery AND deleted_at IS NULL",
                [_query([stem])],
            )
            for stem in stale
        ]
        for stem, rows in zip(stale, await source.fetch_many(statements), strict=True):
            _counts[(key, stem)] = (int(rows[0][0]), now)
    counts = {s: _counts[(key, s)][0] for s in wanted}
    return stems, counts, _counts[(key, "")][0]


def _words_query(words: Sequence[str]) -> str:
    """SQL for a tsquery matching any of `words`, each stemmed as the index stems it (one parameter
    per word)."""
    return "(" + " || ".join(["plainto_tsquery('english', ?)"] * len(words)) + ")"


async def keyword_candidates(
    source: QuerySource,
    rare: Sequence[str],
    common: Sequence[str],
    flt: MemoryFilter,
    n: int,
    *,
    newest: bool,
) -> dict[int, float]:
    """The best `n` memories passing `flt` that hold any of the `rare` words, ranked on all the
    words (Postgres' cover-density rank; the newest first with `newest`), as row id -> score
    (higher is better). As on SQLite, only memories holding a rare word are ranked, so a common
    word does not make the query rank most of the store."""
    if not rare:
        return {}
    where, params = flt.sql("m")
    order = "m.id DESC" if newest else "score DESC, m.id"
    every = [*rare, *common]
    rows = await source.fetchall(
        f"SELECT m.id, ts_rank_cd(m.search, {_words_query(every)}) AS score FROM memories m "
        f"WHERE m.search @@ {_words_query(rare)} AND {where} ORDER BY {order} LIMIT ?",
        [*every, *rare, *params, n],
    )
    return {int(r[0]): float(r[1]) for r in rows}


async def memory_texts(source: QuerySource, rowids: Sequence[int]) -> list[Any]:
    """(id, content and tags as one text) of the memories of `rowids`."""
    return await source.fetchall(
        "SELECT m.id, m.content || ' ' || m.tags_text FROM memories m WHERE m.id = ANY(?)",
        [list(rowids)],
    )


async def nearest(
    source: QuerySource, vector: bytes, flt: MemoryFilter, n: int, *, exclude: int | None = None
) -> list[tuple[int, float]]:
    """The `n` memories passing `flt` whose vectors are nearest to `vector`, as (row id, cosine
    similarity), best first."""
    from mcp_memory.storage.postgres.indexes import as_vector

    where, params = flt.sql("m")
    if exclude is not None:
        where, params = f"{where} AND m.id != ?", [*params, exclude]
    question = as_vector(vector)
    rows = await source.fetchall(
        "SELECT m.id, 1 - (m.embedding <=> ?) AS sim FROM memories m "
        f"WHERE m.embedding IS NOT NULL AND {where} ORDER BY m.embedding <=> ? LIMIT ?",
        [question, *params, question, n],
    )
    return [(int(r[0]), float(r[1])) for r in rows]


async def vectors_by_id(source: QuerySource, rowids: Sequence[int]) -> dict[int, bytes]:
    """The float32 blobs of the memories of `rowids` that have a vector."""
    if not rowids:
        return {}
    rows = await source.fetchall(
        "SELECT id, embedding FROM memories WHERE id = ANY(?) AND embedding IS NOT NULL", [list(rowids)]
    )
    return {int(r[0]): bytes(r[1]) for r in rows}
