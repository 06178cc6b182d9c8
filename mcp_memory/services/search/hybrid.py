"""Hybrid search: FTS5 BM25 keyword candidates and sqlite-vec KNN candidates, each judged by its own
evidence, then lifted by related session context.

1. Candidates: the best BM25 matches from SQL with the filters inside the query, and the nearest
   vectors in two stages (binary codes in memory, then exact cosine over the float vectors;
   `nearest_memories`), with project, kind and time filters inside the first stage's scan.
2. Evidence: for every candidate both absolute signals, its cosine similarity to the question and
   the IDF-weighted share of the question's words it holds (`words_held`), combine into a relevance
   that means the same for every question (`mcp_memory.relevance`). Nothing is
   rescaled per query, so a question nothing answers gets weak relevances, not a 1.0 at the top.
3. Session context (`_session_lift`): a memory relevant on its own gains part of the evidence of a
   related memory stored right before or after it in the same session (a question and its reply, a
   decision and its reason); unrelated neighbours lift nothing.
4. The floor: results whose own relevance is under `min_relevance` (default the settings' floor) are
   left out, and an empty answer says how many weaker candidates there were.

Before the embedding model is ready, or when it does not match the stored vectors, search answers
from keywords alone and says so in `notice`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from mcp_memory import relevance
from mcp_memory.concurrently import concurrently
from mcp_memory.errors import Argument, InvalidInput, Message
from mcp_memory.limits import MAX_LIMIT, clean_query
from mcp_memory.relevance import query_terms
from mcp_memory.services.app import App
from mcp_memory.services.memories.nearest import nearest_memories
from mcp_memory.services.memories.scope_hints import counts_elsewhere, scope_hint
from mcp_memory.services.memories.store import Memory, load_memories, record_access
from mcp_memory.services.search.hits import SearchHit
from mcp_memory.services.search.outdated import mark_outdated
from mcp_memory.storage.bm25 import keyword_candidates
from mcp_memory.storage.filters import MemoryFilter, build_filter
from mcp_memory.storage.ids import format_id, rowid_of
from mcp_memory.storage.keywords import (
    WordMatches,
    WordStats,
    match_expression,
    plan_keywords,
    word_stats,
    words_held,
)
from mcp_memory.storage.query import SQLITE, QuerySource
from mcp_memory.storage.search_rows import Neighbourhood, neighbourhood
from mcp_memory.storage.vectors import vectors_of

__all__ = [
    "SearchHit",
    "SearchMode",
    "SearchResult",
    "keyword_query",
    "nearest_memories",
    "query_terms",
    "search_memories",
]

SearchMode = Literal["hybrid", "semantic", "keyword"]

#: The keyword stage ranks this many times the candidates it needs before filtering them.
_KEYWORD_OVERFETCH = 4
#: Share of a neighbouring memory's evidence a memory gains (session context, `_session_lift`): the
#: best of the memories right before and after it, then half that for the ones two away.
_NEIGHBOUR_WEIGHTS = (0.45, 0.225)
#: Neighbours lift each other only when their own vectors are at least this similar.
_RELATED = 0.3
#: The most session context adds to a memory's evidence.
_LIFT_CAP = 0.3
#: How many of the vector stage's candidates outside the keyword list get their words matched too.
_MORE_WORDS = 20
#: Session context lifts only memories whose own relevance reaches this (or the floor, if higher).
_LIFT_FLOOR = 0.3
#: Memories stored at most this far apart (seconds) belong to one session.
_SESSION_GAP = 3600.0
#: With diversify, a result this similar to one already taken counts as a near-copy.
_NEAR_DUPLICATE = 0.9
#: A vector neighbour less similar than this is noise unless its keywords matched too.
_MIN_SIMILARITY = 0.15


@dataclass(frozen=True, slots=True)
class SearchResult:
    hits: tuple[SearchHit, ...]
    mode: SearchMode
    mode_used: SearchMode
    notice: Message | None
    #: Candidates left out because their relevance was under the floor.
    weaker: int = 0


def keyword_query(query: str) -> str | None:
    """An FTS5 MATCH expression: every query word as a quoted term, any of them may match."""
    return match_expression(query_terms(query))


async def _keyword_candidates(app: App, query: str, flt: MemoryFilter, n: int) -> list[tuple[int, float]]:
    """The best BM25 matches, as (row id, score) with higher scores better (`mcp_memory.storage.keywords`
    says how common words are kept from costing a ranking of every memory that holds them)."""
    plan = await plan_keywords(app.db, query_terms(query))
    # A narrow filter (a small project among others, tags) lets the planner start from the filter's
    # index (`bm25_candidates` says when that pays).
    index = app.binary_codes
    narrow = bool(flt.tags) or (len(index) > 0 and index.matching(flt) * 2 < len(index))
    # The rare words alone, and with the common ones (module note of `mcp_memory.storage.keywords`);
    # all the statements in one trip to the reader's thread.
    scores = await keyword_candidates(app.db, plan, flt, n, reach=n * _KEYWORD_OVERFETCH, narrow=narrow)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:n]


async def _neighbourhood(
    source: QuerySource,
    flt: MemoryFilter,
    table: str | None,
    candidates: Sequence[int],
    missing: Sequence[int],
) -> Neighbourhood:
    """In one trip: the project and time of the candidates that have another candidate within reach
    of the session lift (and of the memories between them), and the vectors of those candidates and
    of `missing` (candidates whose similarity to the question the vector stage did not give; the
    caller scores them with numpy rather than another re-scoring query)."""
    reach = len(_NEIGHBOUR_WEIGHTS)
    present = set(candidates)
    near = sorted(i for i in present if any(i + d in present for d in range(-reach, reach + 1) if d))
    wanted = sorted({j for i in near for j in range(i - reach, i + reach + 1) if j > 0})
    need = sorted(set(near) | set(missing))
    return await neighbourhood(source, flt, wanted, table, need)


def _session_lift(
    own: dict[int, float], floor: float, info: dict[int, tuple[str, float]], vectors: dict[int, bytes]
) -> tuple[dict[int, float], dict[int, int]]:
    """How much each memory's session context adds to its ranking score, and which neighbour gave it.

    A memory relevant on its own (evidence at least `floor`) gains `_NEIGHBOUR_WEIGHTS[d - 1]` x the
    evidence of the best candidate stored `d` places before or after it, when the two share a session
    (same project, stored within `_SESSION_GAP`; at distance 2 the memory between them too) and are
    about the same thing (cosine similarity of their own vectors at least `_RELATED`). In a
    conversation neighbouring turns are related (LoCoMo: median 0.51) and an answer often sits next to
    the turn whose words matched; an agent's session is a string of unrelated facts (agentmem-dev:
    median 0.14), which must not lift each other. The gain is at most `_LIFT_CAP`, so a memory with
    clearly stronger evidence of its own stays above. `info` and `vectors` come from `_neighbourhood`."""
    reach = len(_NEIGHBOUR_WEIGHTS)
    targets = [
        i for i, p in own.items() if p >= floor and any(i + d in own for d in range(-reach, reach + 1) if d)
    ]
    if not targets or not vectors:
        return {}, {}

    def same_session(a: int, b: int) -> bool:
        first, second = info.get(a), info.get(b)
        return bool(first and second and first[0] == second[0] and abs(first[1] - second[1]) <= _SESSION_GAP)

    pairs = {
        (i, j)
        for i in targets
        for d in range(1, reach + 1)
        for j in (i - d, i + d)
        if j in own and same_session(i, j) and (d == 1 or same_session(i, (i + j) // 2))
    }
    related = _related_pairs(sorted(pairs), vectors)
    if not related:
        return {}, {}
    gains: dict[int, float] = {}
    source: dict[int, int] = {}
    for i in targets:
        total, top_gain, top_id = 0.0, 0.0, 0
        for d, weight in enumerate(_NEIGHBOUR_WEIGHTS, start=1):
            gain, other = 0.0, 0
            for j in (i - d, i + d):
                if (i, j) in related and (weight * own[j], j) > (gain, other):
                    gain, other = weight * own[j], j
            total += gain
            if gain > top_gain:
                top_gain, top_id = gain, other
        if total > 0:
            gains[i] = min(total, _LIFT_CAP)
            source[i] = top_id
    return gains, source


def _related_pairs(pairs: Sequence[tuple[int, int]], vectors: dict[int, bytes]) -> set[tuple[int, int]]:
    """The pairs whose own vectors are at least `_RELATED` similar, in one numpy product (a pair
    missing a vector is not related)."""
    import numpy as np

    known = [(a, b) for a, b in pairs if a in vectors and b in vectors]
    if not known:
        return set()
    ids = sorted({m for pair in known for m in pair})
    row = {m: n for n, m in enumerate(ids)}
    matrix = np.frombuffer(b"".join(vectors[m] for m in ids), dtype="<f4").reshape(len(ids), -1)
    left = matrix[[row[a] for a, _ in known]]
    right = matrix[[row[b] for _, b in known]]
    dots = np.einsum("ij,ij->i", left, right)
    return {pair for pair, dot in zip(known, dots.tolist(), strict=True) if dot >= _RELATED}


async def _semantic_candidates(
    app: App, query: str, flt: MemoryFilter, n: int
) -> tuple[list[tuple[int, float]], bytes]:
    """The nearest memories as (row id, similarity), and the question's vector."""
    info = app.vector_info
    if info is None:
        return [], b""
    vector = b""

    async def embed() -> None:
        nonlocal vector
        vector = await app.embeddings.embed_query(query)

    async def catch_up() -> None:
        if app.db.dialect == SQLITE:  # Postgres searches its own index: nothing held here
            await app.binary_codes.sync(app.db.second_reader, info.table)

    # The codes catch up with other writers while the query embeds (a round trip off the path).
    await concurrently(embed, catch_up)
    return await nearest_memories(app, vector, flt, n, synced=True), vector


