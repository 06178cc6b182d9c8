"""Hybrid search: FTS5 BM25 keyword candidates and sqlite-vec KNN candidates, fused, then lifted by
session context.

1. Candidates: the best BM25 matches from SQL with the filters inside the query, and the nearest
   vectors in two stages (binary codes in memory, then exact cosine over the float vectors;
   `nearest_memories`), with project, kind and time filters inside the first stage's scan.
2. Fusion: each list's scores are min-max normalised over its candidates and combined, keywords
   weighing 0.6 and meaning 0.4 (score fusion kept more of both signals than reciprocal-rank fusion
   on LoCoMo: bench/README.md has the table).
3. Session context: a memory gains 0.3 x the best score of the memories stored right before and after
   it in the same project within an hour (one working session, one conversation), and 0.15 x that of
   the ones two away. Answers often sit next to the memory that matched the words: a decision and
   its reason, a question and its reply.

Before the embedding model is ready, or when it does not match the stored vectors, search answers
from keywords alone and says so in `notice`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from mcp_memory.concurrently import concurrently
from mcp_memory.errors import InvalidInput
from mcp_memory.limits import MAX_LIMIT, clean_query
from mcp_memory.services.app import App
from mcp_memory.services.memories.elsewhere import counts_elsewhere, scope_hint
from mcp_memory.services.memories.store import Memory, load_memories, record_access
from mcp_memory.storage.codes import candidate_count
from mcp_memory.storage.filters import MemoryFilter, build_filter
from mcp_memory.storage.keywords import plan_keywords
from mcp_memory.storage.vectors import rescore

__all__ = ["SearchHit", "SearchMode", "SearchResult", "keyword_query", "nearest_memories", "search_memories"]

SearchMode = Literal["hybrid", "semantic", "keyword"]

#: Weight of the keyword signal in the fused score (meaning gets the rest).
_KEYWORD_WEIGHT = 0.6
#: The keyword stage ranks this many times the candidates it needs before filtering them.
_KEYWORD_OVERFETCH = 4
#: Share of a neighbouring memory's score a memory gains (session context): the best of the memories
#: right before and after it, then half that for the ones two away.
_NEIGHBOUR_WEIGHTS = (0.3, 0.15)
#: Memories stored at most this far apart (seconds) belong to one session.
_SESSION_GAP = 3600.0
#: With diversify, a result this similar to one already taken counts as a near-copy.
_NEAR_DUPLICATE = 0.9
#: A tag filter naming at most this many memories is answered exactly from them.
_EXACT_TAGGED = 4096
#: A vector neighbour less similar than this is noise unless its keywords matched too.
_MIN_SIMILARITY = 0.15
_WORD = re.compile(r"\w+", re.UNICODE)
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "she",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
    ]
)


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One result: the memory, its fused score and the signals that put it there."""

    memory: Memory
    score: float
    why: tuple[str, ...]
    similarity: float | None


@dataclass(frozen=True, slots=True)
class SearchResult:
    hits: tuple[SearchHit, ...]
    mode: SearchMode
    mode_used: SearchMode
    notice: str | None


def _terms(query: str) -> list[str]:
    words = [w.lower() for w in _WORD.findall(query)]
    content_words = [w for w in words if w not in _STOPWORDS]
    return list(dict.fromkeys(content_words or words))


def keyword_query(query: str) -> str | None:
    """An FTS5 MATCH expression: every query word as a quoted term, any of them may match."""
    return _match_expression(_terms(query))


def _match_expression(terms: Sequence[str]) -> str | None:
    if not terms:
        return None
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


