"""Driving real server processes for the concurrency and crash tests (and bench/soak.py): writers that
remember what was acknowledged, a crash trial that kills a server mid-batch, and a checker that
compares the database with what was acknowledged."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import anyio
from mcp import Client, StdioServerParameters

from mcp_memory.storage.connection import connect_plain


def server_env(db: Path | str) -> dict[str, str]:
    """A server's environment for the store `db`: a SQLite file, or a shared Postgres's URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MCP_MEMORY_")}
    where = {"MCP_MEMORY_DATABASE_URL": db} if isinstance(db, str) else {"MCP_MEMORY_DB": str(db)}
    env.update(where, MCP_MEMORY_PROJECT="soak", MCP_MEMORY_LOG_LEVEL="ERROR")
    return env


@dataclass
class Ledger:
    """What clients saw acknowledged."""

    content: dict[str, str] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)
    operations: int = 0
    errors: list[str] = field(default_factory=list)


async def client_writer(
    db: Path | str, name: str, ledger: Ledger, *, rounds: int | None = None, until: float | None = None
) -> None:
    """One server process: store, update, delete and search for a fixed number of `rounds` (tests: the
    same work however slow the machine) or until `until` (monotonic time; the soak benchmark)."""
    params = StdioServerParameters(command=sys.executable, args=["-m", "mcp_memory"], env=server_env(db))
    async with Client(params, mode="legacy") as client:
        i = 0
        while (rounds is None or i < rounds) and (until is None or time.monotonic() < until):
            text = f"{name} wrote memory {i} about topic {i % 9}"
            result = await client.call_tool("memory_store", {"content": text, "tags": [name]})
            ledger.operations += 1
            if result.is_error:
                ledger.errors.append(f"{name} store: {result.content}")
                continue
            memory_id = result.structured_content["id"]  # type: ignore[index]
            ledger.content[memory_id] = text
            if i % 5 == 1:
                result = await client.call_tool(
                    "memory_update", {"id": memory_id, "content": text + " (edited)"}
                )
                ledger.operations += 1
                if result.is_error:
                    ledger.errors.append(f"{name} update: {result.content}")
                else:
                    ledger.content[memory_id] = text + " (edited)"
            if i % 7 == 3:
                result = await client.call_tool("memory_delete", {"ids": [memory_id]})
                ledger.operations += 1
                if result.is_error:
                    ledger.errors.append(f"{name} delete: {result.content}")
                else:
                    ledger.deleted.add(memory_id)
            if i % 3 == 0:
                result = await client.call_tool("memory_search", {"query": f"topic {i % 9}"})
                ledger.operations += 1
                if result.is_error:
                    ledger.errors.append(f"{name} search: {result.content}")
            i += 1


def cli_writer(db: Path | str, count: int, ledger: Ledger) -> None:
    """The CLI storing memories (each call its own process) while the servers write."""
    for i in range(count):
        text = f"the command line stored memory {i}"
        done = subprocess.run(
            [sys.executable, "-m", "mcp_memory", "store", text, "--json"],
            env=server_env(db),
            capture_output=True,
            text=True,
            timeout=120,
        )
        ledger.operations += 1
        if done.returncode != 0:
            ledger.errors.append(f"cli store: {done.stderr.strip()}")
            continue
        ledger.content[json.loads(done.stdout)["id"]] = text


async def run_writers(
    db: Path | str,
    *,
    rounds: int | None = None,
    seconds: float | None = None,
    servers: int = 2,
    cli_stores: int = 2,
) -> Ledger:
    """Several server processes and the CLI writing one database at once: each server for `rounds`
    store rounds, or for about `seconds`."""
    if (rounds is None) == (seconds is None):
        raise ValueError("give rounds or seconds")
    ledger = Ledger()
    until = None if seconds is None else time.monotonic() + seconds
    async with anyio.create_task_group() as tg:
        for n in range(servers):
            tg.start_soon(partial(client_writer, db, f"writer{n}", ledger, rounds=rounds, until=until))
        if cli_stores:
            tg.start_soon(anyio.to_thread.run_sync, cli_writer, db, cli_stores, ledger)
    return ledger


def _unlike_the_ledger(rows: dict[str, tuple[Any, Any]], ledger: Ledger) -> list[str]:
    """Acknowledged writes missing from `rows` (memory id -> (content, deleted_at)) or not as
    acknowledged: lost, live although deleted, or with other text."""
    problems = []
    for memory_id, text in ledger.content.items():
        if memory_id not in rows:
            problems.append(f"lost {memory_id}")
        elif memory_id in ledger.deleted and rows[memory_id][1] is None:
            problems.append(f"{memory_id} was deleted but is live")
        elif rows[memory_id][0] != text:
            problems.append(f"{memory_id} has {rows[memory_id][0]!r}, acknowledged {text!r}")
    return problems


def check_store(store: Path | str, ledger: Ledger) -> list[str]:
    """`check_database` for a SQLite file, `check_postgres` for a shared Postgres's URL."""
    return check_postgres(store, ledger) if isinstance(store, str) else check_database(store, ledger)