def _diversify(hits: list[SearchHit], limit: int, vectors: dict[str, bytes]) -> list[SearchHit]:
    """Maximal marginal relevance: each next hit trades relevance against similarity to those taken."""
    import numpy as np

    if len(hits) <= 1 or not vectors:
        return hits[:limit]
    taken: list[SearchHit] = []
    chosen: list[np.ndarray] = []
    pool = list(hits)
    top = max(h.relevance for h in hits) or 1.0
    while pool and len(taken) < limit:
        best, best_value = 0, float("-inf")
        for index, hit in enumerate(pool):
            blob = vectors.get(hit.memory.id)
            redundancy = 0.0
            if blob is not None and chosen:
                vec = np.frombuffer(blob, dtype="<f4")
                redundancy = max(float(vec @ c) for c in chosen)
            value = 0.7 * (hit.relevance / top) - 0.3 * redundancy
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


@dataclass(frozen=True, slots=True)
class _Ranking:
    matches: WordMatches
    similarity: dict[int, float]
    own: dict[int, float]
    lifted_by: dict[int, int]
    window: list[int]
    weaker: int
    found: dict[int, Memory]


@dataclass(frozen=True, slots=True)
class _Stages:
    """What the two candidate stages found: the keyword candidates (row id, score) and the words
    they hold, the vector candidates (row id, similarity) similar enough to count, the question's
    vector (b"" without one) and its words' stems and weights (None until needed)."""

    keyword: list[tuple[int, float]]
    semantic: list[tuple[int, float]]
    vector: bytes
    matches: WordMatches
    stats: WordStats | None


