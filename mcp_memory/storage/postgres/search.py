"""The search's reads on Postgres: the words' stems and document counts, the keyword candidates
(the memory's stemmed `tsvector` under a GIN index), the nearest vectors (pgvector, HNSW with
iterative scans so filters still fill the result), and the texts and vectors the last stage reads.

Every query runs as the connecting member, so row-level security applies to all of it: a word's
document count, a candidate, a neighbour are only ever the member's own and the team's memories.
The same calibrated relevance as on SQLite is computed from these (`mcp_memory.relevance`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mcp_memory.storage.filters import MemoryFilter
from mcp_memory.storage.query import QuerySource

__all__ = [
    "LIVE_ROWS",
    "any_word_query",
    "best_matches",
    "keyword_candidates",
    "known_stems",
    "memory_stems",
    "memory_texts",
    "nearest",
    "stem_counts",
    "word_stems",
]

_stem_cache: dict[str, tuple[str, ...]] = {}
_STEM_CACHE_LIMIT = 50_000

_LEXEMES = (
    "SELECT w.ord, lexeme FROM unnest(?::text[]) WITH ORDINALITY AS w(word, ord), "
    "unnest(tsvector_to_array(to_tsvector('english', w.word))) AS lexeme ORDER BY w.ord"
)
#: The live memories the connecting member can see (the team's and their own; the schema's function
#: counts them with an index, where the member's own query would scan under the row policies).
LIVE_ROWS = "SELECT visible_live_count()"


def known_stems(words: Sequence[str]) -> dict[str, tuple[str, ...]] | None:
    """Each word's stems when every one of `words` was stemmed before in this process, else None."""
    if all(w in _stem_cache for w in words):
        return {w: _stem_cache[w] for w in words}
    return None


async def word_stems(source: QuerySource, words: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Each word's stems by Postgres' English stemmer (kept per process: they depend on no data)."""
    if len(_stem_cache) > _STEM_CACHE_LIMIT:
        _stem_cache.clear()
    unknown = [w for w in dict.fromkeys(words) if w not in _stem_cache]
    if unknown:
        found: dict[int, list[str]] = {}
        for ord_, lexeme in await source.fetchall(_LEXEMES, [unknown]):
            found.setdefault(int(ord_) - 1, []).append(str(lexeme))
        for index, word in enumerate(unknown):
            _stem_cache[word] = tuple(found.get(index, ()))
    return {w: _stem_cache[w] for w in words}


async def stem_counts(
    source: QuerySource, stems: Sequence[str], *, with_rows: bool
) -> tuple[dict[str, int], int | None]:
    """How many live memories the member can read hold each of `stems`, and, `with_rows`, how many
    live memories they can read; one trip. The schema's functions count (with the GIN index, and the
    privacy rule applied there: `schema.py`)."""
    statements: list[tuple[str, Sequence[Any]]] = []
    if stems:
        statements.append(("SELECT stem, n FROM visible_stem_counts(?::text[])", [list(stems)]))
    if with_rows:
        statements.append((LIVE_ROWS, ()))
    results = await source.fetch_many(statements) if statements else []
    counts = {str(r[0]): int(r[1]) for r in results[0]} if stems else {}
    return counts, int(results[-1][0][0]) if with_rows else None


def any_word_query(words: Sequence[str]) -> str:
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
    # The matches come from the schema's function (the GIN index serves it; the member's own query
    # could not use it under the row policies: `schema.py`), joined to the rows the member reads.
    rows = await source.fetchall(
        f"SELECT m.id, h.score FROM visible_keyword_matches({any_word_query(rare)}, "
        f"{any_word_query(every)}) AS h JOIN memories m ON m.id = h.id "
        f"WHERE {where} ORDER BY {order} LIMIT ?",
        [*rare, *every, *params, n],
    )
    return {int(r[0]): float(r[1]) for r in rows}


async def best_matches(
    source: QuerySource, words: Sequence[str], flt: MemoryFilter, limit: int
) -> list[tuple[int, str]]:
    """(row id, content) of the best `limit` memories passing `flt` that hold any of `words`, best
    first (the prompt hook's candidates: `keywords.best_matches` on SQLite)."""
    if not words:
        return []
    where, params = flt.sql("m")
    query = any_word_query(words)
    rows = await source.fetchall(
        f"SELECT m.id, m.content FROM visible_keyword_matches({query}, {query}) AS h "
        f"JOIN memories m ON m.id = h.id WHERE {where} ORDER BY h.score DESC, m.id LIMIT ?",
        [*words, *words, *params, limit],
    )
    return [(int(r[0]), str(r[1])) for r in rows]


async def memory_stems(source: QuerySource, rowids: Sequence[int]) -> dict[int, set[str]]:
    """The stems of each memory of `rowids` as its keyword vector holds them (content and tags)."""
    rows = await source.fetchall(
        "SELECT m.id, tsvector_to_array(m.search) FROM memories m WHERE m.id = ANY(?)", [list(rowids)]
    )
    return {int(r[0]): {str(stem) for stem in r[1]} for r in rows}


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
    # Ordered by the selected distance itself (ORDER BY 2), so each row's distance is computed, and
    # its vector read, once; the HNSW index still serves the order.
    rows = await source.fetchall(
        "SELECT m.id, m.embedding <=> ? AS distance FROM memories m "
        f"WHERE m.embedding IS NOT NULL AND {where} ORDER BY 2 LIMIT ?",
        [as_vector(vector), *params, n],
    )
    return [(int(r[0]), 1.0 - float(r[1])) for r in rows]
