"""The two-stage vector search: binary codes in memory, exact re-scoring from SQLite.

Checked here: the codes match sqlite-vec's, results equal an exact scan, the in-memory codes follow
writes made through other connections (another server, the CLI), filters hold, and a database with
the vec0 table of schema 2 is converted on open."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import numpy as np
import pytest

import mcp_memory.services.memories.nearest as search_module
from mcp_memory.services.app import App, open_app
from mcp_memory.services.memories.changes import delete_memories, update_memory
from mcp_memory.services.memories.store import store_memory
from mcp_memory.services.search.hybrid import nearest_memories, search_memories
from mcp_memory.storage import migrations
from mcp_memory.storage.binary_codes import query_code
from mcp_memory.storage.connection import connect_plain
from mcp_memory.storage.filters import build_filter
from tests.conftest import FakeEmbedder, fake_loader, make_settings

pytestmark = pytest.mark.anyio

_WORDS = [f"w{i}" for i in range(60)]


def _text(rng: random.Random) -> str:
    return " ".join(rng.sample(_WORDS, 6))


async def _exact(app: App, vector: bytes, n: int, project: str = "proj") -> list[tuple[int, float]]:
    assert app.vector_info is not None
    rows = await app.db.fetchall(
        f"SELECT v.memory_id, 1.0 - vec_distance_cosine(v.embedding, ?) AS s FROM {app.vector_info.table} v "
        "JOIN memories m ON m.id = v.memory_id WHERE m.deleted_at IS NULL AND m.project IN (?, '') "
        "ORDER BY s DESC, v.memory_id LIMIT ?",
        (vector, project, n),
    )
    return [(int(r[0]), float(r[1])) for r in rows]


@pytest.mark.parametrize("dim", [64, 384, 100 * 8])
def test_query_codes_are_sqlite_vecs_codes(dim: int) -> None:
    conn = connect_plain(":memory:")
    rng = np.random.default_rng(dim)
    for _ in range(20):
        vector = rng.normal(size=dim).astype("<f4").tobytes()
        stored = bytes(conn.execute("SELECT vec_quantize_binary(?)", (vector,)).fetchone()[0])
        assert query_code(vector).tobytes()[: dim // 8] == stored
    conn.close()


async def test_codes_are_ranked_by_the_float_query_against_their_signs(app: App) -> None:
    """The first stage's order is the asymmetric distance: the float query's dot product with each
    stored code's signs (+1 for a set bit, -1 otherwise), not the Hamming distance."""
    rng = random.Random(3)
    for _ in range(120):
        await store_memory(app, _text(rng))
    assert app.vector_info is not None
    await app.binary_codes.sync(app.db.second_reader, app.vector_info.table)
    rows = await app.db.fetchall(f"SELECT memory_id, embedding FROM {app.vector_info.table}")
    ids = np.array([int(r[0]) for r in rows])
    stored = np.stack([np.frombuffer(bytes(r[1]), dtype="<f4") for r in rows])
    signs = np.where(stored > 0, 1.0, -1.0)
    for _ in range(10):
        query = np.frombuffer((await app.embeddings.embed([_text(rng)]))[0], dtype="<f4")
        scores = signs @ query
        got = app.binary_codes.nearest(query.tobytes(), 30)  # a shortlist of 4 x 30: every code
        ranked = [float(scores[ids == i][0]) for i in got]
        assert ranked == sorted(ranked, reverse=True)
        assert np.allclose(ranked, sorted(scores, reverse=True)[:30])


async def test_two_stages_give_the_exact_answer(app: App) -> None:
    """With no more memories than the candidates re-scored, the answer is exact search's."""
    rng = random.Random(5)
    for _ in range(180):
        await store_memory(app, _text(rng))
    flt = build_filter(default_project="proj")
    for _ in range(20):
        vector = (await app.embeddings.embed([_text(rng)]))[0]
        got = await nearest_memories(app, vector, flt, 10)
        want = await _exact(app, vector, 10)
        assert [i for i, _ in got] == [i for i, _ in want]
        assert [round(s, 5) for _, s in got] == [round(s, 5) for _, s in want]


