"""Where a search's time goes: a stage timeline per search, in process and over stdio, next to the
raw query embedding measured in the same run (issue 29, part 2).

    uv run python bench/search_stages.py [--memories 1000] [--searches 200]

A store of --memories LoCoMo dialog turns (with their vectors) is searched with LoCoMo questions
(each once: the query cache never answers). In process, with the model in its own process as the
server runs it, each stage of `search_memories` is timed by wrapping the functions it calls:

- mode: `_mode_used` (is the model ready);
- keywords: `_keyword_candidates` (FTS5), then `word_stats` and `words_held` (the words each
  candidate holds), all while the query is embedded;
- meaning: `_semantic_candidates`, of which embed is `EmbeddingService.embed_query` (the model's
  process: the request, the embedding, the answer);
- rank input, last stage (`_rank`: neighbourhood, words of the vector candidates, scores, rows),
  hits, outdated (`mark_outdated`: the results' vectors read, then the fact check of the close
  pairs), access (`record_access`).

Keywords and meaning overlap (they run at once); "ours" is the search's time outside the embedding.
Then the same questions over stdio through `memory_search` (a server process): the tool layer and
the transport are the difference. The reference is the model's own single-text embedding, called
directly in this process. Medians in ms.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stdio_latency import raw_embedding, texts_and_queries, until_model_ready

_SPANS: list[tuple[str, float, float]] = []


def _timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    if not callable(fn):
        raise TypeError(name)

    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await fn(*args, **kwargs)
        finally:
            _SPANS.append((name, started, time.perf_counter()))

    return wrapper


def _timed_sync(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            _SPANS.append((name, started, time.perf_counter()))

    return wrapper


def _instrument() -> None:
    from mcp_memory.embeddings.service import EmbeddingService
    from mcp_memory.services.search import hybrid

    for name, attr in (
        ("mode", "_mode_used"),
        ("keywords: FTS5", "_keyword_candidates"),
        ("keywords: word stats", "word_stats"),
        ("keywords: words held", "words_held"),
        ("meaning", "_semantic_candidates"),
        ("rank input", "_rank_input"),
        ("last stage", "_rank"),
        ("outdated", "mark_outdated"),
        ("access", "record_access"),
    ):
        setattr(hybrid, attr, _timed(name, getattr(hybrid, attr)))
    from mcp_memory.services.search import outdated
    from mcp_memory.storage import vectors

    setattr(outdated, "vectors_of", _timed("outdated: vectors read", vectors.vectors_of))  # noqa: B010
    setattr(outdated, "changes_fact", _timed_sync("outdated: fact checks", getattr(outdated, "changes_fact")))  # noqa: B009, B010
    hybrid._hits = _timed_sync("hits", hybrid._hits)
    EmbeddingService.embed_query = _timed("meaning: embed", EmbeddingService.embed_query)  # type: ignore[method-assign]


async def _build(settings: Any, texts: list[str]) -> None:
    from mcp_memory.services.app import open_app
    from mcp_memory.services.memories.batch import batch_store

    async with open_app(settings) as app:
        await app.load_model()
        for start in range(0, len(texts), 500):
            await batch_store(app, [{"content": t} for t in texts[start : start + 500]])


async def _in_process(settings: Any, queries: list[str]) -> tuple[list[float], dict[str, list[float]]]:
    from mcp_memory.embeddings import load_embedder
    from mcp_memory.embeddings.hosted import hosting_supported, load_hosted_embedder
    from mcp_memory.services.app import open_app
    from mcp_memory.services.search.hybrid import search_memories

    loader = load_hosted_embedder if hosting_supported() else load_embedder
    totals: list[float] = []
    stages: dict[str, list[float]] = defaultdict(list)
    async with open_app(settings, loader=loader) as app:
        await app.load_model()
        await app.warm_vector_index()
        await search_memories(app, "warm up the readers")
        for query in queries:
            _SPANS.clear()
            started = time.perf_counter()
            await search_memories(app, query)
            totals.append((time.perf_counter() - started) * 1000)
            seen: dict[str, float] = defaultdict(float)
            for name, begin, end in _SPANS:
                seen[name] += (end - begin) * 1000
            for name, ms in seen.items():
                stages[name].append(ms)
            checks = sum(1 for name, _, _ in _SPANS if name == "outdated: fact checks")
            stages["outdated: pairs checked"].append(float(checks))
        await app.embeddings.close()
    return totals, stages


async def _over_stdio(db: Path, data: Path, queries: list[str]) -> list[float]:
    import os

    from mcp import Client, StdioServerParameters

    env = {k: v for k, v in os.environ.items() if not k.startswith("MCP_MEMORY_")}
    env.update(MCP_MEMORY_DB=str(db), MCP_MEMORY_DATA_DIR=str(data), MCP_MEMORY_LOG_LEVEL="ERROR")
    params = StdioServerParameters(command=sys.executable, args=["-m", "mcp_memory"], env=env)
    times: list[float] = []
    async with Client(params, mode="legacy") as client:
        await until_model_ready(client)
        for query in queries:
            started = time.perf_counter()
            r = await client.call_tool("memory_search", {"query": query})
            times.append((time.perf_counter() - started) * 1000)
            if r.is_error:
                raise SystemExit(f"search failed: {r.content}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--memories", type=int, default=1000, help="memories in the store (default 1,000)")
    parser.add_argument("--searches", type=int, default=200, help="questions searched (default 200)")
    args = parser.parse_args()
    from mcp_memory.config import Settings

    texts, queries, _ = texts_and_queries(args.memories)
    queries = list(dict.fromkeys(queries))
    asked, over_pipe = queries[: args.searches], queries[args.searches : 2 * args.searches]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        settings = Settings.load(env={}, db_path=folder / "memory.db", data_dir=folder, project="bench")
        anyio.run(_build, settings, texts)
        raw = raw_embedding(asked[:100])
        _instrument()
        totals, stages = anyio.run(_in_process, settings, asked)
        stdio = anyio.run(_over_stdio, folder / "memory.db", folder, over_pipe)
        raw_after = raw_embedding(over_pipe[:100])
    med = statistics.median
    reference = med(raw + raw_after) * 1000
    total = med(totals)
    embed = med(stages["meaning: embed"])
    print(
        f"Search at {len(texts):,} memories, {len(asked)} questions in process, {len(over_pipe)} over stdio (median ms)"
    )
    print("| stage | median ms |")
    print("|---|---|")
    for name in ("mode", "keywords: FTS5", "keywords: word stats", "keywords: words held", "meaning",
                 "meaning: embed", "rank input", "last stage", "hits", "outdated", "outdated: vectors read",
                 "outdated: fact checks", "access"):  # fmt: skip
        values = stages.get(name, [])
        print(f"| {name} | {med(values):.2f} |" if values else f"| {name} | - |")
    pairs = stages.get("outdated: pairs checked", [0.0])
    print(
        f"| (pairs fact-checked per search: median {med(pairs):.0f}, mean {statistics.mean(pairs):.1f}) | |"
    )
    print(f"| **search_memories, in process** | **{total:.2f}** |")
    print(f"| of which outside the embedding (ours) | {total - embed:.2f} |")
    print(f"| **memory_search over stdio** | **{med(stdio):.2f}** |")
    print(f"| tool layer and transport (stdio - in process) | {med(stdio) - total:.2f} |")
    print(f"| raw query embedding, this process (reference) | {reference:.2f} |")
    verdict = "met" if med(stdio) <= reference + 3 else "NOT met"
    print(
        f"goal: over stdio <= raw embedding + 3 ms = {reference + 3:.1f} ms: {verdict} (+{med(stdio) - reference:.1f} ms)"
    )


if __name__ == "__main__":
    main()