def crash_trials(store: Path | str, seed: int, trials: int = 3) -> Ledger:
    """`trials` crash trials on one store, the store checked after each against everything
    acknowledged so far; what was acknowledged in all."""
    rng = random.Random(seed)
    total = Ledger()
    for _ in range(trials):
        total.content.update(crash_trial(store, rng).content)
        problems = check_store(store, total)
        assert problems == [], problems
    return total


def check_database(db: Path, ledger: Ledger) -> list[str]:
    """Problems found: integrity, lost or changed acknowledged writes, indexes out of step with rows."""
    problems: list[str] = []
    conn = connect_plain(str(db))
    try:
        integrity = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        if integrity != ["ok"]:
            problems.append(f"integrity: {integrity[:3]}")
        rows = {
            f"m_{r[0]}": (r[1], r[2]) for r in conn.execute("SELECT id, content, deleted_at FROM memories")
        }
        problems += _unlike_the_ledger(rows, ledger)
        live = conn.execute("SELECT count(*) FROM memories WHERE deleted_at IS NULL").fetchone()[0]
        indexed = conn.execute("SELECT count(*) FROM memories_fts").fetchone()[0]
        if live != indexed:
            problems.append(f"keyword index has {indexed} rows for {live} memories")
        table = conn.execute("SELECT value FROM meta WHERE key = 'vec_table'").fetchone()
        if table:
            vectors = conn.execute(f"SELECT count(*) FROM {table[0]}").fetchone()[0]
            embedded = conn.execute(
                "SELECT count(*) FROM memories WHERE embedded = 1 AND deleted_at IS NULL"
            ).fetchone()[0]
            if vectors != embedded:
                problems.append(f"vector index has {vectors} rows for {embedded} embedded memories")
    finally:
        conn.close()
    return problems


def check_postgres(url: str, ledger: Ledger) -> list[str]:
    """`check_database` for a shared Postgres (read as the member who wrote): every acknowledged write
    there as acknowledged, and the vectors in step with the memories marked embedded (the keyword
    entries are a generated column of the row: always in step)."""
    import psycopg

    problems: list[str] = []
    with psycopg.connect(url, options="-c search_path=mcp_memory,public") as conn:
        rows = {
            f"m_{r[0]}": (r[1], r[2]) for r in conn.execute("SELECT id, content, deleted_at FROM memories")
        }
        problems += _unlike_the_ledger(rows, ledger)
        out_of_step = conn.execute(
            "SELECT count(*) FROM memories WHERE (embedded = 1) != (embedding IS NOT NULL)"
        ).fetchone()[0]
        if out_of_step:
            problems.append(f"{out_of_step} memories whose vector is not as their embedded flag says")
    return problems


def _send(proc: subprocess.Popen[bytes], message: dict[str, Any]) -> None:
    assert proc.stdin is not None
    proc.stdin.write((json.dumps(message) + "\n").encode())
    proc.stdin.flush()


def _receive(proc: subprocess.Popen[bytes], request_id: int) -> dict[str, Any] | None:
    assert proc.stdout is not None
    while True:
        line = proc.stdout.readline()
        if not line:
            return None  # the process is gone
        message = json.loads(line)
        if message.get("id") == request_id:
            return message


def initialize(proc: subprocess.Popen[bytes]) -> None:
    """The MCP handshake with a server started with pipes for stdin and stdout."""
    _send(
        proc,
        {
            "jsonrpc": "2.0",
            "id": 0,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "tests", "version": "1"},
            },
        },
    )
    _receive(proc, 0)
    _send(proc, {"jsonrpc": "2.0", "method": "notifications/initialized"})


def crash_trial(db: Path | str, rng: random.Random, batch: int = 20) -> Ledger:
    """Start a server, send batch stores one after another, kill -9 it at a random moment, and return
    what it had acknowledged before dying."""
    ledger = Ledger()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mcp_memory"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=server_env(db),
    )
    initialize(proc)
    # The kill comes at a random moment after the first batch is acknowledged, so every trial has
    # acknowledged writes at stake (a server needs ~1 s to start).
    killer = threading.Timer(rng.uniform(0.0, 2.0), lambda: os.kill(proc.pid, signal.SIGKILL))
    try:
        request_id = 1
        while True:
            items = [{"content": f"trial {rng.random():.12f} item {k}"} for k in range(batch)]
            _send(
                proc,
                {
                    "jsonrpc": "2.0",
                    "id": request_id,
                    "method": "tools/call",
                    "params": {"name": "memory_batch_store", "arguments": {"items": items}},
                },
            )
            reply = _receive(proc, request_id)
            if reply is None:
                break
            ledger.operations += 1
            if request_id == 1:
                killer.start()
            result = reply.get("result", {})
            for item, outcome in zip(
                items, result.get("structuredContent", {}).get("results", []), strict=False
            ):
                if outcome.get("ok", True) and outcome.get("id"):
                    ledger.content[outcome["id"]] = item["content"]
            request_id += 1
    except (BrokenPipeError, OSError):
        pass
    finally:
        killer.cancel()
        proc.kill()
        proc.wait()
    return ledger