async def test_a_small_first_stage_still_finds_most_of_the_exact_top_ten(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With 60 candidates out of 600 the binary stage alone must carry the result: codes that said
    nothing would keep a tenth of the exact top ten (the fake model's sparse vectors keep ~0.7; real
    ones are measured in bench/perf.py)."""
    monkeypatch.setattr(search_module, "candidate_count", lambda wanted, size: 60)
    rng = random.Random(9)
    for _ in range(600):
        await store_memory(app, _text(rng))
    flt = build_filter(default_project="proj")
    overlap = 0
    for _ in range(30):
        vector = (await app.embeddings.embed([_text(rng)]))[0]
        got = {i for i, _ in await nearest_memories(app, vector, flt, 10)}
        overlap += len(got & {i for i, _ in await _exact(app, vector, 10)})
    assert overlap / 300 >= 0.6


@asynccontextmanager
async def _two_apps(tmp_path: Path) -> AsyncIterator[tuple[App, App]]:
    """Two Apps on one database file with their models loaded: one writes, the other searches (as
    another server process or the CLI would)."""
    settings = make_settings(tmp_path)
    async with (
        open_app(settings, loader=fake_loader()) as writer,
        open_app(settings, loader=fake_loader()) as reader,
    ):
        await writer.load_model()
        await reader.load_model()
        yield writer, reader


async def test_codes_follow_writes_from_another_connection(tmp_path: Path) -> None:
    async with _two_apps(tmp_path) as (writer, reader):
        first = await store_memory(writer, "postgres connection pool size")
        hits = await search_memories(reader, "postgres pool", mode="semantic")
        assert [h.memory.id for h in hits.hits] == [first.id]
        second = await store_memory(writer, "redis cache eviction policy")
        await update_memory(writer, first.id, content="kafka consumer lag alert")
        hits = await search_memories(reader, "kafka consumer lag", mode="semantic")
        assert hits.hits[0].memory.id == first.id
        await delete_memories(writer, [second.id])
        hits = await search_memories(reader, "redis cache eviction", mode="semantic")
        assert second.id not in [h.memory.id for h in hits.hits]
        assert len(reader.binary_codes) == await reader.db.scalar(
            f"SELECT count(*) FROM {reader.vector_info.table}"  # type: ignore[union-attr]
        )


async def test_many_changes_at_once_replay_into_the_right_slots(tmp_path: Path) -> None:
    """A replay of many changes (updates, deletes and new memories, more than the one-by-one lookup
    handles) leaves every memory's code in its own slot, with freed slots reused."""
    from mcp_memory.services.memories.batch import batch_store

    async with _two_apps(tmp_path) as (writer, reader):
        stored = await batch_store(writer, [{"content": f"note {i} about topic {i % 7}"} for i in range(60)])
        ids = [str(r.id) for r in stored]
        await search_memories(reader, "topic", mode="semantic")
        assert len(reader.binary_codes) == 60
        await delete_memories(writer, ids[:20])
        for memory_id in ids[20:45]:
            await update_memory(writer, memory_id, content=f"rewritten {memory_id} on a new subject")
        await batch_store(writer, [{"content": f"fresh {i} entry"} for i in range(10)])
        await search_memories(reader, "subject", mode="semantic")
        index = reader.binary_codes
        assert len(index) == 50
        table = reader.vector_info.table  # type: ignore[union-attr]
        rows = await reader.db.fetchall(f"SELECT memory_id, code FROM {table}_codes")
        slots = index._slots_of([int(r[0]) for r in rows])
        assert len(slots) == 50
        assert len(set(slots.values())) == 50
        for memory_id, code in rows:
            got = index._words[:, slots[int(memory_id)]]
            assert np.array_equal(
                got, np.frombuffer(bytes(code) + b"\x00" * (-len(bytes(code)) % 8), dtype="<u8")
            )
        assert index._size == 60  # the deleted memories' slots were reused


async def test_a_gap_in_the_change_log_reloads_the_codes(tmp_path: Path) -> None:
    async with _two_apps(tmp_path) as (writer, reader):
        await store_memory(writer, "first memory about gardens")
        await search_memories(reader, "gardens", mode="semantic")
        await writer.db.execute_script(["DELETE FROM vector_changes"])  # as if pruned while idle
        late = await store_memory(writer, "second memory about tomatoes")
        hits = await search_memories(reader, "tomatoes", mode="semantic")
        assert hits.hits[0].memory.id == late.id
        assert len(reader.binary_codes) == 2


async def test_filters_hold_in_both_stages(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(3)
    ids = {}
    for n in range(120):
        stored = await store_memory(
            app,
            f"deploy pipeline step {n} " + _text(rng),
            project="other" if n % 3 == 0 else None,
            kind="decision" if n % 4 == 0 else None,
            tags=["rare"] if n == 7 else None,
        )
        ids[n] = int(stored.id[2:])
    vector = (await app.embeddings.embed(["deploy pipeline step"]))[0]
    projects = {int(r[0]): str(r[1]) for r in await app.db.fetchall("SELECT id, project FROM memories")}
    got = await nearest_memories(app, vector, build_filter(default_project="proj"), 50)
    assert got
    assert all(projects[i] in ("proj", "") for i, _ in got)
    kinds = await nearest_memories(app, vector, build_filter(default_project="proj", kind="decision"), 50)
    assert kinds
    assert {i for i, _ in kinds} <= {ids[n] for n in range(120) if n % 4 == 0 and n % 3}
    tagged = await nearest_memories(app, vector, build_filter(default_project="proj", tags=["rare"]), 5)
    assert [i for i, _ in tagged] == [ids[7]]
    # Deleted memories among few candidates: the candidate set widens until enough pass.
    monkeypatch.setattr(search_module, "candidate_count", lambda wanted, size: 2)
    before = await nearest_memories(app, vector, build_filter(default_project="proj"), 5)
    await delete_memories(app, [f"m_{i}" for i, _ in before[:4]])
    after = await nearest_memories(app, vector, build_filter(default_project="proj"), 5)
    assert len(after) == 5
    assert not {i for i, _ in before[:4]} & {i for i, _ in after}


async def test_rescoring_checks_the_filter_on_the_best_until_enough_pass(app: App) -> None:
    """Archived and expired memories among the candidates are passed over in score order; `wanted`
    stops at that many passing, without it every passing candidate comes back."""
    from mcp_memory.storage.vectors import rescore

    rng = random.Random(9)
    for n in range(40):
        await store_memory(app, f"release checklist {n} " + _text(rng))
    assert app.vector_info is not None
    table = app.vector_info.table
    vector = (await app.embeddings.embed(["release checklist"]))[0]
    everything = await _exact(app, vector, 40)
    order = [i for i, _ in everything]
    archived, expired = order[0:6:2], order[1:6:2]  # the best six, alternately
    await app.db.write(
        lambda conn: conn.executemany(
            "UPDATE memories SET archived_at = 1 WHERE id = ?", [(i,) for i in archived]
        )
    )
    await app.db.write(
        lambda conn: conn.executemany(
            "UPDATE memories SET expires_at = 1 WHERE id = ?", [(i,) for i in expired]
        )
    )
    where, params = build_filter(default_project="proj").sql("m")
    candidates = list(reversed(order))  # the order given does not matter
    passing = [(i, s) for i, s in everything if i not in archived + expired]
    best = await rescore(app.db, table, vector, candidates, where, params, wanted=5)
    assert [i for i, _ in best] == [i for i, _ in passing[:5]]
    assert [s for _, s in best] == pytest.approx([s for _, s in passing[:5]])
    every = await rescore(app.db, table, vector, candidates, where, params)
    assert [i for i, _ in every] == [i for i, _ in passing]
    assert await rescore(app.db, table, vector, [], where, params, wanted=5) == []


async def test_schema_two_vec0_vectors_are_converted_on_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tmp_path)
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:2])
    monkeypatch.setattr(migrations, "LATEST_SCHEMA_VERSION", 2)
    embedder = FakeEmbedder("fake-model")
    texts = ["the build uses bazel", "tests run with pytest", "deploys go through argo"]
    async with open_app(settings, loader=fake_loader()) as old:
        vectors = embedder.embed(texts)

        async def write(conn: object) -> None:
            await conn.execute(  # type: ignore[attr-defined]
                "CREATE VIRTUAL TABLE memories_vec_1 USING vec0(memory_id INTEGER PRIMARY KEY, "
                "embedding float[64] distance_metric=cosine, project TEXT, kind TEXT, created_at FLOAT)"
            )
            for n, (text, vector) in enumerate(zip(texts, vectors, strict=True), start=1):
                await conn.execute(  # type: ignore[attr-defined]
                    "INSERT INTO memories(id, content, content_hash, project, created_at, updated_at, embedded) "
                    "VALUES (?, ?, ?, 'proj', ?, ?, 1)",
                    (n, text, f"h{n}", 1000.0 + n, 1000.0 + n),
                )
                await conn.execute(  # type: ignore[attr-defined]
                    "INSERT INTO memories_fts(rowid, content, tags) VALUES (?, ?, '')", (n, text)
                )
                await conn.execute(  # type: ignore[attr-defined]
                    "INSERT INTO memories_vec_1(memory_id, embedding, project, kind, created_at) "
                    "VALUES (?, ?, 'proj', 'note', ?)",
                    (n, vector, 1000.0 + n),
                )
            await conn.executemany(  # type: ignore[attr-defined]
                "INSERT INTO meta(key, value) VALUES (?, ?)",
                [
                    ("embedding_model", "fake-model"),
                    ("embedding_dim", "64"),
                    ("embedding_checksum", "fake"),
                    ("vec_table", "memories_vec_1"),
                ],
            )

        await old.db.write(write)
    monkeypatch.undo()
    async with open_app(settings, loader=fake_loader()) as app:
        await app.load_model()
        assert app.vector_info is not None
        assert app.vector_info.table == "memories_vec_2"
        rows = await app.db.fetchall(
            "SELECT v.memory_id, v.embedding, c.code FROM memories_vec_2 v "
            "JOIN memories_vec_2_codes c USING (memory_id) ORDER BY 1"
        )
        assert [bytes(r[1]) for r in rows] == vectors
        assert [bytes(r[2]) for r in rows] == [query_code(v).tobytes() for v in vectors]
        assert not await app.db.fetchall("SELECT name FROM sqlite_master WHERE name GLOB 'memories_vec_1*'")
        hits = await search_memories(app, "pytest tests", mode="semantic")
        assert hits.hits[0].memory.content == "tests run with pytest"
        await delete_memories(app, ["m_1"])
        assert await app.db.scalar("SELECT count(*) FROM memories_vec_2") == 2
        assert await app.db.scalar("SELECT count(*) FROM memories_vec_2_codes") == 2


