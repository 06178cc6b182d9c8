"""Hybrid search, its filters, and how it behaves before the model is ready or when it changed."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import anyio
import pytest

from mcp_memory.config import Settings
from mcp_memory.errors import InvalidInput, ModelMismatch
from mcp_memory.services.app import App, open_app
from mcp_memory.services.maintenance.indexing import embed_pending, pending_count
from mcp_memory.services.maintenance.stats import reindex
from mcp_memory.services.memories.changes import update_memory
from mcp_memory.services.memories.store import store_memory
from mcp_memory.services.search.hybrid import keyword_query, search_memories
from tests.conftest import FakeEmbedder, fake_loader, make_settings

pytestmark = pytest.mark.anyio


async def _seed(app: App) -> dict[str, str]:
    ids = {}
    for key, text, tags, kind, when in [
        ("db", "We chose PostgreSQL for the billing service", ["db", "decision"], "decision", "2024-03-01"),
        ("ci", "The CI pipeline runs ruff and mypy before pytest", ["ci"], "fact", "2024-03-05"),
        ("tabs", "The user prefers tabs in Makefiles", ["style"], "preference", "2024-03-10"),
        ("cache", "Redis caches the billing invoices for ten minutes", ["db", "cache"], "fact", "2024-03-12"),
    ]:
        ids[key] = (await store_memory(app, text, tags=tags, kind=kind, created_at=when)).id
    return ids


@pytest.fixture
def app(engine_app: App) -> App:
    """Every test here runs on both engines."""
    return engine_app


async def test_hybrid_finds_the_right_memory_first_and_explains_why(app: App) -> None:
    """The best match ranks first with both signals named in `why`."""
    ids = await _seed(app)
    result = await search_memories(app, "which database for billing")
    assert result.mode_used == "hybrid"
    assert result.notice is None
    top = result.hits[0]
    assert top.memory.id == ids["db"]
    assert any(w.startswith("words billing") and "keyword rank 1" in w for w in top.why)
    assert any(w.startswith("similarity") for w in top.why)
    assert 0.3 <= top.relevance <= 1.0
    assert top.similarity is not None


async def test_keyword_and_semantic_modes_use_one_signal(app: App) -> None:
    """mode=keyword uses only FTS, mode=semantic only vectors."""
    ids = await _seed(app)
    keyword = await search_memories(app, "pytest", mode="keyword")
    assert [h.memory.id for h in keyword.hits] == [ids["ci"]]
    assert all(w.startswith("words") for h in keyword.hits for w in h.why)
    semantic = await search_memories(app, "ruff mypy pipeline", mode="semantic")
    assert semantic.hits[0].memory.id == ids["ci"]
    assert all(w.startswith("similarity") for h in semantic.hits for w in h.why)


async def test_stemming_matches_word_forms(app: App) -> None:
    """The keyword index stems: 'caching' finds 'caches'."""
    ids = await _seed(app)
    result = await search_memories(app, "caching", mode="keyword")
    assert [h.memory.id for h in result.hits] == [ids["cache"]]


async def test_filters(app: App) -> None:
    """Tags (any/all), kind and time filters narrow both signals."""
    ids = await _seed(app)

    async def found(**kwargs: object) -> set[str]:
        # min_relevance=0: this checks the filters, not the floor (a query of four topics is weak for each)
        found = await search_memories(app, "billing database ci style", min_relevance=0, **kwargs)  # type: ignore[arg-type]
        return {h.memory.id for h in found.hits}

    assert await found(tags=["db"]) == {ids["db"], ids["cache"]}
    assert await found(tags=["db", "cache"], tag_mode="all") == {ids["cache"]}
    assert await found(kind="preference") == {ids["tabs"]}
    assert await found(since="2024-03-05", until="2024-03-10") == {ids["ci"], ids["tabs"]}
    assert await found(since="2024-03-11") == {ids["cache"]}


async def test_project_scope(app: App) -> None:
    """Search covers the current project plus global memories unless told otherwise."""
    mine = (await store_memory(app, "billing uses stripe")).id
    shared = (await store_memory(app, "billing reports are monthly", project="global")).id
    other = (await store_memory(app, "billing in the other repo", project="other")).id

    async def ids(**kwargs: object) -> set[str]:
        return {h.memory.id for h in (await search_memories(app, "billing", **kwargs)).hits}  # type: ignore[arg-type]

    assert await ids() == {mine, shared}
    assert await ids(project="other") == {other, shared}
    assert await ids(project="global") == {shared}
    assert await ids(project="*") == {mine, shared, other}


async def test_updated_content_is_found_by_its_new_words(app: App) -> None:
    """After an update, both indexes reflect the new content and not the old."""
    stored = await store_memory(app, "the queue is RabbitMQ")
    await update_memory(app, stored.id, content="the queue is Kafka")
    assert [h.memory.id for h in (await search_memories(app, "kafka")).hits] == [stored.id]
    assert (await search_memories(app, "rabbitmq", mode="keyword")).hits == ()


async def test_diversify_keeps_the_best_and_skips_repeats(app: App) -> None:
    """With diversify, a near-copy of the top hit gives way to a different memory."""
    a = (await store_memory(app, "deploy with the deploy script on friday")).id
    b = (await store_memory(app, "deploy with the deploy script on friday afternoon")).id
    c = (await store_memory(app, "deploy needs the vpn")).id
    plain = [h.memory.id for h in (await search_memories(app, "deploy script friday", limit=2)).hits]
    varied = [
        h.memory.id
        for h in (await search_memories(app, "deploy script friday", limit=2, diversify=True)).hits
    ]
    assert set(plain) == {a, b}
    assert varied[0] in {a, b}
    assert varied[1] == c


async def test_invalid_search_arguments(app: App) -> None:
    """Empty queries, bad modes, limits and times are refused with directions."""
    with pytest.raises(InvalidInput, match="query is empty"):
        await search_memories(app, "  ")
    with pytest.raises(InvalidInput, match="hybrid"):
        await search_memories(app, "x", mode="fuzzy")
    with pytest.raises(InvalidInput, match="limit"):
        await search_memories(app, "x", limit=1000)
    with pytest.raises(InvalidInput, match="ISO 8601"):
        await search_memories(app, "x", since="blorp")
    with pytest.raises(InvalidInput, match="not before"):
        await search_memories(app, "x", since="2024-02-01", until="2024-01-01")


def test_keyword_query_quotes_every_term() -> None:
    """FTS syntax in a query is neutralised: every word is a quoted term."""
    assert keyword_query('what is "NEAR" AND foo*') == '"near" OR "foo"'
    assert keyword_query("the") == '"the"'
    assert keyword_query("!!!") is None


async def test_before_the_model_is_ready_store_is_durable_and_search_uses_keywords(
    settings: Settings,
) -> None:
    """Memories stored while the model loads are keyword-searchable at once and embedded when it is ready."""
    release = anyio.Event()

    def slow_loader(s: Settings) -> FakeEmbedder:
        anyio.from_thread.run(release.wait)
        return FakeEmbedder(s.embedding_model)

    loaded = anyio.Event()

    async with open_app(settings, loader=slow_loader) as app, anyio.create_task_group() as tg:

        async def load() -> None:
            await app.load_model()
            loaded.set()

        tg.start_soon(load)
        stored = await store_memory(app, "the staging server is called pegasus")
        assert not stored.embedded
        result = await search_memories(app, "pegasus")
        assert result.mode_used == "keyword"
        assert "still loading" in str(result.notice or "")
        assert [h.memory.id for h in result.hits] == [stored.id]
        release.set()
        with anyio.fail_after(5):
            await loaded.wait()
        assert await embed_pending(app) == 1
        assert await pending_count(app.db) == 0
        assert (await search_memories(app, "pegasus")).mode_used == "hybrid"


async def test_unembedded_memories_are_embedded_after_a_restart(settings: Settings) -> None:
    """A memory stored by a process that stopped before its model loaded gets its vector next start."""
    async with open_app(settings, loader=fake_loader()) as app:
        stored = await store_memory(app, "left without a vector")
        assert not stored.embedded
    async with open_app(settings, loader=fake_loader()) as app:
        await app.load_model()
        assert await pending_count(app.db) == 1
        await embed_pending(app)
        hits = (await search_memories(app, "vector", mode="semantic")).hits
        assert [h.memory.id for h in hits] == [stored.id]


async def test_a_different_model_refuses_vector_writes_until_reindex(tmp_path: Path) -> None:
    """With another model configured, stores are refused naming `mcp-memory reindex`; reindex fixes it."""
    first = make_settings(tmp_path, embedding_model="model-a")
    async with open_app(first, loader=fake_loader()) as app:
        await app.load_model()
        stored = await store_memory(app, "vectors from model a")
    second = make_settings(tmp_path, embedding_model="model-b")
    async with open_app(second, loader=fake_loader(dim=32)) as app:
        await app.load_model()
        with pytest.raises(ModelMismatch, match="mcp-memory reindex"):
            await store_memory(app, "new memory")
        result = await search_memories(app, "vectors model")
        assert result.mode_used == "keyword"
        assert "mcp-memory reindex" in str(result.notice or "")
        done = await reindex(app)
        assert (done.embedded, done.model, done.dim, done.previous_model) == (1, "model-b", 32, "model-a")
        assert (await store_memory(app, "new memory")).embedded
        semantic = await search_memories(app, "vectors from model", mode="semantic")
        assert semantic.hits[0].memory.id == stored.id
        tables = await app.db.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 'memories_vec_*' AND name NOT GLOB '*_codes'"
        )
        assert [t[0] for t in tables] == [done.table]
        codes = await app.db.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB '*_codes'"
        )
        assert [t[0] for t in codes] == [f"{done.table}_codes"]


async def test_session_context_lifts_a_related_neighbour(app: App) -> None:
    """A memory stored right after the one that matched, in the same session and about the same thing,
    ranks above an equally relevant memory of another session, and says why."""
    # Stored first, so that without the lift it would win the tie on its lower row id.
    other = (
        await store_memory(app, "export job stopped: credentials rotated", created_at="2024-03-01T09:05:00Z")
    ).id
    question = (await store_memory(app, "nightly export job stopped", created_at="2024-01-01T09:00:00Z")).id
    answer = (
        await store_memory(app, "export job stopped: credentials expired", created_at="2024-01-01T09:05:00Z")
    ).id
    await store_memory(app, "the coffee machine is fixed", created_at="2024-02-01T09:05:00Z")
    result = await search_memories(app, "nightly export job stopped")
    ids = [h.memory.id for h in result.hits]
    assert ids[:3] == [question, answer, other]
    assert any("session context: stored next to the related " + question in w for w in result.hits[1].why)
    assert result.hits[1].relevance == result.hits[2].relevance  # the lift ranks; relevance is its own


async def test_session_context_never_lifts_unrelated_neighbours(app: App) -> None:
    """An agent's session is a string of unrelated facts: none lifts another, so the memory that
    answers ranks first and the others carry no session context."""
    facts = [
        "Use pnpm, not npm, for the frontend packages",
        "The flaky checkout test was fixed by waiting for the network idle event",
        "The API gateway listens on port 8443 in staging",
        "Ship to production on Tuesdays after the release review",
        "Commit messages follow conventional commits",
    ]
    ids = [
        (await store_memory(app, text, created_at=f"2024-05-01T10:{n * 5:02d}:00Z")).id
        for n, text in enumerate(facts)
    ]
    result = await search_memories(app, "which package manager for the frontend pnpm", min_relevance=0)
    assert result.hits[0].memory.id == ids[0]
    assert not any("session context" in w for h in result.hits for w in h.why)
    shipped = await search_memories(app, "when do we ship to production", min_relevance=0)
    assert shipped.hits[0].memory.id == ids[3]
    assert not any("session context" in w for h in shipped.hits for w in h.why)


async def test_a_question_nothing_answers_gets_an_empty_answer_that_says_so(app: App) -> None:
    """Relevance is absolute: when nothing clears the floor the answer is empty, with a notice naming
    how many weaker matches exist; min_relevance=0 shows them, up to limit."""
    await _seed(app)
    result = await search_memories(app, "weekend on-call rotation for the billing pager")
    assert result.hits == ()
    assert result.weaker >= 1
    assert "nothing cleared the relevance floor 0.30" in str(result.notice or "")
    assert "min_relevance=0" in str(result.notice or "")
    everything = await search_memories(
        app, "weekend on-call rotation for the billing pager", min_relevance=0, limit=3
    )
    assert 1 <= len(everything.hits) <= 3
    assert all(h.relevance < 0.3 for h in everything.hits)
    strong = await search_memories(app, "PostgreSQL billing service")
    assert strong.hits[0].relevance >= 0.5 > everything.hits[0].relevance


async def test_min_relevance_raises_and_lowers_the_floor(app: App) -> None:
    """A higher min_relevance keeps only the stronger results; out of range is refused."""
    await _seed(app)
    loose = await search_memories(app, "billing", min_relevance=0)
    strict = await search_memories(app, "billing", min_relevance=max(h.relevance for h in loose.hits))
    assert 1 <= len(strict.hits) < len(loose.hits)
    assert all(h.relevance >= max(x.relevance for x in loose.hits) for h in strict.hits)
    with pytest.raises(InvalidInput, match="min_relevance"):
        await search_memories(app, "billing", min_relevance=1.5)


async def test_session_context_stops_at_other_projects(app: App) -> None:
    """A memory of another project stored right after the best match lends it nothing."""
    await store_memory(app, "an export ran", created_at="2024-01-01T09:00:00Z")
    await store_memory(app, "the nightly export job failed", created_at="2024-01-01T10:00:00Z")
    elsewhere = (
        await store_memory(app, "rotate the signing keys", project="other", created_at="2024-01-01T10:00:00Z")
    ).id
    ids = {h.memory.id for h in (await search_memories(app, "nightly export job", project="*")).hits}
    assert elsewhere not in ids


async def test_session_context_stops_at_time_gaps(app: App) -> None:
    """A memory stored hours after the best match is another session and lends it nothing."""
    await store_memory(app, "an export ran", created_at="2024-01-01T09:00:00Z")
    await store_memory(app, "the nightly export job failed", created_at="2024-01-02T10:00:00Z")
    later = (await store_memory(app, "lunch menu for tuesday", created_at="2024-01-02T15:00:00Z")).id
    ids = {h.memory.id for h in (await search_memories(app, "nightly export job")).hits}
    assert later not in ids


async def test_a_vector_of_the_wrong_size_is_refused(app: App) -> None:
    """Writing a vector whose dimension differs from the index is refused and writes nothing."""
    import aiosqlite

    from mcp_memory.storage.vectors import write_vectors

    stored = await store_memory(app, "a memory")
    assert app.vector_info is not None
    info = app.vector_info

    async def work(conn: aiosqlite.Connection) -> None:
        await write_vectors(conn, info, [(int(stored.id[2:]), b"\x00" * 12, "proj", "note", 0.0)])

    with pytest.raises(ModelMismatch, match="dimensions"):
        await app.db.write(work)
    assert await app.db.scalar(f"SELECT count(*) FROM {info.table}") == 1


async def test_an_interrupted_reindex_leaves_the_old_index_working(tmp_path: Path) -> None:
    """If re-embedding fails half way, the database still serves the old model's vectors, and a later
    reindex cleans up and completes."""
    first = make_settings(tmp_path, embedding_model="model-a")
    async with open_app(first, loader=fake_loader()) as app:
        await app.load_model()
        for i in range(150):
            await store_memory(app, f"memory number {i} about subject {i % 5}")

    class Failing(FakeEmbedder):
        def embed(self, texts: Sequence[str]) -> list[bytes]:
            if len(self.calls) >= 1:
                raise RuntimeError("power cut")
            return super().embed(texts)

    second = make_settings(tmp_path, embedding_model="model-b")
    async with open_app(second, loader=lambda s: Failing(s.embedding_model, 32)) as app:
        with pytest.raises(RuntimeError, match="power cut"):
            await reindex(app, batch_size=64)
    async with open_app(first, loader=fake_loader()) as app:
        await app.load_model()
        assert app.mismatch is None
        hits = (await search_memories(app, "memory number 7 about subject 2", mode="semantic")).hits
        assert hits[0].memory.content == "memory number 7 about subject 2"
    async with open_app(second, loader=fake_loader(dim=32)) as app:
        done = await reindex(app)
        assert done.embedded == 150
        tables = await app.db.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 'memories_vec_*' AND name NOT GLOB '*_codes'"
        )
        assert [t[0] for t in tables] == [done.table]


async def test_a_service_error_inside_a_stage_reaches_the_caller_as_itself(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stages run at once; a failure in one is raised as the service error it is (which tools
    turn into a clear error), not wrapped in an exception group."""
    import mcp_memory.services.search.hybrid as search_module
    from mcp_memory.errors import DatabaseError

    await store_memory(app, "the release checklist lives in the wiki")

    async def broken(*args: object, **kwargs: object) -> None:
        raise DatabaseError("the keyword index is damaged; run `mcp-memory doctor --repair`")

    monkeypatch.setattr(search_module, "plan_keywords", broken)
    with pytest.raises(DatabaseError, match="doctor --repair"):
        await search_memories(app, "release checklist")


