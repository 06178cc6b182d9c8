"""The keyword stage's ranked FTS5 queries: the best BM25 matches of the MATCH expressions
`keywords.plan_keywords` chose, with the search's filters, in as few trips as the filter allows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mcp_memory.storage.filters import MemoryFilter
from mcp_memory.storage.keywords import KeywordPlan, match_expression
from mcp_memory.storage.postgres import search as pg_search
from mcp_memory.storage.query import POSTGRES, QuerySource

__all__ = ["bm25_candidates", "keyword_candidates"]


async def keyword_candidates(
    source: QuerySource, plan: KeywordPlan, flt: MemoryFilter, n: int, *, reach: int, narrow: bool
) -> dict[int, float]:
    """The best `n` memories passing `flt` for the words `plan` chose, as row id -> score (higher is
    better): on SQLite the BM25 of the rare words and of the rare and common ones together
    (`bm25_candidates`), on Postgres the cover-density rank of the same words."""
    if not plan.rare:
        return {}
    if source.dialect == POSTGRES:
        return await pg_search.keyword_candidates(
            source, plan.rare, plan.common, flt, n, newest=not plan.ranked
        )
    rare = match_expression(plan.rare)
    matches = [rare]
    if plan.ranked and plan.common:
        matches.append(f"({rare}) AND ({match_expression(plan.common)})")
    return await bm25_candidates(
        source, [m for m in matches if m], flt, n, reach=reach, newest=not plan.ranked, narrow=narrow
    )


async def bm25_candidates(
    source: QuerySource,
    matches: Sequence[str],
    flt: MemoryFilter,
    n: int,
    *,
    reach: int,
    newest: bool,
    narrow: bool,
) -> dict[int, float]:
    """The best `n` memories passing `flt` for each MATCH expression of `matches` (the rare words,
    then rare and common: see `mcp_memory.storage.keywords`), as row id -> score (higher is better; a later
    expression's score replaces an earlier one's). `newest`: the newest matches instead of the
    best ranked. `narrow`: the filter passes few memories. Every statement goes in one trip, and a
    second trip only when the filter rejected too many of the `reach` ranked rows.

    When most memories pass the filter (the usual case: this project's memories fill the store), FTS5
    alone ranks `reach` rows, then only those memories are looked up. Joining inside the ranked query
    looks up every matching memory (up to `keywords.POSTINGS_BUDGET` of them) before sorting, slower at
    100,000 memories (bench/README.md). A narrow filter (a small project among others, tags) keeps the
    joined query, where the planner can start from the filter's index."""
    where, params = flt.sql("m")
    order = "rowid DESC" if newest else "rank"

    def joined(match: str) -> tuple[str, list[Any]]:
        return (
            "SELECT m.id, bm25(memories_fts) AS rank FROM memories_fts "
            "JOIN memories m ON m.id = memories_fts.rowid "
            f"WHERE memories_fts MATCH ? AND {where} "
            f"ORDER BY {'memories_fts.rowid DESC' if newest else 'rank'} LIMIT ?",
            [match, *params, n],
        )

    def ranked(match: str) -> tuple[str, list[Any]]:
        # CROSS JOIN and NOT INDEXED: the ranked rows are the outer loop and each memory is found by
        # its id (else the planner may walk a project's index, several times slower: bench/README.md).
        return (
            "SELECT m.id, f.rank FROM (SELECT rowid, bm25(memories_fts) AS rank FROM memories_fts "
            f"WHERE memories_fts MATCH ? ORDER BY {order} LIMIT ?) f "
            f"CROSS JOIN memories m NOT INDEXED ON m.id = f.rowid WHERE {where} "
            f"ORDER BY f.{order} LIMIT ?",
            [match, reach, *params, n],
        )

    def matching(match: str) -> tuple[str, list[Any]]:
        return (
            "SELECT count(*) FROM (SELECT 1 FROM memories_fts WHERE memories_fts MATCH ? LIMIT ?)",
            [match, reach],
        )

    if narrow:
        statements = [joined(m) for m in matches]
    else:
        statements = [statement for m in matches for statement in (ranked(m), matching(m))]
    results = await source.fetch_many(statements)
    scores: dict[int, float] = {}
    for position, match in enumerate(matches):
        if narrow:
            rows = results[position]
        else:
            rows, found = results[2 * position], int(results[2 * position + 1][0][0])
            if len(rows) < n and found >= reach:
                (rows,) = await source.fetch_many([joined(match)])  # the filter rejected too many
        scores.update({int(r[0]): -float(r[1]) for r in rows})
    return scores
