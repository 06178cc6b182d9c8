"""The keyword stage's split into rare and common words, and that it keeps BM25's answer."""

from __future__ import annotations

import random

import anyio
import pytest

import mcp_memory.storage.keywords as keywords
from mcp_memory.services.app import App
from mcp_memory.services.memories.store import store_memory
from mcp_memory.services.search.hybrid import _keyword_candidates, keyword_query
from mcp_memory.storage.filters import build_filter

pytestmark = pytest.mark.anyio


async def test_the_scratch_tokenizer_is_the_keyword_indexs(app: App) -> None:
    sql = await app.db.scalar("SELECT sql FROM sqlite_master WHERE name = 'memories_fts'")
    assert f"tokenize = '{keywords.TOKENIZER}'" in str(sql)
    from mcp_memory.hooks import recall

    assert recall.TOKENIZER == keywords.TOKENIZER  # the hooks stem prompts the same way


async def _corpus(app: App) -> None:
    rng = random.Random(11)
    filler = [f"f{i}" for i in range(40)]
    for n in range(80):
        words = ["deploy", *rng.sample(filler, 5)]  # deploy: in every memory
        if n % 8 < 3:
            words.append("service")  # in 30
        if n % 10 == 0:
            words.append("kubernetes")
        if n % 7 == 0:
            words.append("rollback")
        await store_memory(app, " ".join(rng.sample(words, len(words))))


