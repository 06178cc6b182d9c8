"""The embedding model is given back after a quiet period and loaded again on the next call; its
load time is measured around the load itself."""

from __future__ import annotations

import re
import time

import pytest

from mcp_memory.config import Settings
from mcp_memory.embeddings import EmbeddingService, ModelState
from mcp_memory.logs import configure_logging
from mcp_memory.services.app import App
from mcp_memory.services.memories.store import store_memory
from mcp_memory.services.search.hybrid import search_memories
from tests.conftest import FakeEmbedder

pytestmark = pytest.mark.anyio


async def test_a_quiet_model_is_unloaded_and_the_next_call_loads_it_again(settings: Settings) -> None:
    loads: list[str] = []

    def loader(s: Settings) -> FakeEmbedder:
        loads.append(s.embedding_model)
        return FakeEmbedder(s.embedding_model)

    service = EmbeddingService(settings, loader=loader)
    await service.load()
    first = await service.embed(["hello world"])
    assert not await service.unload_if_idle(0)  # 0 means never
    assert not await service.unload_if_idle(3600)  # used just now
    service.last_used = time.monotonic() - 7200
    service._in_flight = 1  # an embedding is running: never pulled from under it
    assert not await service.unload_if_idle(3600)
    service._in_flight = 0
    assert await service.unload_if_idle(3600)
    assert service.state is ModelState.UNLOADED
    assert service.embedder is None
    assert "loads again" in service.unavailable_reason()
    assert await service.embed(["hello world"]) == first  # loaded again, same vectors
    assert service.state is ModelState.READY
    assert loads == [settings.embedding_model] * 2
    assert service.unloads == 1


def _logged_seconds(err: str) -> float:
    return float(re.findall(r"embedding model ready .*seconds=([0-9.]+)", err)[-1])


async def test_the_logged_load_time_is_the_loads_own(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """The 'embedding model ready' line gives the time the loader took (here a loader that sleeps),
    or the time the model measured for itself when it loaded elsewhere (a model process)."""

    def slow(s: Settings) -> FakeEmbedder:
        time.sleep(0.05)
        return FakeEmbedder(s.embedding_model)

    configure_logging("INFO")  # an earlier test in the session may have asked for WARNING
    service = EmbeddingService(settings, loader=slow)
    await service.load()
    assert service.load_seconds is not None
    assert service.load_seconds >= 0.05
    assert _logged_seconds(capsys.readouterr().err) >= 0.05

    def loaded_elsewhere(s: Settings) -> FakeEmbedder:
        embedder = FakeEmbedder(s.embedding_model)
        embedder.load_seconds = 2.5  # type: ignore[attr-defined]
        return embedder

    service = EmbeddingService(settings, loader=loaded_elsewhere)
    await service.load()
    assert service.load_seconds == 2.5
    assert _logged_seconds(capsys.readouterr().err) == 2.5


async def test_search_and_store_after_an_unload_answer_in_full(app: App) -> None:
    stored = await store_memory(app, "the staging database is called pegasus")
    app.embeddings.last_used = time.monotonic() - 7200
    assert await app.embeddings.unload_if_idle(60)
    assert not app.semantic_ready()
    found = await search_memories(app, "pegasus staging database")
    assert found.mode_used == "hybrid"
    assert found.notice is None
    assert [h.memory.id for h in found.hits] == [stored.id]
    app.embeddings.last_used = time.monotonic() - 7200
    assert await app.embeddings.unload_if_idle(60)
    later = await store_memory(app, "the production database is called orion")
    assert later.embedded


@pytest.mark.e2e
def test_the_hosted_model_gives_the_same_vectors_and_its_process_exits_when_let_go(tmp_path: object) -> None:
    """The server's model lives in a child process: same vectors as in-process, both lanes work, and
    closing it ends the process (that is what gives the memory back)."""
    from pathlib import Path

    from mcp_memory.embeddings import load_embedder
    from mcp_memory.embeddings.hosted import hosting_supported, load_hosted_embedder

    if not hosting_supported():
        pytest.skip("no fd passing here: the model loads in-process")
    settings = Settings(data_dir=Path(str(tmp_path)))
    hosted = load_hosted_embedder(settings)
    try:
        local = load_embedder(settings)
        texts = ["the staging database is called pegasus", "deploy on tuesdays", "ruff before pytest"]
        assert hosted.embed(texts[:1]) == local.embed(texts[:1])  # the single-text lane
        assert hosted.embed(texts) == local.embed(texts)  # the batch lane
        assert (hosted.model_id, hosted.dim) == (local.model_id, local.dim)
        assert hosted.load_seconds is not None
        assert hosted.load_seconds > 0  # measured in the child, around its load
        assert hosted.alive
    finally:
        hosted.close()
    assert not hosted.alive


@pytest.mark.e2e
def test_the_model_process_started_early_serves_the_first_load_only(tmp_path: object) -> None:
    """The server starts the model's process before importing the SDK (`EarlyHost`): the first load
    takes that process, a load after an unload starts a new one, and one never taken is stopped."""
    from pathlib import Path

    from mcp_memory.embeddings.hosted import EarlyHost, hosting_supported

    if not hosting_supported():
        pytest.skip("no fd passing here: the model loads in-process")
    settings = Settings(data_dir=Path(str(tmp_path)))
    early = EarlyHost(settings)
    started = early._spawned.process.pid  # type: ignore[union-attr]
    first = early(settings)
    second = early(settings)
    try:
        assert first.pid == started
        assert second.pid != started
        assert first.embed(["one text"]) == second.embed(["one text"])
    finally:
        first.close()
        second.close()
    unused = EarlyHost(settings)
    process = unused._spawned.process  # type: ignore[union-attr]
    unused.discard()
    assert process.poll() is not None