@dataclass(frozen=True, slots=True)
class _RankInput:
    """What the last stage ranks: the candidates in stage order with the similarities known, those
    whose similarity is `missing`, the vector candidates whose words are still `unmatched`, and how
    many results to keep above the `floor`."""

    flt: MemoryFilter
    table: str | None
    candidates: list[int]
    similarity: dict[int, float]
    missing: list[int]
    vector: bytes
    used: SearchMode
    matches: WordMatches
    stats: WordStats | None
    unmatched: list[int]
    floor: float
    keep: int


async def _rank(source: QuerySource, job: _RankInput) -> _Ranking:
    """The search's last stage over `source` (a connection answering at once, on its own thread):
    the neighbourhood and vectors the lift and the missing similarities need, the words of the
    vector stage's best candidates, each candidate's relevance and lift, and the results' memories."""
    candidates, floor, matches = job.candidates, job.floor, job.matches
    lift_info, lift_vectors = await _neighbourhood(source, job.flt, job.table, candidates, job.missing)
    if job.unmatched and job.stats is not None:
        extra = await words_held(source, job.stats, job.unmatched)
        matches = WordMatches(extra.weights, {**matches.found, **extra.found})
    similarity = dict(job.similarity)
    scored = [rowid for rowid in job.missing if rowid in lift_vectors]
    if scored:
        import numpy as np

        question = np.frombuffer(job.vector, dtype="<f4")
        rows = np.frombuffer(b"".join(lift_vectors[r] for r in scored), dtype="<f4").reshape(len(scored), -1)
        similarity.update(zip(scored, (rows @ question).tolist(), strict=True))
    own = {
        i: relevance.evidence(
            similarity.get(i) if job.used != "keyword" else None,
            relevance.coverage(matches.weights, matches.found.get(i, ())),
        )
        for i in candidates
    }
    bar = relevance.internal(floor)
    gains, lifted_by = _session_lift(own, max(bar, relevance.internal(_LIFT_FLOOR)), lift_info, lift_vectors)
    scores = {i: own[i] + gains.get(i, 0.0) for i in candidates}
    ranked = sorted(candidates, key=lambda r: (-scores[r], r))
    passing = [i for i in ranked if relevance.display(own[i]) >= floor]
    window = passing[: job.keep]
    found = await load_memories(source, window)
    return _Ranking(matches, similarity, own, lifted_by, window, len(ranked) - len(passing), found)


