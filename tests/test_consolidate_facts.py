"""Consolidation never merges two memories that state different facts, with the real model: the
look-alike fixture (dates, limits, versions, negations, owners, services, paths, URLs, identifiers,
opposites) merges nothing, 1,000 distinct facts propose no merge, and restatements still merge."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mcp_memory.config import DEFAULT_MODEL
from mcp_memory.services.app import App, open_app
from mcp_memory.services.maintenance.consolidate import consolidate
from mcp_memory.services.memories.batch import batch_store
from mcp_memory.services.memories.fact_containment import contained_in
from tests.conftest import make_settings
from tests.consolidation_eval import distinct_memories, load_pairs, pair_decisions

pytestmark = [pytest.mark.anyio, pytest.mark.e2e]


@pytest.fixture
async def real_app(tmp_path: Path) -> AsyncIterator[App]:
    """An App with the real default model."""
    settings = make_settings(tmp_path, embedding_model=DEFAULT_MODEL)
    async with open_app(settings) as opened:
        await opened.load_model()
        assert opened.semantic_ready()
        yield opened


def test_fixture_has_the_pairs_the_issue_asks_for() -> None:
    """At least 40 look-alike pairs and 20 restatements."""
    different, same = load_pairs()
    assert len(different) >= 40
    assert len(same) >= 20


@pytest.mark.parametrize("pair", load_pairs()[0], ids=lambda p: p["why"])
def test_look_alikes_are_not_contained_either_way(pair: dict[str, str]) -> None:
    """Neither text of a look-alike pair is contained in the other."""
    assert not contained_in(pair["a"], pair["b"])
    assert not contained_in(pair["b"], pair["a"])


async def test_look_alikes_never_merge_and_restatements_do(real_app: App) -> None:
    """With the real model at the default similarity: no look-alike pair is proposed for merging,
    and most restatements are."""
    decisions = await pair_decisions(real_app)
    assert decisions.merged_different == []
    assert decisions.recall >= 0.5


async def test_a_batch_of_1000_distinct_facts_proposes_no_merge(real_app: App) -> None:
    """1,000 distinct facts of one shape (service, property, number) stored at once: no merge."""
    results = await batch_store(real_app, [{"content": text} for text in distinct_memories(1000)])
    assert sum(1 for r in results if r.ok) == 1000
    report = await consolidate(real_app)
    assert report.merges == ()