async def _keyword_candidates(app: App, query: str, flt: MemoryFilter, n: int) -> list[tuple[int, float]]:
    """The best BM25 matches, as (row id, score) with higher scores better (`mcp_memory.storage.keywords`
    says how common words are kept from costing a ranking of every memory that holds them)."""
    plan = await plan_keywords(app.db, _terms(query))
    rare = _match_expression(plan.rare)
    if rare is None:
        return []
    where, params = flt.sql("m")

    # Most memories pass the filter (the usual case: this project's memories fill the store): rank
    # with FTS5 alone for a few times the rows wanted, then look up only those memories. Joining
    # inside the ranked query looks up every matching memory (up to POSTINGS_BUDGET of them) before
    # sorting: 9.1 -> 6.9 ms per search at 100,000 memories. A narrow filter (a small project among
    # others, tags) keeps the joined query, where the planner can start from the filter's index.
    index = app.quantized
    narrow = bool(flt.tags) or (len(index) > 0 and index.matching(flt) * 2 < len(index))

    newest = not plan.ranked
    order = "rowid DESC" if newest else "rank"
    reach = n * _KEYWORD_OVERFETCH

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
        # its id (else the planner may walk a project's index: 24 ms instead of 3).
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

    # The rare words alone, and with the common ones (module note of `mcp_memory.storage.keywords`); all the
    # statements in one trip to the reader's thread.
    matches = [rare]
    if plan.ranked and plan.common:
        matches.append(f"({rare}) AND ({_match_expression(plan.common)})")
    if narrow:
        statements = [joined(m) for m in matches]
    else:
        statements = [statement for m in matches for statement in (ranked(m), matching(m))]
    results = await app.db.fetch_many(statements)
    scores: dict[int, float] = {}
    for position, match in enumerate(matches):
        if narrow:
            rows = results[position]
        else:
            rows, found = results[2 * position], int(results[2 * position + 1][0][0])
            if len(rows) < n and found >= reach:
                (rows,) = await app.db.fetch_many([joined(match)])  # the filter rejected too many
        scores.update({int(r[0]): -float(r[1]) for r in rows})
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:n]


def _normalised(scored: Sequence[tuple[int, float]]) -> dict[int, float]:
    """Scores mapped to 0..1 over the candidates (all 1.0 when they are equal)."""
    if not scored:
        return {}
    values = [v for _, v in scored]
    low, high = min(values), max(values)
    if high - low < 1e-12:
        return {i: 1.0 for i, _ in scored}
    return {i: (v - low) / (high - low) for i, v in scored}


def _lift_bound(fused: dict[int, float], rowid: int) -> float:
    """The most session context can make of `rowid`'s score: its own plus the full lift of its best
    neighbours at each distance."""
    total = fused.get(rowid, 0.0)
    for distance, weight in enumerate(_NEIGHBOUR_WEIGHTS, start=1):
        total += weight * max(fused.get(rowid - distance, 0.0), fused.get(rowid + distance, 0.0), 0.0)
    return total


def _context_targets(fused: dict[int, float], keep: int) -> set[int]:
    """The memories that can still be among the best `keep` once lifted: lifts only add, so the
    `keep`-th best fused score is reached by at least `keep` memories, and one whose bound
    (`_lift_bound`) stays below it cannot enter. At 100,000 memories this leaves about a tenth of
    the ~470 rows the lift would otherwise look up."""
    reach = len(_NEIGHBOUR_WEIGHTS)
    if len(fused) <= keep:
        return {j for i, s in fused.items() if s > 0 for j in range(i - reach, i + reach + 1) if j > 0} | set(
            fused
        )
    threshold = sorted(fused.values(), reverse=True)[keep - 1]
    most = sum(_NEIGHBOUR_WEIGHTS)
    top = max(fused.values())
    # Cheap first cuts, then the exact bound: a scored memory needs its own score plus the most any
    # neighbours could give; an unscored one needs a neighbour scoring at least threshold / most.
    found = {i for i, s in fused.items() if s + most * top >= threshold}
    found |= {
        j
        for i, s in fused.items()
        if s > 0 and s * most >= threshold
        for j in range(i - reach, i + reach + 1)
        if j > 0
    }
    return {j for j in found if _lift_bound(fused, j) >= threshold}