def _floor(app: App, mode: str, limit: int, min_relevance: float | None) -> float:
    """The relevance floor, once the mode, the limit and the floor asked for are known to be valid."""
    if mode not in ("hybrid", "semantic", "keyword"):
        raise InvalidInput(f"mode {mode!r} is not valid; use 'hybrid' (default), 'semantic' or 'keyword'.")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit {limit} is out of range; use 1 to {MAX_LIMIT}.")
    floor = app.settings.min_relevance if min_relevance is None else min_relevance
    if not 0.0 <= floor <= 1.0 or floor != floor:
        raise InvalidInput(
            f"min_relevance {min_relevance} is out of range; use 0 to 1 (default {app.settings.min_relevance}; "
            "0 returns up to limit whatever their relevance)."
        )
    return floor


async def _mode_used(app: App, requested: SearchMode) -> tuple[SearchMode, Message | None]:
    """The mode the search can answer in, and the notice saying why when it is not `requested`."""
    if requested != "keyword":
        # Right after start the model is usually a second from ready: a semantic search waits for it,
        # a hybrid one briefly (then answers from keywords and says so).
        wait = app.settings.model_wait_seconds
        await app.await_semantic(wait if requested == "semantic" else wait / 10)
    if requested != "keyword" and not app.semantic_ready():
        return "keyword", Message.of(f"answered from keywords only: {app.semantic_unavailable_reason()}.")
    return requested, None


async def _candidate_stages(
    app: App, text: str, terms: Sequence[str], flt: MemoryFilter, pool: int, used: SearchMode
) -> _Stages:
    """The keyword and vector stages, at once: the query's embedding (ONNX Runtime) and the keyword
    query (SQLite) both leave the event loop and release the GIL, and the vector stage re-scores on
    the second reader. That measured faster than re-scoring on the one reader, and than embedding
    first and then running the two SQLite stages at once (figures in bench/README.md)."""
    keyword: list[tuple[int, float]] = []
    semantic: list[tuple[int, float]] = []
    vector = b""
    matches = WordMatches({}, {})
    stats: WordStats | None = None

    async def keywords() -> None:
        # The words each keyword candidate holds are read right away, while the question is still
        # being embedded (the vector stage takes longer). Only these candidates: a memory holding the
        # question's words is among them (the keyword stage ranks every holder of a rare word), so the
        # others hold next to nothing.
        nonlocal keyword, matches, stats
        keyword = await _keyword_candidates(app, text, flt, pool)
        if keyword and terms:
            stats = await word_stats(app.db, terms)
            matches = await words_held(app.db, stats, [i for i, _ in keyword])

    async def meaning() -> None:
        nonlocal semantic, vector
        semantic, vector = await _semantic_candidates(app, text, flt, pool)

    await concurrently(*([keywords] if used != "semantic" else []), *([meaning] if used != "keyword" else []))
    keyword_ids = {i for i, _ in keyword}
    semantic = [(r, s) for r, s in semantic if s >= _MIN_SIMILARITY or r in keyword_ids]
    return _Stages(keyword, semantic, vector, matches, stats)


async def _rank_input(
    app: App,
    stages: _Stages,
    terms: Sequence[str],
    flt: MemoryFilter,
    used: SearchMode,
    floor: float,
    keep: int,
) -> _RankInput:
    """What the last stage needs from the two stages (reading the words' statistics if the keyword
    stage did not)."""
    semantic, matches, stats = stages.semantic, stages.matches, stages.stats
    candidates = list(dict.fromkeys([*(i for i, _ in stages.keyword), *(i for i, _ in semantic)]))
    similarity = dict(semantic)
    missing = [i for i in candidates if i not in similarity] if used != "keyword" and stages.vector else []
    # The best of the vector stage's own candidates (the rest cannot reach the top): they may hold
    # the question's commoner words (a name half the memories hold is left out of the keyword query).
    unmatched = [i for i, _ in semantic if i not in matches.found][:_MORE_WORDS] if used != "semantic" else []
    if unmatched and stats is None:  # the keyword stage found no candidate to match words in
        stats = await word_stats(app.db, terms)
    table = app.vector_info.table if app.vector_info is not None else None
    return _RankInput(
        flt,
        table,
        candidates,
        similarity,
        missing,
        stages.vector,
        used,
        matches,
        stats,
        unmatched,
        floor,
        keep,
    )


