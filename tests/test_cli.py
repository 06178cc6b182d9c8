"""The `mcp-memory` command: help everywhere, the same services as the tools, errors as one line."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mcp_memory.cli import main
from mcp_memory.cli.parser import build_parser as _parser
from mcp_memory.config import Settings
from tests.conftest import db_digest


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory for this test run's model cache: never the user's own, and shared by the
    run's CLI tests so the prepared model is built once."""
    return tmp_path_factory.mktemp("cli-data")


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model_cache: Path) -> Path:
    path = tmp_path / "cli" / "memory.db"
    monkeypatch.delenv("MCP_MEMORY_EMBEDDING_MODEL", raising=False)
    monkeypatch.setenv("MCP_MEMORY_DATA_DIR", str(model_cache))
    monkeypatch.setenv("MCP_MEMORY_DB", str(path))
    monkeypatch.setenv("MCP_MEMORY_PROJECT", "cli-test")
    return path


def test_every_command_has_help() -> None:
    """Each subcommand has a help line a newcomer can read."""
    parser = _parser()
    actions = [a for a in parser._actions if a.dest == "command"]
    choices = actions[0].choices  # type: ignore[union-attr]
    assert set(choices) >= {
        "serve",
        "store",
        "search",
        "get",
        "stats",
        "reindex",
        "doctor",
        "recent",
        "tools",
    }
    for name, sub in choices.items():  # type: ignore[union-attr]
        assert sub.description, name
        assert len(sub.description) > 15, name


def test_settings_are_listed_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    """--help lists every MCP_MEMORY_* setting."""
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for name in ("MCP_MEMORY_DB", "MCP_MEMORY_EMBEDDING_MODEL", "MCP_MEMORY_LOG_LEVEL", "MCP_MEMORY_PROJECT"):
        assert name in out


