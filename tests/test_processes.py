"""Real processes on one database: two servers and the CLI writing at once, and servers killed with
SIGKILL in the middle of batch stores. Nothing acknowledged is lost; indexes match the rows."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.processes import Ledger, check_database, crash_trial, run_writers

pytestmark = [pytest.mark.anyio, pytest.mark.e2e]


async def test_two_servers_and_the_cli_write_at_once(tmp_path: Path) -> None:
    """Two stdio servers store, update, delete and search while the CLI stores: no acknowledged write
    is lost, no 'database is locked' reaches a client, and both indexes match the table."""
    db = tmp_path / "shared.db"
    ledger = await run_writers(db, rounds=12, servers=2, cli_stores=2)
    assert ledger.errors == []
    # Each server stores 12 and deletes 2 of them (rounds 3 and 10); the CLI stores 2.
    assert len(ledger.content) == 2 * 12 + 2
    assert len(ledger.deleted) == 2 * 2
    assert sum(1 for k in ledger.content if ledger.content[k].startswith("the command line")) == 2
    assert check_database(db, ledger) == []


def test_sigkill_during_batch_stores_loses_nothing_acknowledged(tmp_path: Path) -> None:
    """Servers killed at random moments leave a database that opens, passes the integrity check,
    holds every acknowledged item and has indexes matching its rows."""
    db = tmp_path / "crash.db"
    rng = random.Random(7)
    total = Ledger()
    for _ in range(3):
        trial = crash_trial(db, rng)
        total.content.update(trial.content)
        assert check_database(db, total) == []
    assert len(total.content) > 0