def _hits(ranking: _Ranking, stages: _Stages, terms: Sequence[str]) -> list[SearchHit]:
    """The ranked results that are still there, each with the signals that put it there."""
    keyword_rank = {rowid: n for n, (rowid, _) in enumerate(stages.keyword, start=1)}
    semantic_rank = {rowid: n for n, (rowid, _) in enumerate(stages.semantic, start=1)}
    matches, similarity = ranking.matches, ranking.similarity
    hits: list[SearchHit] = []
    for rowid in ranking.window:
        memory = ranking.found.get(rowid)
        if memory is None:
            continue
        why = []
        held = [t for t in terms if t in matches.found.get(rowid, ())]
        if held:
            rank = keyword_rank.get(rowid)
            why.append(f"words {', '.join(held[:8])}" + (f" (keyword rank {rank})" if rank else ""))
        if rowid in similarity:
            rank = semantic_rank.get(rowid)
            why.append(f"similarity {similarity[rowid]:.2f}" + (f" (semantic rank {rank})" if rank else ""))
        if rowid in ranking.lifted_by:
            why.append(f"session context: stored next to the related {format_id(ranking.lifted_by[rowid])}")
        hits.append(
            SearchHit(memory, relevance.display(ranking.own[rowid]), tuple(why), similarity.get(rowid))
        )
    return hits


async def _nothing_found(
    app: App, notice: Message | None, weaker: int, floor: float, flt: MemoryFilter, text: str
) -> Message | None:
    """The notice of a search with no results: how many weaker matches the floor left out, and
    where else the question has matches."""
    if weaker:
        below = Message.of(
            f"nothing cleared the relevance floor {floor:.2f}: {weaker} weaker "
            f"{'match was' if weaker == 1 else 'matches were'} left out (pass ",
            Argument("min_relevance", 0),
            " to see them, or search with the exact names and words the memory would hold).",
        )
        notice = notice.then(below) if notice else below
    elsewhere = scope_hint(await counts_elsewhere(app, flt, query_terms(text)), "matches", flt)
    if elsewhere:
        notice = notice.then(elsewhere) if notice else elsewhere
    return notice


async def search_memories(
    app: App,
    query: str,
    *,
    limit: int = 10,
    min_relevance: float | None = None,
    tags: Sequence[str] | None = None,
    tag_mode: str = "any",
    kind: str | None = None,
    project: str | None = None,
    since: str | None = None,
    until: str | None = None,
    mode: str = "hybrid",
    diversify: bool = False,
    include_superseded: bool = False,
) -> SearchResult:
    """Find the memories that answer `query` within the filters: at most `limit`, each with relevance
    at least `min_relevance` (default: the settings' floor; 0 returns up to `limit` whatever their
    relevance). Memories a newer one retired (`supersedes`) are left out unless
    `include_superseded`; of two results that state two values for one thing, the newer comes first
    and the older is marked `outdated_by` (`mcp_memory.services.search.outdated`)."""
    text = clean_query(query)
    floor = _floor(app, mode, limit, min_relevance)
    flt = build_filter(
        default_project=app.default_project,
        project=project,
        kind=kind,
        tags=tags,
        tag_mode=tag_mode,
        since=since,
        until=until,
    )
    if include_superseded:
        flt = dataclasses.replace(flt, include_superseded=True)
    requested: SearchMode = mode  # type: ignore[assignment]
    used, notice = await _mode_used(app, requested)
    terms = query_terms(text)
    stages = await _candidate_stages(app, text, terms, flt, max(limit * 5, 50), used)
    job = await _rank_input(app, stages, terms, flt, used, floor, limit * 3 if diversify else limit)

    # Everything after the two stages in one trip to the first reader's thread: the neighbourhood,
    # the words of the vector candidates, the scores and the results (each trip from the event loop
    # costs thread hand-offs; answered at once inside the thread).
    ranking: _Ranking = await app.db.run_reads(lambda source: _rank(source, job))
    hits = _hits(ranking, stages, terms)
    if diversify:
        vectors = await _vectors_for(app, [h.memory.id for h in hits])
        hits = _diversify(hits, limit, vectors)
    hits = await mark_outdated(app, hits[:limit])
    await record_access(app, [rowid_of(h.memory.id) for h in hits])
    if not hits:
        notice = await _nothing_found(app, notice, ranking.weaker, floor, flt, text)
    return SearchResult(tuple(hits), requested, used, notice, ranking.weaker)


async def _vectors_for(app: App, ids: Sequence[str]) -> dict[str, bytes]:
    info = app.vector_info
    if info is None or not ids:
        return {}
    found = await vectors_of(app.db, info.table, [rowid_of(i) for i in ids])
    return {format_id(rowid): blob for rowid, blob in found.items()}