async def test_common_words_are_split_off_by_how_many_memories_hold_them(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _corpus(app)
    monkeypatch.setattr(keywords, "POSTINGS_BUDGET", 25)
    plan = await keywords.plan_keywords(app.db, ["deploy", "kubernetes", "rollback", "services"])
    assert plan.rare == ("kubernetes", "rollback")  # 8 + 12 memories
    # stems: "services" counts the memories of "service"; "deploy", in all 80, scores nothing in
    # BM25 (in at least half the rows) and is left out.
    assert plan.common == ("services",)
    assert plan.ranked
    assert (await keywords._statistics(app.db, ["deploy"])).rows == 80
    monkeypatch.setattr(keywords, "POSTINGS_BUDGET", 1000)
    assert (await keywords.plan_keywords(app.db, ["deploy", "kubernetes"])).common == ()


async def test_split_queries_give_full_bm25_for_memories_holding_a_rare_word(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _corpus(app)
    flt = build_filter(default_project="proj")
    query = "deploy kubernetes rollback service"
    full = await app.db.fetchall(
        "SELECT rowid, bm25(memories_fts) FROM memories_fts WHERE memories_fts MATCH ? ORDER BY 2",
        [keyword_query(query)],
    )
    holding = {
        int(r[0])
        for r in await app.db.fetchall(
            "SELECT rowid FROM memories_fts WHERE memories_fts MATCH 'kubernetes OR rollback'"
        )
    }
    want = {int(r[0]): -float(r[1]) for r in full if int(r[0]) in holding}
    monkeypatch.setattr(keywords, "POSTINGS_BUDGET", 25)
    got = await _keyword_candidates(app, query, flt, 15)
    # The same memories with the same scores, but for deploy's 1e-6 of IDF (it is in every memory).
    assert [round(s, 4) for _, s in got] == sorted((round(s, 4) for s in want.values()), reverse=True)[:15]
    assert all(abs(s - want[i]) < 1e-4 for i, s in got)
    # Unsplit (a budget nothing exceeds), the same query ranks every match.
    monkeypatch.setattr(keywords, "POSTINGS_BUDGET", 10_000)
    everything = await _keyword_candidates(app, query, flt, 100)
    assert len(everything) == len(full)


async def test_a_word_over_the_budget_on_its_own_takes_the_newest_matches(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _corpus(app)
    monkeypatch.setattr(keywords, "POSTINGS_BUDGET", 5)
    plan = await keywords.plan_keywords(app.db, ["deploy", "kubernetes"])
    assert plan.rare == ("kubernetes",)
    assert not plan.ranked
    got = await _keyword_candidates(app, "deploy kubernetes", build_filter(default_project="proj"), 3)
    newest = await app.db.fetchall(
        "SELECT rowid FROM memories_fts WHERE memories_fts MATCH 'kubernetes' ORDER BY rowid DESC LIMIT 3"
    )
    assert {i for i, _ in got} == {int(r[0]) for r in newest}


async def _reference(app: App, match: str, flt: object, n: int) -> list[tuple[int, float]]:
    where, params = flt.sql("m")  # type: ignore[attr-defined]
    rows = await app.db.fetchall(
        "SELECT m.id, bm25(memories_fts) AS rank FROM memories_fts JOIN memories m ON m.id = memories_fts.rowid "
        f"WHERE memories_fts MATCH ? AND {where} ORDER BY rank LIMIT ?",
        [match, *params, n],
    )
    return [(int(r[0]), round(-float(r[1]), 6)) for r in rows]


@pytest.mark.parametrize("codes_loaded", [False, True])
async def test_ranking_before_filtering_gives_the_filtered_ranking(app: App, codes_loaded: bool) -> None:
    """The keyword stage ranks FTS5 matches first and filters a few times n of them; for a filter
    most memories fail (a small project among others, archived ones) it must still return exactly
    the best n that pass."""
    rng = random.Random(5)
    for _ in range(60):  # another project's memories: most matches, often the better ones
        await store_memory(app, f"kubernetes kubernetes rollout {rng.random()}", project="other")
    for i in range(12):
        await store_memory(app, f"kubernetes upgrade notes {i} " + "padding " * i, project="proj")
    archived = [
        (await store_memory(app, f"kubernetes kubernetes archived {i}", project="proj")).id for i in range(30)
    ]
    await app.db.write(
        lambda conn: conn.executemany(
            "UPDATE memories SET archived_at = 1 WHERE id = ?", [(i,) for i in archived]
        )
    )
    if codes_loaded:
        assert app.vector_info is not None
        await app.binary_codes.sync(app.db.second_reader, app.vector_info.table)
        assert len(app.binary_codes) == 102
    for flt in (
        build_filter(default_project="proj"),  # 12 of 102 pass
        build_filter(default_project="proj", project="*"),  # the archived 30 fail
        build_filter(default_project="other"),
    ):
        for n in (5, 12, 40):
            got = await _keyword_candidates(app, "kubernetes", flt, n)
            assert [(i, round(s, 6)) for i, s in got] == await _reference(app, '"kubernetes"', flt, n)


async def test_document_counts_are_reused_for_a_while_then_read_again(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _corpus(app)  # kubernetes in 8 memories, rollback in 12
    monkeypatch.setattr(keywords, "POSTINGS_BUDGET", 15)
    assert (await keywords.plan_keywords(app.db, ["kubernetes", "rollback"])).rare == ("kubernetes",)
    for i in range(10):
        await store_memory(app, f"rollback drill {i}")  # kubernetes 8, rollback 22
    monkeypatch.setattr(keywords, "POSTINGS_BUDGET", 25)
    # Within the reuse time the old counts (8 + 12 = 20) decide: both words are rare.
    assert (await keywords.plan_keywords(app.db, ["kubernetes", "rollback"])).rare == (
        "kubernetes",
        "rollback",
    )
    monkeypatch.setattr(keywords, "FREQUENCY_TTL", 0.0)
    # Read again: 8 + 22 = 30 is over the budget, so rollback is common now.
    plan = await keywords.plan_keywords(app.db, ["kubernetes", "rollback"])
    assert (plan.rare, plan.common) == (("kubernetes",), ("rollback",))


@pytest.mark.parametrize(
    ("data", "value"),
    [(b"\x05", 5), (b"\x86\x88\x2e\x82", 99374), (b"\xff" * 9, 2**64 - 1), (b"\x81\x00", 128)],
)
def test_sqlite_varints_are_read_as_fts5_writes_them(data: bytes, value: int) -> None:
    assert keywords._varint(data) == value


async def test_two_first_searches_at_once_plan_like_one_after_the_other(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first plans of a connection create its scratch tables; two of them at once (each sending
    the creation along) must still read their own results."""
    await _corpus(app)
    monkeypatch.setattr(keywords, "POSTINGS_BUDGET", 25)
    words = ["deploy", "kubernetes", "rollback", "services"]
    plans: list[keywords.KeywordPlan] = []

    async def plan() -> None:
        plans.append(await keywords.plan_keywords(app.db, words))

    async with anyio.create_task_group() as group:
        group.start_soon(plan)
        group.start_soon(plan)
    assert [(p.rare, p.common) for p in plans] == [(("kubernetes", "rollback"), ("services",))] * 2


async def test_a_word_holds_its_own_stem_when_the_stemmer_keeps_an_e(app: App) -> None:
    """ "staging" and "hoping" (stems "stage", "hope") hold the words that gave them their stems:
    the match of a search's words agrees with the keyword index (which finds both)."""
    staging = await store_memory(app, "The API gateway listens on port 8443 in staging")
    hoping = await store_memory(app, "We were hoping the release would land on Friday")
    other = await store_memory(app, "Run database migrations with alembic upgrade head")
    ids = [int(m.id.removeprefix("m_")) for m in (staging, hoping, other)]
    found = await keywords.match_words(app.db, ["staging", "hoping", "stage"], ids)
    assert found.found[ids[0]] == {"staging", "stage"}
    assert found.found[ids[1]] == {"hoping"}
    assert found.found[ids[2]] == frozenset()


def test_the_fragments_of_contractions_are_no_query_words() -> None:
    """What's, don't, we'll: the apostrophe's leftovers ("s", "t", "ll") are not searched for."""
    from mcp_memory.relevance import query_terms

    assert query_terms("what's the weather like on Saturday") == ["weather", "like", "saturday"]
    assert query_terms("don't use npm, we'll use pnpm") == ["don", "use", "npm", "pnpm"]