@pytest.mark.e2e
def test_store_search_get_stats(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """store, search, get and stats work on one database with the real model; --json is parseable."""
    assert (
        main(["store", "Deploys go out with `fly deploy` from the main branch", "-t", "ops", "--json"]) == 0
    )
    stored = json.loads(capsys.readouterr().out)
    assert stored["status"] == "created"
    assert stored.get("embedded", True) is True
    assert main(["search", "deploy to production from main", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["results"][0]["id"] == stored["id"]
    assert "mode_used" not in found  # present only when it differs from mode
    assert main(["get", stored["id"]]) == 0
    assert "fly deploy" in capsys.readouterr().out
    assert main(["stats", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["memories"] == 1
    assert stats["by_project"] == {"cli-test": 1}


def test_errors_are_one_line_and_exit_1(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A refused command prints one line on stderr, exits 1, and stores nothing."""
    assert main(["get", "m_404"]) == 1
    assert "not found: m_404" in capsys.readouterr().out
    assert main(["search", "x", "--since", "whenever", "--mode", "keyword"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("mcp-memory: cannot read the time")
    assert err.count("\n") == 1


def test_doctor_finds_and_repairs_a_broken_keyword_index(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """doctor reports an index that disagrees with the memories, and --repair rebuilds it."""
    assert main(["search", "nothing", "--mode", "keyword"]) == 0  # creates the database
    from mcp_memory.storage.connection import connect_plain

    conn = connect_plain(str(db))
    conn.execute(
        "INSERT INTO memories(content, content_hash, created_at, updated_at, project) VALUES ('orphan text', 'h', 1, 1, 'cli-test')"
    )
    conn.close()
    capsys.readouterr()
    assert main(["doctor", "--no-model"]) == 1
    out = capsys.readouterr().out
    assert "FAIL keyword index: 0 indexed of 1 memories" in out
    assert "doctor --repair" in out
    assert main(["doctor", "--no-model", "--repair"]) == 0
    out = capsys.readouterr().out
    assert "all checks passed" in out
    assert main(["search", "orphan", "--mode", "keyword", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["results"][0]["content"] == "orphan text"


def test_doctor_json_lists_each_check(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """doctor --json gives every check as memory_health gives its own: name and detail, and `ok`,
    `fix` and `warning` only where they are not at their default (true, empty, false)."""
    assert main(["doctor", "--no-model", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    names = [c["name"] for c in report["checks"]]
    assert {"sqlite", "sqlite-vec", "fts5", "model files", "database", "integrity", "schema"} <= set(names)
    assert all(c.get("ok", True) for c in report["checks"])
    assert report.get("ok", True)
    assert all(set(c) <= {"name", "ok", "detail", "fix", "warning"} for c in report["checks"])


def test_refused_store_changes_nothing(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An over-limit store from the CLI is refused before anything is written."""
    assert main(["search", "warm", "--mode", "keyword"]) == 0
    before = db_digest(db)
    assert main(["store", "ok", "-t", "x" * 80]) == 1
    assert "at most 64" in capsys.readouterr().err
    assert db_digest(db) == before


@pytest.mark.e2e
def test_export_import_consolidate_pins_graph_episodes_history(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The maintenance and browsing commands work on the same database as the tools."""
    monkeypatch.setenv("MCP_MEMORY_DATA_DIR", str(tmp_path / "data"))
    assert main(["store", "The build uses BuildKit caching", "--json"]) == 0
    mid = json.loads(capsys.readouterr().out)["id"]
    assert main(["store", "The build uses BuildKit caching!"]) == 0
    assert main(["pins", "--pin", mid, "--note", "important"]) == 0
    assert main(["pins"]) == 0
    pins = capsys.readouterr().out
    assert mid in pins
    assert "pinned because: important" in pins
    assert main(["consolidate", "--similarity", "0.9"]) == 0
    out = capsys.readouterr().out
    assert f"into {mid}" in out
    assert "--apply" in out
    assert main(["consolidate", "--apply", "--similarity", "0.9", "--json"]) == 0
    assert json.loads(capsys.readouterr().out).get("dry_run", False) is False
    assert main(["history", "m_2"]) == 0
    assert "merged into" in capsys.readouterr().out
    export = tmp_path / "data" / "all.jsonl"
    assert main(["export", str(export)]) == 0
    assert main(["export", str(export)]) == 1
    assert "overwrite" in capsys.readouterr().err
    graph_file = tmp_path / "data" / "kg.jsonl"
    graph_file.write_text(
        '{"type":"entity","name":"BuildKit","entityType":"tool","observations":["caches layers"]}\n'
    )
    assert main(["import", str(graph_file), "--format", "server-memory"]) == 0
    assert main(["graph", "BuildKit"]) == 0
    assert "caches layers" in capsys.readouterr().out
    assert main(["episodes"]) == 0
    assert "No episodes yet." in capsys.readouterr().out
    monkeypatch.setenv("MCP_MEMORY_DB", str(tmp_path / "copy.db"))
    assert main(["import", str(export), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["imported"] == 2


@pytest.mark.e2e
def test_doctor_repair_recomputes_missing_vectors(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A vector lost from the index is detected, re-queued and recomputed by doctor --repair."""
    assert main(["store", "the cache warms at midnight"]) == 0
    from mcp_memory.storage.connection import connect_plain

    conn = connect_plain(str(db))
    table = conn.execute("SELECT value FROM meta WHERE key = 'vec_table'").fetchone()[0]
    conn.execute(f"DELETE FROM {table}")
    conn.close()
    capsys.readouterr()
    assert main(["doctor"]) == 1
    assert "FAIL vector index: 0 vectors for 1 embedded memories" in capsys.readouterr().out
    assert main(["doctor", "--repair"]) == 0
    out = capsys.readouterr().out
    assert "vectors recomputed 1" in out
    assert "all checks passed" in out


def test_init_prints_every_client_entry(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """init shows the Claude Code command and the Cursor and Claude Desktop JSON, runnable as given."""
    monkeypatch.setenv("PATH", "/nonexistent")  # no `claude` on PATH: nothing is run
    assert main(["init", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["claude_code"][:6] == ["claude", "mcp", "add", "memory", "--scope", "user"]
    entry = data["cursor"]["mcpServers"]["memory"]
    assert entry["env"]["MCP_MEMORY_DB"] == str(db)
    flags = [part for key, value in entry["env"].items() for part in ("--env", f"{key}={value}")]
    assert data["claude_code"][6:] == [*flags, "--", entry["command"], *entry["args"]]
    started = subprocess.run(
        [entry["command"], *entry["args"], "stats", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **entry["env"]},
    )
    assert started.returncode == 0, started.stderr
    assert json.loads(started.stdout)["memories"] == 0
    assert data["claude_desktop"] == data["cursor"]
    assert data["claude_added"] is False
    assert main(["init"]) == 0
    text = capsys.readouterr().out
    assert "Claude Desktop" in text
    assert "claude mcp add memory" in text


def test_tail_shows_existing_and_new_memories(db: Path, tmp_path: Path) -> None:
    """tail prints the last memories, then ones another process stores while it runs."""
    import subprocess
    import sys

    assert main(["store", "first memory"]) == 0
    proc = subprocess.Popen(
        [sys.executable, "-m", "mcp_memory", "tail", "--for", "120", "--interval", "0.2"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    try:
        seen = ""
        while "first memory" not in seen:
            seen += proc.stdout.readline()
        assert main(["store", "stored while tailing"]) == 0
        while "stored while tailing" not in seen:
            line = proc.stdout.readline()
            assert line, "tail ended before showing the new memory"
            seen += line
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_cover_every_command(shell: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The completion script names every command (and, for bash, their options)."""
    assert main(["completion", shell]) == 0
    script = capsys.readouterr().out
    for name in ("store", "search", "doctor", "backup", "tail", "init"):
        assert name in script
    if shell == "bash":
        assert "complete -o default -F _mcp_memory mcp-memory" in script
        assert "--overwrite" in script


class _FakeDistribution:
    def __init__(self, direct_url: str | None) -> None:
        self._direct_url = direct_url

    def read_text(self, name: str) -> str | None:
        return self._direct_url if name == "direct_url.json" else None


def _environment(folder: Path) -> Path:
    """A Python environment at `folder` holding this program's script."""
    script = folder / "bin" / "mcp-memory-local"
    script.parent.mkdir(parents=True)
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    return folder


@pytest.fixture
def uv_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """uv's cache in a temporary folder, with a uvx environment of this program inside it."""
    cache = tmp_path / "uv-cache"
    monkeypatch.setenv("UV_CACHE_DIR", str(cache))
    return _environment(cache / "archive-v0" / "Xy12ab")


def test_a_lasting_environment_starts_by_its_own_script(tmp_path: Path, uv_cache: Path) -> None:
    """Run from `uv tool install` or a virtual environment, clients start that environment's script
    by absolute path: offline, no resolution."""
    from mcp_memory.cli.launch import launch_command

    tool = _environment(tmp_path / "tools" / "mcp-memory-local")
    launch = launch_command(tool)
    assert launch.argv == [str(tool / "bin" / "mcp-memory-local")]
    assert launch.offline


def test_a_uvx_environment_is_never_the_launch(
    tmp_path: Path, uv_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run through uvx (an environment in uv's cache), the launch is an installed command outside the
    cache if there is one, else the checkout through `uv run`, else uvx by name: never a cache path."""
    import shutil
    from importlib import metadata

    from mcp_memory.cli import launch as launching

    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "pyproject.toml").write_text("[project]\n")
    installed = _environment(tmp_path / "local")
    cached_script = str(uv_cache / "bin" / "mcp-memory-local")

    monkeypatch.setattr(shutil, "which", lambda name: str(installed / "bin" / name))
    assert launching.launch_command(uv_cache).argv == [str(installed / "bin" / "mcp-memory-local")]

    monkeypatch.setattr(shutil, "which", lambda name: cached_script)
    recorded = f'{{"url": "file://{checkout}", "dir_info": {{}}}}'
    monkeypatch.setattr(metadata, "distribution", lambda name: _FakeDistribution(recorded))
    launch = launching.launch_command(uv_cache)
    assert launch.argv == [
        "uv", "run", "--project", str(checkout), "--no-dev", "--quiet", "mcp-memory-local"
    ]  # fmt: skip
    assert launch.offline
    assert "uv tool install" in launch.note

    monkeypatch.setattr(metadata, "distribution", lambda name: _FakeDistribution(None))
    launch = launching.launch_command(uv_cache)
    assert launch.argv == ["uvx", "mcp-memory-local"]
    assert not launch.offline
    assert "package index" in launch.note
    assert "uv tool install mcp-memory-local" in launch.note


def test_init_hooks_from_uvx_write_no_cache_path_and_say_what_they_run(
    tmp_path: Path, uv_cache: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`init --hooks` run through uvx writes a lasting command into Claude Code's settings, never one
    inside uv's cache, and prints the command it wrote."""
    import shutil
    from importlib import metadata

    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "pyproject.toml").write_text("[project]\n")
    monkeypatch.setattr(sys, "prefix", str(uv_cache))
    monkeypatch.setattr(shutil, "which", lambda name: str(uv_cache / "bin" / name))
    recorded = f'{{"url": "file://{checkout}", "dir_info": {{}}}}'
    monkeypatch.setattr(metadata, "distribution", lambda name: _FakeDistribution(recorded))
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "claude"))
    monkeypatch.setenv("MCP_MEMORY_DB", str(tmp_path / "memory.db"))
    assert main(["init", "--hooks"]) == 0
    out = capsys.readouterr().out
    written = (tmp_path / "claude" / "settings.json").read_text()
    assert str(uv_cache) not in written
    assert "uv-cache" not in written
    commands = [
        hook["command"]
        for groups in json.loads(written)["hooks"].values()
        for group in groups
        for hook in group["hooks"]
    ]
    assert commands
    for command in commands:
        words = shlex.split(command)
        assert words[0] == f"MCP_MEMORY_DB={tmp_path / 'memory.db'}"
        assert words[1:8] == [
            "uv", "run", "--project", str(checkout), "--no-dev", "--quiet", "mcp-memory-local"
        ]  # fmt: skip
        assert words[8] == "hook"
    assert "The hooks run: MCP_MEMORY_DB=" in out
    assert f"uv run --project {checkout}" in out


def test_init_entries_carry_the_database_it_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With MCP_MEMORY_DB set, every printed entry passes that file to the client (Claude Code's line
    as --env, the JSON entries as env), so the client uses the store init names."""
    monkeypatch.setenv("PATH", "/nonexistent")
    database = tmp_path / "elsewhere" / "team.db"
    monkeypatch.setenv("MCP_MEMORY_DB", str(database))
    assert main(["init", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    claude = data["claude_code"]
    assert claude[claude.index("--env") + 1] == f"MCP_MEMORY_DB={database}"
    assert claude.index("--env") < claude.index("--")
    for client in ("cursor", "claude_desktop"):
        assert data[client]["mcpServers"]["memory"]["env"]["MCP_MEMORY_DB"] == str(database)
    assert main(["init"]) == 0
    text = capsys.readouterr().out
    assert f"Memories are stored in {database} (the entries pass MCP_MEMORY_DB)." in text
    monkeypatch.delenv("MCP_MEMORY_DB")
    assert main(["init", "--json"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert "MCP_MEMORY_DB" not in plain["cursor"]["mcpServers"]["memory"].get("env", {})
    assert not any(part.startswith("MCP_MEMORY_DB=") for part in plain["claude_code"])


def test_init_entries_carry_a_shared_database(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With MCP_MEMORY_DATABASE_URL set, the entries pass it (and a private default visibility), and
    init says where the memories live without printing the password, and where a password belongs."""
    monkeypatch.setenv("PATH", "/nonexistent")
    url = "postgresql://alice:s3cret-pw@db.example.com/memory"
    monkeypatch.setenv("MCP_MEMORY_DATABASE_URL", url)
    monkeypatch.setenv("MCP_MEMORY_VISIBILITY", "private")
    assert main(["init", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    env = data["cursor"]["mcpServers"]["memory"]["env"]
    assert (env["MCP_MEMORY_DATABASE_URL"], env["MCP_MEMORY_VISIBILITY"]) == (url, "private")
    assert f"MCP_MEMORY_DATABASE_URL={url}" in data["claude_code"]
    assert main(["init"]) == 0
    text = capsys.readouterr().out.split("Memories are stored in", 1)[1]
    assert text.startswith(" the shared Postgres at postgresql://alice:***@db.example.com/memory")
    assert "s3cret-pw" not in text
    assert "~/.pgpass" in text


def test_init_says_when_nothing_was_added(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With no `claude` command, `init --yes` prints the entries and says that nothing was added."""
    import shutil

    monkeypatch.setenv("MCP_MEMORY_DB", str(settings.database))
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert main(["init", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "Clients start: " in out
    assert "nothing was added to Claude Code" in out


@pytest.mark.e2e
def test_pending_vectors_are_a_warning_with_the_fix_and_a_model_command_embeds_them(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """stats and doctor warn about memories without vectors and name the fix; a command that loads
    the model gives them their vectors."""
    from mcp_memory.storage.connection import connect_plain

    assert main(["store", "the cache warms at midnight"]) == 0
    conn = connect_plain(str(db))
    table = conn.execute("SELECT value FROM meta WHERE key = 'vec_table'").fetchone()[0]
    conn.execute(f"DELETE FROM {table}")
    conn.execute("UPDATE memories SET embedded = 0")
    conn.commit()
    conn.close()
    capsys.readouterr()
    assert main(["stats"]) == 0
    assert "1 memories have no vector yet: `mcp-memory doctor --repair`" in capsys.readouterr().out
    assert main(["doctor", "--no-model"]) == 0
    out = capsys.readouterr().out
    assert "warn pending embeddings: 1 memories wait for their vector" in out
    assert "fix: `mcp-memory doctor --repair`" in out
    assert main(["search", "cache", "--mode", "semantic"]) == 0  # loads the model
    capsys.readouterr()
    assert main(["doctor", "--no-model", "--json"]) == 0
    pending = next(
        c for c in json.loads(capsys.readouterr().out)["checks"] if c["name"] == "pending embeddings"
    )
    assert (pending["detail"], pending.get("warning", False)) == ("0 memories wait for their vector", False)


def test_doctor_warns_about_a_folder_others_can_open(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A database folder readable by others (0755) is a warning with `chmod 700`; 0700 is clean."""
    db.parent.mkdir(parents=True)
    db.parent.chmod(0o755)
    assert main(["doctor", "--no-model"]) == 0
    out = capsys.readouterr().out
    assert "warn file modes" in out
    assert f"chmod 700 {db.parent}" in out
    db.parent.chmod(0o700)
    assert main(["doctor", "--no-model"]) == 0
    assert "ok   file modes" in capsys.readouterr().out


def test_update_delete_revert_tag_forget_from_the_command_line(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command line can do what the tools do: update (with history), delete, revert the delete,
    tag by id or filter, and forget for good only with --apply."""
    monkeypatch.setenv("MCP_MEMORY_EMBEDDING_MODEL", "fake-model")
    monkeypatch.setenv("MCP_MEMORY_DATA_DIR", str(db.parent))
    assert main(["store", "the api key rotates monthly", "--json"]) == 0
    mid = json.loads(capsys.readouterr().out)["id"]
    assert (
        main(["update", mid, "--content", "the api key rotates weekly", "--tag", "security", "--json"]) == 0
    )
    assert json.loads(capsys.readouterr().out) == {
        "id": mid,
        "version": 2,
        "changed": ["content", "tags"],
        "embedded": False,
    }  # fmt: skip (fields at their default, such as redacted 0, are left out as in the tool's output)
    assert main(["delete", mid]) == 0
    assert "Deleted 1 memory" in capsys.readouterr().out
    assert main(["revert", mid, "2"]) == 0
    assert f"Restored {mid}" in capsys.readouterr().out
    assert main(["tag", "--where-tag", "security", "--add", "ops", "--remove", "security"]) == 0
    assert "Changed tags on 1 memory." in capsys.readouterr().out
    assert main(["get", mid, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["memories"][0]["tags"] == ["ops"]
    assert main(["forget", mid]) == 0
    assert "Would erase 1 memory for good" in capsys.readouterr().out
    assert main(["get", mid]) == 0
    capsys.readouterr()
    assert main(["forget", mid, "--apply"]) == 0
    assert "Erased 1 memory for good" in capsys.readouterr().out
    assert main(["get", mid]) == 1
    assert main(["delete", "m_999"]) == 1


def test_json_output_is_the_tools_structured_output(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--json` prints what the tool returns as structured content: same field names, ISO times."""
    import anyio
    from mcp import Client

    from mcp_memory.config import Settings
    from mcp_memory.mcp.server import build_server
    from tests.conftest import fake_loader, wait_for_model

    monkeypatch.setenv("MCP_MEMORY_EMBEDDING_MODEL", "fake-model")
    assert main(["store", "deploys go out on tuesdays", "--tag", "release"]) == 0
    assert main(["pins", "--pin", "m_1", "--note", "release day"]) == 0
    capsys.readouterr()
    calls = [
        (["recent", "--json"], "memory_recent", {}),
        (["get", "m_1", "--json"], "memory_get", {"ids": ["m_1"]}),
        (
            ["search", "deploys", "--mode", "keyword", "--json"],
            "memory_search",
            {"query": "deploys", "mode": "keyword"},
        ),
        (["history", "m_1", "--json"], "memory_history", {"id": "m_1"}),
        (["pins", "--json"], "memory_pins", {}),
    ]
    printed = []
    for command, _, _ in calls:
        assert main(command) == 0
        printed.append(json.loads(capsys.readouterr().out))

    async def tool_outputs() -> list[Any]:
        settings = Settings.load(project="cli-test")
        async with Client(build_server(settings, loader=fake_loader()), mode="legacy") as client:
            await wait_for_model(client)
            return [(await client.call_tool(tool, args)).structured_content for _, tool, args in calls]

    for (command, _, _), mine, theirs in zip(calls, printed, anyio.run(tool_outputs), strict=True):
        assert set(mine) == set(theirs), command
        if command[0] not in ("search", "recent", "get"):  # read counts move
            assert mine == theirs, command
    created = printed[1]["memories"][0]["created_at"]
    assert created.endswith("Z")
    assert "T" in created


def test_episode_steps_show_their_time_in_iso_8601(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A step's time is ISO 8601 like every other time: in the tools' episode output and in
    `episodes --show ID --json`, the same string."""
    import anyio
    from mcp import Client

    from mcp_memory.mcp.server import build_server
    from tests.conftest import fake_loader

    monkeypatch.setenv("MCP_MEMORY_EMBEDDING_MODEL", "fake-model")

    async def record() -> Any:
        settings = Settings.load(project="cli-test")
        async with Client(
            build_server(settings, loader=fake_loader(), load_model=False), mode="legacy"
        ) as client:
            started = await client.call_tool("episode_start", {"task": "upgrade postgres"})
            episode_id = started.structured_content["episode_id"]  # type: ignore[index]
            await client.call_tool(
                "episode_step", {"episode_id": episode_id, "action": "pg_upgrade", "ok": True}
            )
            done = await client.call_tool(
                "episode_complete",
                {"episode_id": episode_id, "outcome": "success", "lesson": "take a backup"},
            )
            return episode_id, done.structured_content

    episode_id, tool = anyio.run(record)
    assert main(["episodes", "--show", episode_id, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    at = shown["steps"][0]["created_at"]
    assert isinstance(at, str)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", at)
    assert tool["steps"][0]["created_at"] == at
    assert "at" not in shown["steps"][0]


def test_errors_are_one_line_naming_flags(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A refusal is one clean line on stderr that names the command line's flags, not tool arguments."""
    monkeypatch.setenv("MCP_MEMORY_EMBEDDING_MODEL", "fake-model")
    target = tmp_path / "x.jsonl"
    assert main(["export", str(target)]) == 0
    capsys.readouterr()
    assert main(["export", str(target)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "--overwrite" in err
    assert "overwrite=true" not in err
    assert main(["store", "  "]) == 1
    assert "`content`" not in capsys.readouterr().err


def test_a_closed_pipe_ends_quietly(
    db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`mcp-memory recent | head -c 10` prints no traceback (the output is larger than a pipe holds)."""
    import os
    import subprocess
    import sys

    monkeypatch.setenv("MCP_MEMORY_EMBEDDING_MODEL", "fake-model")
    for i in range(3):
        assert main(["store", f"note {i} " + "x" * 40_000]) == 0
    capsys.readouterr()
    env = {**os.environ, "MCP_MEMORY_DB": str(db), "MCP_MEMORY_EMBEDDING_MODEL": "fake-model"}
    reader_gone = subprocess.Popen(
        [sys.executable, "-m", "mcp_memory", "recent", "-n", "3"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert reader_gone.stdout is not None
    reader_gone.stdout.read(10)
    reader_gone.stdout.close()  # what `| head -c 10` does
    _, err = reader_gone.communicate(timeout=120)
    assert b"Traceback" not in err
    assert b"BrokenPipeError" not in err


@pytest.mark.parametrize("terminal", [True, False])
def test_serving_on_a_terminal_says_what_it_waits_for(
    terminal: bool, db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no command and a terminal for stdin, one note on stderr says the server speaks MCP on
    stdin/stdout and how to try it; from a client's pipe it says nothing; stdout stays empty."""
    import pty

    import mcp_memory.embeddings.hosted
    import mcp_memory.mcp.server

    served: list[bool] = []
    monkeypatch.setattr(mcp_memory.embeddings.hosted, "hosting_supported", lambda: False)
    monkeypatch.setattr(mcp_memory.mcp.server, "run_stdio", lambda *_: served.append(True))
    leader, follower = pty.openpty()
    read, write = os.pipe()
    try:
        with open(follower if terminal else read, closefd=False) as stdin:
            monkeypatch.setattr(sys, "stdin", stdin)
            assert main([]) == 0
    finally:
        for fd in (leader, follower, read, write):
            os.close(fd)
    out, err = capsys.readouterr()
    assert served == [True]
    assert out == ""
    if terminal:
        assert err.count("stdin/stdout") == 1
        assert "mcp-memory --help" in err
    else:
        assert "stdin/stdout" not in err
