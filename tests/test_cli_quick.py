"""The command line's quick `stats`, `recent` and `get` (`mcp_memory.cli.quick`): the same output as
the full commands, without the connection layer, and the full command wherever they cannot answer."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

from mcp_memory.cli.commands import cmd_get, cmd_recent, cmd_stats
from mcp_memory.cli.output import Output
from mcp_memory.cli.parser import build_parser
from mcp_memory.cli.quick import quick_output
from mcp_memory.cli.run import _jsonable
from mcp_memory.config import Settings
from mcp_memory.services.app import open_app
from mcp_memory.services.memories.changes import delete_memories, update_memory
from mcp_memory.services.memories.store import store_memory
from tests.conftest import fake_loader, make_settings


async def _fill(settings: Settings) -> None:
    async with open_app(settings, loader=fake_loader()) as app:
        await app.load_model()
        first = await store_memory(app, "The staging host is pegasus.internal", tags=["ops", "hosts"])
        await store_memory(app, "Releases go out on Tuesdays", kind="decision", tags=["release"])
        await store_memory(app, "Prefer ruff over flake8", kind="preference", project="global")
        gone = await store_memory(app, "an obsolete note")
        await update_memory(app, first.id, content="The staging host is pegasus.internal (since May)")
        await delete_memories(app, [gone.id])


@pytest.fixture
def filled(tmp_path: Path) -> Settings:
    settings = make_settings(tmp_path, project="shop")
    anyio.run(_fill, settings)
    return settings


def _args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(list(argv))


def _copy(settings: Settings, name: str) -> Settings:
    """The same store in a database file of its own (a `get` counts its read: each path reads its own)."""
    import sqlite3

    target = settings.database.with_name(f"{name}.db")
    source, copy = sqlite3.connect(settings.database), sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        source.close()
        copy.close()
    return settings.replace(db_path=target)


def _shown(output: Output, settings: Settings) -> tuple[str, str, int]:
    """Text, JSON and exit code, with the database's own path written as <db>."""
    data = output.data() if callable(output.data) else output.data
    here = str(settings.database)
    return (
        output.text.replace(here, "<db>"),
        json.dumps(_jsonable(data)).replace(here, "<db>"),
        output.exit_code,
    )


@pytest.mark.parametrize(
    "argv",
    [
        ("stats",),
        ("recent",),
        ("recent", "--limit", "1"),
        ("recent", "--in", "*"),
        ("get", "m_1", "m_2"),
        ("get", "m_1", "--history"),
        ("get", "m_2", "m_4", "m_999", "nonsense"),
        ("get", "m_4"),
    ],
)
def test_quick_commands_print_what_the_full_commands_print(filled: Settings, argv: tuple[str, ...]) -> None:
    """Text, --json form and exit code are the same from both paths (the deleted m_4 and unknown ids
    are 'not found' in both; the model's state is the one a command that has not loaded it reports)."""
    args = _args(*argv)
    one, other = _copy(filled, "quick"), _copy(filled, "full")
    quick = quick_output(args.command, args, one)
    assert quick is not None
    full = {"stats": cmd_stats, "recent": cmd_recent, "get": cmd_get}[args.command](args, other)
    assert _shown(quick, one) == _shown(full, other)


def test_a_quick_get_counts_the_read_as_the_server_does(filled: Settings) -> None:
    import sqlite3

    def count() -> int:
        conn = sqlite3.connect(filled.database)
        try:
            return int(conn.execute("SELECT access_count FROM memories WHERE id = 2").fetchone()[0])
        finally:
            conn.close()

    before = count()
    args = _args("get", "m_2")
    assert quick_output("get", args, filled) is not None
    assert count() == before + 1


def test_the_full_command_answers_where_the_quick_one_cannot(tmp_path: Path, filled: Settings) -> None:
    """No database yet; a schema this version has not upgraded (the full path migrates it); nothing
    to list (the full `recent` says where the memories are); a file that is not a database."""
    missing = make_settings(tmp_path / "none")
    assert quick_output("stats", _args("stats"), missing) is None
    assert not missing.database.exists()  # and nothing was created

    import sqlite3

    conn = sqlite3.connect(filled.database)
    conn.execute("DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)")
    conn.commit()
    conn.close()
    assert quick_output("stats", _args("stats"), filled) is None

    async def one_memory_in_shop() -> None:
        async with open_app(make_settings(tmp_path / "other", project="shop"), loader=fake_loader()) as app:
            await store_memory(app, "only in the shop project")

    anyio.run(one_memory_in_shop)
    empty = make_settings(tmp_path / "other", project="elsewhere")
    assert quick_output("recent", _args("recent"), empty) is None
    assert quick_output("get", _args("get", "m_1"), empty) is not None

    garbage = make_settings(tmp_path / "garbage")
    garbage.database.parent.mkdir(parents=True, exist_ok=True)
    garbage.database.write_bytes(b"not a database at all" * 100)
    assert quick_output("stats", _args("stats"), garbage) is None
    assert quick_output("search", _args("search", "x"), filled) is None  # not a quick command


def test_quick_commands_import_no_connection_layer(filled: Settings) -> None:
    """What makes them quick: asyncio, aiosqlite, anyio, the MCP SDK, pydantic and the model stay
    unimported (checked in a fresh interpreter; --json imports the views, so plain text here)."""
    heavy = ["asyncio", "aiosqlite", "anyio", "mcp", "pydantic", "numpy", "onnxruntime", "structlog"]
    script = (
        "import sys, json\n"
        "from mcp_memory.cli import main\n"
        "codes = [main(['stats']), main(['recent']), main(['get', 'm_1'])]\n"
        f"print(json.dumps({{'codes': codes, 'loaded': [m for m in {heavy!r} if m in sys.modules]}}))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MCP_MEMORY_")}
    env.update(
        MCP_MEMORY_DB=str(filled.database),
        MCP_MEMORY_DATA_DIR=str(filled.data_dir),
        MCP_MEMORY_PROJECT="shop",
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {"codes": [0, 0, 0], "loaded": []}, done.stderr