async def _session_context(
    app: App, flt: MemoryFilter, fused: dict[int, float], keep: int
) -> tuple[dict[int, float], dict[int, int]]:
    """Scores lifted by each memory's neighbours in the same session, and which neighbour lifted each,
    for the memories that can still be among the best `keep` (`_context_targets`).

    The id-restricted queries here and in `_semantic_candidates` say NOT INDEXED: with a project
    filter the planner otherwise walks the whole project's index instead of looking the ids up
    (6 ms instead of 0.1 at 100,000 memories); the primary-key lookup stays allowed."""
    if not fused:
        return {}, {}
    reach = len(_NEIGHBOUR_WEIGHTS)
    targets = _context_targets(fused, keep)
    # A target's neighbours are looked up too: they lift it (if scored) or sit between it and one.
    wanted = sorted({j for i in targets for j in range(i - reach, i + reach + 1) if j > 0})
    where, params = flt.sql("m")
    rows = await app.db.fetchall(
        f"SELECT m.id, m.project, m.created_at FROM memories m NOT INDEXED WHERE m.id IN ({', '.join('?' * len(wanted))}) AND {where}",
        [*wanted, *params],
    )
    info = {int(r[0]): (str(r[1]), float(r[2])) for r in rows}

    def same_session(a: int, b: int) -> bool:
        first, second = info.get(a), info.get(b)
        return bool(first and second and first[0] == second[0] and abs(first[1] - second[1]) <= _SESSION_GAP)

    lifted: dict[int, float] = {}
    source: dict[int, int] = {}
    for rowid in sorted(targets):
        if rowid not in info:
            continue
        total = fused.get(rowid, 0.0)
        top_gain, top_id = 0.0, 0
        # At each distance the best of the two neighbours lifts; the memory in between must share
        # the session too.
        for distance, weight in enumerate(_NEIGHBOUR_WEIGHTS, start=1):
            gain, other = 0.0, 0
            for candidate in (rowid - distance, rowid + distance):
                score = fused.get(candidate, 0.0)
                if score <= 0 or not same_session(rowid, candidate):
                    continue
                if distance > 1 and not same_session(rowid, (rowid + candidate) // 2):
                    continue
                if (weight * score, candidate) > (gain, other):
                    gain, other = weight * score, candidate
            total += gain
            if gain > top_gain:
                top_gain, top_id = gain, other
        # Every candidate stays (min-max gives the weakest a 0); a neighbour joins when lifted.
        if rowid in fused or total > 0:
            lifted[rowid] = total
            if top_id:
                source[rowid] = top_id
    return lifted, source


async def _semantic_candidates(app: App, query: str, flt: MemoryFilter, n: int) -> list[tuple[int, float]]:
    info = app.vector_info
    if info is None:
        return []
    vector = b""

    async def embed() -> None:
        nonlocal vector
        vector = await app.embeddings.embed_query(query)

    async def catch_up() -> None:
        await app.quantized.sync(app.db.side, info.table)

    # The codes catch up with other writers while the query embeds (a round trip off the path).
    await concurrently(embed, catch_up)
    return await nearest_memories(app, vector, flt, n, synced=True)


async def nearest_memories(
    app: App, vector: bytes, flt: MemoryFilter, n: int, *, exclude: int | None = None, synced: bool = False
) -> list[tuple[int, float]]:
    """The `n` memories passing `flt` whose vectors are closest to `vector`, as (row id, cosine
    similarity), best first.

    Two stages: the in-memory binary codes (project, kind and time filters applied inside that scan)
    give candidates, which are re-scored exactly against the float vectors with every filter. A tag
    filter naming few memories is answered exactly from those memories through the tag index; one
    naming many, or deleted and archived memories among the candidates, widen the candidate set
    until enough pass, at worst to every vector that passes the scan's filters. `synced`: the caller
    has just brought the codes up to date."""
    info = app.vector_info
    if info is None:
        return []
    index = app.quantized
    # On the second reader: a hybrid search's keyword stage is using the first at the same time.
    reader = app.db.side
    if not synced:
        await index.sync(reader, info.table)
    where, params = flt.sql("m")
    if exclude is not None:
        where, params = f"{where} AND m.id != ?", [*params, exclude]
    if flt.tags:
        marks = ", ".join("?" * len(flt.tags))
        tagged = [
            int(r[0])
            for r in await reader.fetchall(
                f"SELECT DISTINCT memory_id FROM memory_tags WHERE tag IN ({marks}) LIMIT ?",
                [*flt.tags, _EXACT_TAGGED + 1],
            )
        ]
        if len(tagged) <= _EXACT_TAGGED:
            return (await rescore(reader, info.table, vector, tagged, where, params, wanted=n))[:n]
    reachable = index.matching(flt)
    count = candidate_count(n, len(index))
    while True:
        ids = await index.nearest_async(vector, count, flt)
        hits = await rescore(reader, info.table, vector, ids, where, params, wanted=n)
        if len(hits) >= n or len(ids) >= reachable:
            return hits[:n]
        count *= 4


def _matched_terms(query: str, content: str, tags: Sequence[str]) -> list[str]:
    haystack = (content + " " + " ".join(tags)).lower()
    found = []
    for term in _terms(query):
        stem = term[: max(4, len(term) - 3)] if len(term) > 4 else term
        if stem in haystack:
            found.append(term)
    return found


def _diversify(hits: list[SearchHit], limit: int, vectors: dict[str, bytes]) -> list[SearchHit]:
    """Maximal marginal relevance: each next hit trades relevance against similarity to those taken."""
    import numpy as np

    if len(hits) <= 1 or not vectors:
        return hits[:limit]
    taken: list[SearchHit] = []
    chosen: list[np.ndarray] = []
    pool = list(hits)
    top = max(h.score for h in hits) or 1.0
    while pool and len(taken) < limit:
        best, best_value = 0, float("-inf")
        for index, hit in enumerate(pool):
            blob = vectors.get(hit.memory.id)
            redundancy = 0.0
            if blob is not None and chosen:
                vec = np.frombuffer(blob, dtype="<f4")
                redundancy = max(float(vec @ c) for c in chosen)
            value = 0.7 * (hit.score / top) - 0.3 * redundancy
            if redundancy >= _NEAR_DUPLICATE:
                value -= 1.0  # a near-copy of a result already taken comes last
            if value > best_value:
                best, best_value = index, value
        hit = pool.pop(best)
        taken.append(hit)
        blob = vectors.get(hit.memory.id)
        if blob is not None:
            chosen.append(np.frombuffer(blob, dtype="<f4"))
    return taken


async def search_memories(
    app: App,
    query: str,
    *,
    limit: int = 10,
    tags: Sequence[str] | None = None,
    tag_mode: str = "any",
    kind: str | None = None,
    project: str | None = None,
    since: str | None = None,
    until: str | None = None,
    mode: str = "hybrid",
    diversify: bool = False,
) -> SearchResult:
    """Find the memories that best answer `query` within the filters."""
    text = clean_query(query)
    if mode not in ("hybrid", "semantic", "keyword"):
        raise InvalidInput(f"mode {mode!r} is not valid; use 'hybrid' (default), 'semantic' or 'keyword'.")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit {limit} is out of range; use 1 to {MAX_LIMIT}.")
    flt = build_filter(
        default_project=app.default_project,
        project=project,
        kind=kind,
        tags=tags,
        tag_mode=tag_mode,
        since=since,
        until=until,
    )
    requested: SearchMode = mode  # type: ignore[assignment]
    used: SearchMode = requested
    notice = None
    if requested != "keyword":
        # Right after start the model is usually a second from ready: a semantic search waits for it,
        # a hybrid one briefly (then answers from keywords and says so).
        wait = app.settings.model_wait_seconds
        await app.await_semantic(wait if requested == "semantic" else wait / 10)
    if requested != "keyword" and not app.semantic_ready():
        used = "keyword"
        notice = f"answered from keywords only: {app.semantic_unavailable_reason()}."
    pool = max(limit * 5, 50)
    # The two stages run at once: the query's embedding (ONNX Runtime) and the keyword query (SQLite)
    # both leave the event loop and release the GIL, and the vector stage re-scores on the second
    # reader. Measured in one process, alternating (search p50 / p95): at 100,000 memories 19.3 /
    # 30.5 ms against 20.9 / 29.8 on one reader; at 1,000,000 56.7 / 95.0 against 65.0 / 116.4.
    # Embedding first and then running the two SQLite stages at once was slower (21.3 ms at 100,000).
    keyword: list[tuple[int, float]] = []
    semantic: list[tuple[int, float]] = []

    async def keywords() -> None:
        nonlocal keyword
        keyword = await _keyword_candidates(app, text, flt, pool)

    async def meaning() -> None:
        nonlocal semantic
        semantic = await _semantic_candidates(app, text, flt, pool)

    await concurrently(*([keywords] if used != "semantic" else []), *([meaning] if used != "keyword" else []))
    keyword_ids = {i for i, _ in keyword}
    semantic = [(r, s) for r, s in semantic if s >= _MIN_SIMILARITY or r in keyword_ids]

    keyword_norm, semantic_norm = _normalised(keyword), _normalised(semantic)
    weight = _KEYWORD_WEIGHT if keyword and semantic else (1.0 if keyword else 0.0)
    fused = {
        i: weight * keyword_norm.get(i, 0.0) + (1.0 - weight) * semantic_norm.get(i, 0.0)
        for i in keyword_norm.keys() | semantic_norm.keys()
    }
    keep = limit * 3 if diversify else limit
    scores, lifted_by = await _session_context(app, flt, fused, keep)
    signals: dict[int, list[str]] = {}
    similarity = dict(semantic)
    for rank, (rowid, _) in enumerate(keyword, start=1):
        signals.setdefault(rowid, []).append(f"keyword rank {rank}")
    for rank, (rowid, sim) in enumerate(semantic, start=1):
        signals.setdefault(rowid, []).append(f"semantic rank {rank} (similarity {sim:.2f})")
    for rowid, neighbour in lifted_by.items():
        signals.setdefault(rowid, []).append(f"session context: stored next to m_{neighbour}")
    ranked = sorted(scores, key=lambda r: (-scores[r], r))
    window = ranked[:keep]
    found = await load_memories(app.db, window)
    hits: list[SearchHit] = []
    best = scores[ranked[0]] if ranked and scores[ranked[0]] > 0 else 1.0
    for rowid in window:
        memory = found.get(rowid)
        if memory is None:
            continue
        why = list(signals[rowid])
        terms = _matched_terms(text, memory.content, memory.tags) if rowid in keyword_ids else []
        if terms:
            why[0] = f"{why[0]}: {', '.join(terms[:8])}"
        hits.append(SearchHit(memory, round(scores[rowid] / best, 4), tuple(why), similarity.get(rowid)))
    if diversify:
        vectors = await _vectors_for(app, [h.memory.id for h in hits])
        hits = _diversify(hits, limit, vectors)
    hits = hits[:limit]
    await record_access(app, [int(h.memory.id[2:]) for h in hits])
    if not hits:
        elsewhere = scope_hint(await counts_elsewhere(app, flt, keyword_query(text)), "matches", flt)
        if elsewhere:
            notice = f"{notice} {elsewhere}" if notice else elsewhere
    return SearchResult(tuple(hits), requested, used, notice)


async def _vectors_for(app: App, ids: Sequence[str]) -> dict[str, bytes]:
    info = app.vector_info
    if info is None or not ids or not app.semantic_ready():
        return {}
    rowids = [int(i[2:]) for i in ids]
    rows = await app.db.fetchall(
        f"SELECT memory_id, embedding FROM {info.table} WHERE memory_id IN ({', '.join('?' * len(rowids))})",
        rowids,
    )
    return {f"m_{int(r[0])}": bytes(r[1]) for r in rows}
