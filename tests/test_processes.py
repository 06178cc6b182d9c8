"""Real processes on one database: two servers and the CLI writing at once, and servers killed with
SIGKILL in the middle of batch stores. Nothing acknowledged is lost; indexes match the rows. Ctrl-C
stops a server quietly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from mcp_memory.embeddings.hosted import hosting_supported
from tests.processes import (
    check_database,
    check_postgres,
    crash_trials,
    initialize,
    run_writers,
    server_env,
)

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
    assert len(crash_trials(tmp_path / "crash.db", seed=7).content) > 0


@pytest.fixture
def team_url(postgres: Any) -> str:
    """A team database for the bundled model's vectors, and the URL of its member alice."""
    from mcp_memory.storage.postgres.team import add_member, setup_team

    database = postgres.new_database()
    admin = postgres.url(database)
    setup_team(admin, 384)
    add_member(admin, "alice", "alice-pw")
    return str(postgres.url(database, "alice", "alice-pw"))


async def test_three_servers_and_the_cli_write_a_shared_postgres_at_once(team_url: str) -> None:
    """Three stdio servers (three machines of one member) and the CLI on one shared Postgres: every
    acknowledged store, update and delete is there, each id was given once, and no serialization
    failure reached a client (they are retried)."""
    ledger = await run_writers(team_url, rounds=8, servers=3, cli_stores=2)
    assert ledger.errors == []
    assert len(ledger.content) == 3 * 8 + 2  # ids unique across writers: none overwrote another
    assert len(ledger.deleted) == 3 * 1  # round 3 of each
    assert check_postgres(team_url, ledger) == []


def test_sigkill_on_a_shared_postgres_loses_nothing_acknowledged(team_url: str) -> None:
    """Servers on a shared Postgres killed with SIGKILL at random moments mid-batch: every item
    they acknowledged is stored, and vectors match the embedded flags."""
    assert len(crash_trials(team_url, seed=11).content) > 0


def _children(pid: int) -> set[int]:
    """Processes whose parent is `pid` (from /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


@pytest.mark.skipif(
    not (hosting_supported() and Path("/proc").is_dir()), reason="needs the model process and /proc"
)
@pytest.mark.parametrize("after", ["mcp-memory serving", "embedding model ready"])
def test_ctrl_c_stops_the_server_quietly(tmp_path: Path, after: str) -> None:
    """SIGINT to the server's process group (what Ctrl-C in a terminal sends), while the model
    loads or once it is ready, ends the server with 130, no traceback, and no model process left."""
    env = {**server_env(tmp_path / "memory.db"), "MCP_MEMORY_LOG_LEVEL": "INFO"}
    log = tmp_path / "stderr.txt"
    with log.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mcp_memory"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=env,
            start_new_session=True,  # a process group of its own, like a command run in a terminal
        )
        try:
            initialize(proc)
            deadline = time.monotonic() + 60
            while after not in log.read_text() and time.monotonic() < deadline:
                time.sleep(0.05)
            model = _children(proc.pid)
            os.killpg(proc.pid, signal.SIGINT)
            code = proc.wait(timeout=30)
            assert code == 130, log.read_text()  # its stderr says why, when it is not 130
        finally:
            proc.kill()
            proc.wait()
    text = log.read_text()
    assert after in text
    assert "Traceback" not in text
    assert "KeyboardInterrupt" not in text
    assert model, "the model process had started"
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in model) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(Path(f"/proc/{pid}").exists() for pid in model)