def test_a_sampled_shortlist_holds_every_slot_of_the_exact_one() -> None:
    """Over many slots the cutoff is estimated from a sample: the slots chosen include every slot the
    exact cutoff chooses, also when the sample misses the nearest ones (then the exact way runs)."""
    from mcp_memory.storage.binary_codes import _SAMPLE_FROM, _SAMPLE_STEP, _shortlist

    rng = np.random.default_rng(4)
    worst = 385
    distance = rng.binomial(384, 0.5, size=_SAMPLE_FROM + 1000).astype(np.uint16)
    for wanted in (200, 800, 5000):
        exact_cut = int(np.searchsorted(np.cumsum(np.bincount(distance, minlength=worst + 1)), wanted))
        exact = set(np.flatnonzero(distance <= exact_cut).tolist())
        chosen = set(_shortlist(distance, wanted, worst).tolist())
        assert exact <= chosen
        assert len(chosen) < 2 * len(exact)
    # Every sampled slot nearer than every other: the estimate selects too few, the exact cutoff runs.
    skewed = np.full(_SAMPLE_FROM + 1000, 200, dtype=np.uint16)
    skewed[::_SAMPLE_STEP] = 0
    wanted = 2 * len(skewed[::_SAMPLE_STEP])
    assert len(_shortlist(skewed, wanted, worst)) == len(skewed)