async def test_concurrent_steps_finish_together_and_the_first_failure_is_raised() -> None:
    from mcp_memory.concurrently import concurrently

    done: list[str] = []

    async def quick() -> None:
        done.append("quick")

    async def slow() -> None:
        await anyio.sleep(0.01)
        done.append("slow")

    await concurrently(quick, slow)
    assert sorted(done) == ["quick", "slow"]

    async def fails() -> None:
        raise InvalidInput("bad")

    async def never() -> None:
        await anyio.sleep(10)
        done.append("never")

    with anyio.fail_after(5), pytest.raises(InvalidInput, match="bad"):
        await concurrently(never, fails)
    assert "never" not in done


async def test_a_search_while_the_store_was_empty_does_not_skew_later_ones(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Word weights come from document counts that are cached for minutes. The agent's first search
    often finds an empty store, and the session then fills it: later searches must weigh words by
    the store as it is now (they once used the empty store's count, N = 0, for five minutes and gave
    every memory zero word coverage). Same results, relevances and reasons as a fresh process's.
    (N itself is reused for up to a second; this test runs faster than that, so it reads it each time.)"""
    from mcp_memory.storage import keywords

    monkeypatch.setattr(keywords, "_ROWS_TTL", 0.0)
    facts = [
        "The staging deploy runs on pegasus every Tuesday",
        "Rollbacks of the billing service need the on-call lead",
        "The pegasus host keeps its deploy logs in /var/log/deploys",
        *(f"note {i} about the weekly planning meeting and its agenda" for i in range(40)),
    ]
    questions = ["pegasus deploy logs", "who approves a billing rollback", "weekly planning agenda"]

    def shown(result: object) -> list[tuple[str, float, tuple[str, ...]]]:
        return [(h.memory.id, h.relevance, h.why) for h in result.hits]  # type: ignore[attr-defined]

    async with open_app(settings, loader=fake_loader()) as app:
        await app.load_model()
        for q in questions:
            assert not (await search_memories(app, q)).hits  # nothing stored yet
        for fact in facts:
            await store_memory(app, fact)
        warmed = [shown(await search_memories(app, q)) for q in questions]
    async with open_app(settings, loader=fake_loader()) as fresh:
        await fresh.load_model()
        first = [shown(await search_memories(fresh, q)) for q in questions]
    assert warmed == first
    assert warmed[0][0][0] == "m_3"
    assert any(w.startswith("words ") for w in warmed[0][0][2])
