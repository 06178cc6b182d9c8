"""Every command with a tool twin prints with `--json` exactly what its tool returns as structured
content, call by call; and each interface words its hints in its own terms (flags on the command line,
arguments and tool names in the tools)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from mcp_memory.cli import main
from mcp_memory.cli.spelling import TWIN_COMMANDS
from mcp_memory.mcp.server import build_server
from mcp_memory.services.app import open_app
from tests.conftest import fake_loader, make_settings, wait_for_model

#: Fields that differ by nature, not by interface, per tool (each said why):
EXCEPTIONS: dict[str, set[str]] = {
    # The copies are two files: their paths differ, and their sizes with them (WAL, page reuse). The
    # command line's stats answer without loading the model (`cli.quick`), the server has it loaded.
    "memory_stats": {"database_path", "database_bytes", "model_state"},
    # Each side writes its own file; its size includes the moment it was written.
    "memory_export": {"path", "bytes"},
    # Wall-clock time of one re-embedding.
    "memory_reindex": {"seconds"},
}
#: Fields that differ by nature wherever they appear: when each side ran (`*_at` of what it wrote),
#: and read counts, which the server writes a moment after each read.
TIMES = ("_at", "when")
READS = {"access_count", "last_accessed_at"}

#: (command line, tool, tool arguments): the same calls, in the same order, on two copies of one database.
CALLS: list[tuple[list[str], str, dict[str, Any]]] = [
    (["store", "deploys go out on tuesdays", "-t", "release"], "memory_store", {"content": "deploys go out on tuesdays", "tags": ["release"]}),
    (["search", "deploys"], "memory_search", {"query": "deploys"}),
    (["search", "invoices", "--mode", "keyword"], "memory_search", {"query": "invoices", "mode": "keyword"}),
    (["get", "m_1", "m_404"], "memory_get", {"ids": ["m_1", "m_404"]}),
    (["get", "m_1", "--history"], "memory_get", {"ids": ["m_1"], "include_history": True}),
    (["recent"], "memory_recent", {}),
    (["update", "m_1", "--content", "deploys go out with fly deploy on tuesdays"], "memory_update", {"id": "m_1", "content": "deploys go out with fly deploy on tuesdays"}),
    (["history", "m_1"], "memory_history", {"id": "m_1"}),
    (["revert", "m_1", "1"], "memory_revert", {"id": "m_1", "version": 1}),
    (["pins", "--pin", "m_2", "--note", "the database"], "memory_pin", {"id": "m_2", "note": "the database"}),
    (["pins"], "memory_pins", {}),
    (["pins", "--unpin", "m_2"], "memory_unpin", {"id": "m_2"}),
    (["graph", "PostgreSQL"], "graph_query", {"name": "PostgreSQL"}),
    (["graph", "--query", "billing", "--depth", "2"], "graph_query", {"query": "billing", "depth": 2}),
    (["tag", "m_1", "--add", "ops"], "memory_batch_tag", {"ids": ["m_1"], "add": ["ops"]}),
    (["delete", "m_3"], "memory_delete", {"ids": ["m_3"]}),
    (["forget", "m_3"], "memory_forget", {"ids": ["m_3"]}),
    (["forget", "m_3", "--apply"], "memory_forget", {"ids": ["m_3"], "dry_run": False}),
    (["consolidate"], "memory_consolidate", {}),
    (["stats"], "memory_stats", {}),
    (["export", "{data}/twin.jsonl"], "memory_export", {"path": "twin.jsonl"}),
    (["import", "{data}/notes.jsonl", "--format", "plain-jsonl"], "memory_import", {"path": "{data}/notes.jsonl", "format": "plain-jsonl"}),
    (["reindex"], "memory_reindex", {}),
]  # fmt: skip


async def _seed(path: Path, tmp_path: Path) -> None:
    from mcp_memory.services.graph.entities import link_memory, upsert_graph
    from mcp_memory.services.memories.store import store_memory

    settings = make_settings(tmp_path / "seed", db_path=path)
    async with open_app(settings, loader=fake_loader()) as app:
        await app.load_model()
        await store_memory(app, "deploys go out with fly deploy from the main branch", tags=["ops"])
        await store_memory(app, "PostgreSQL 16 is the database of the billing service", kind="fact")
        await store_memory(app, "scratch note about the flaky login test", kind="scratch")
        await store_memory(app, "billing invoices are sent nightly", project="webapp")
        await upsert_graph(
            app,
            [{"name": "PostgreSQL", "type": "database", "observations": ["version 16"]}],
            [{"from": "billing-service", "to": "PostgreSQL", "type": "uses"}],
        )
        await link_memory(app, "m_2", ["PostgreSQL"])


def _same(value: Any, key: str = "") -> Any:
    """`value` with the fields that differ by nature marked (times) or left out (read counts, which
    are absent where still at their default)."""
    if isinstance(value, dict):
        return {k: _same(v, k) for k, v in value.items() if k not in READS}
    if isinstance(value, list):
        return [_same(v) for v in value]
    if isinstance(value, str) and key.endswith(TIMES):
        return "<time>"
    return value


@pytest.fixture
def copies(tmp_path: Path) -> tuple[Path, Path]:
    """Two copies of one seeded database, each with a notes file to import beside it."""
    seeded = tmp_path / "seed.db"
    anyio.run(_seed, seeded, tmp_path)
    cli, tool = tmp_path / "cli" / "memory.db", tmp_path / "tool" / "data" / "memory.db"
    for copy in (cli, tool):
        copy.parent.mkdir(parents=True)
        shutil.copy(seeded, copy)
    for folder in (cli.parent, tool.parent):
        (folder / "notes.jsonl").write_text(
            json.dumps({"content": "redis is the session store", "tags": ["cache"]}) + "\n"
        )
    return cli, tool


def _command_outputs(
    cli: Path, data: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> list[Any]:
    import mcp_memory.cli.commands

    monkeypatch.setenv("MCP_MEMORY_DB", str(cli))
    monkeypatch.setenv("MCP_MEMORY_DATA_DIR", str(cli.parent / "data"))
    monkeypatch.setenv("MCP_MEMORY_PROJECT", "proj")
    monkeypatch.setenv("MCP_MEMORY_EMBEDDING_MODEL", "fake-model")
    monkeypatch.setattr(mcp_memory.cli.commands, "open_app", lambda s: open_app(s, loader=fake_loader()))
    printed = []
    for command, _, _ in CALLS:
        argv = [part.replace("{data}", str(cli.parent)) for part in command]
        code = main([*argv, "--json"])
        out, err = capsys.readouterr()
        assert code in (0, 1), (command, err)
        assert out, (command, err)
        printed.append(json.loads(out))
    return printed


async def _tool_outputs(tool: Path) -> list[Any]:
    settings = make_settings(tool.parent.parent, db_path=tool)
    results = []
    async with Client(build_server(settings, loader=fake_loader()), mode="legacy") as client:
        await wait_for_model(client)
        for _, name, arguments in CALLS:
            given = {
                k: v.replace("{data}", str(tool.parent)) if isinstance(v, str) else v
                for k, v in arguments.items()
            }
            result = await client.call_tool(name, given)
            assert not result.is_error, (name, result.content)
            results.append(result.structured_content)
    return results


def test_every_twin_pair_is_compared() -> None:
    """Each tool the command line has a twin for is called here, and each twin is a real command."""
    from mcp_memory.cli.parser import build_parser
    from mcp_memory.mcp.names import ALL_TOOLS

    assert {tool for _, tool, _ in CALLS} == set(TWIN_COMMANDS)
    assert set(TWIN_COMMANDS) <= set(ALL_TOOLS)
    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert set(TWIN_COMMANDS.values()) <= set(commands)  # type: ignore[arg-type]
    assert all(TWIN_COMMANDS[tool] == command[0] for command, tool, _ in CALLS)


def test_json_of_each_command_is_its_tools_structured_content(
    copies: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Call by call, `--json` equals the tool's structured content, but for the fields that differ by
    nature (EXCEPTIONS, times, read counts) and the notice's hint, which each side words its own way."""
    cli, tool = copies
    mine = _command_outputs(cli, tool.parent, monkeypatch, capsys)
    theirs = anyio.run(_tool_outputs, tool)
    for (command, name, _), printed, returned in zip(CALLS, mine, theirs, strict=True):
        assert isinstance(returned, dict), name
        for key in EXCEPTIONS.get(name, set()):
            assert key in printed, (command, key)
            assert key in returned, (command, key)
            printed.pop(key)
            returned.pop(key)
        if "notice" in returned:  # the scope hint: the command line's flag, the tool's argument
            assert "--in '*'" in printed["notice"]
            assert "project='*'" not in printed["notice"]
            assert "project='*'" in returned["notice"]
            printed["notice"] = printed["notice"].replace("--in '*'", "project='*'")
        assert _same(printed) == _same(returned), command


#: (command line, what it must say, tool spelling it must not): refusals and notes in the command's terms.
COMMAND_WORDING: list[tuple[list[str], str, str]] = [
    (["tag", "--add", "x"], "give either ids (e.g. m_12) or a filter (e.g. --where-tag old)", "['m_12']"),
    (["revert", "m_1", "9"], "`mcp-memory history m_1` lists its versions", "memory_history"),
    (["graph", "Nope"], "`mcp-memory graph --query '…'` searches names", "graph_query"),
    (["graph"], "give exactly one of NAME, --memory or --query", "memory_id"),
    (["pins", "--pin", "m_99"], "`mcp-memory search` finds ids", "memory_search"),
    (["store", "  "], "give the text to remember as the text argument", "`content`"),
    (["delete", "m_3"], "(`mcp-memory revert` brings one back)", "memory_revert"),
    (["forget", "m_3"], "Run again with --apply to erase them", "dry_run"),
    (["recent", "--in", "nowhere"], "Pass --in '*' for every project", "project='*'"),
]


@pytest.mark.parametrize(("command", "said", "not_said"), COMMAND_WORDING)
def test_the_command_line_words_hints_as_flags_and_commands(
    copies: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
    said: str,
    not_said: str,
) -> None:
    """A command's refusal or note names the command line's flags and commands, never a tool's."""
    cli, _ = copies
    monkeypatch.setenv("MCP_MEMORY_DB", str(cli))
    monkeypatch.setenv("MCP_MEMORY_PROJECT", "proj")
    monkeypatch.setenv("MCP_MEMORY_EMBEDDING_MODEL", "fake-model")
    monkeypatch.setattr("mcp_memory.cli.commands.open_app", lambda s: open_app(s, loader=fake_loader()))
    main(command)
    shown = " ".join("".join(capsys.readouterr()).split())
    assert said in shown
    assert not_said not in shown


#: (tool, arguments, what it must say, command-line spelling it must not): the same hints in tool terms.
TOOL_WORDING: list[tuple[str, dict[str, Any], str, str]] = [
    ("memory_batch_tag", {"add": ["x"]}, "give either ids (e.g. ids=['m_12']) or a filter (e.g. filter={'tags': ['old']})", "--where-tag"),
    ("memory_revert", {"id": "m_1", "version": 9}, "memory_history with id='m_1' lists its versions", "mcp-memory"),
    ("graph_query", {"name": "Nope"}, "graph_query with query='…' searches names", "mcp-memory"),
    ("memory_pin", {"id": "m_99"}, "memory_search finds ids", "mcp-memory"),
    ("memory_delete", {"ids": ["m_3"]}, "(memory_revert brings one back)", "mcp-memory"),
    ("memory_forget", {"ids": ["m_3"]}, "Run again with dry_run=false to erase them", "--apply"),
    ("memory_consolidate", {}, "", "--apply"),
    ("memory_recent", {"project": "nowhere"}, "Pass project='*' for every project", "--in"),
]  # fmt: skip


@pytest.mark.parametrize(("tool", "arguments", "said", "not_said"), TOOL_WORDING)
def test_the_tools_word_hints_as_arguments_and_tools(
    copies: tuple[Path, Path], tool: str, arguments: dict[str, Any], said: str, not_said: str
) -> None:
    """A tool's refusal or notice names tool arguments and tools, never the command line's flags."""
    _, path = copies

    async def call() -> str:
        settings = make_settings(path.parent.parent, db_path=path)
        async with Client(build_server(settings, loader=fake_loader()), mode="legacy") as client:
            result = await client.call_tool(tool, arguments)
            text = " ".join(getattr(c, "text", "") for c in result.content)
            return f"{text} {json.dumps(result.structured_content or {})}"

    shown = anyio.run(call)
    assert said in shown
    assert not_said not in shown


def test_a_search_notice_names_the_flag_or_the_argument() -> None:
    """The weaker-matches hint of an empty search: `min_relevance=0` to a tool, `--min-relevance 0`
    on the command line."""
    from mcp_memory.cli.spelling import CommandLineSpelling
    from mcp_memory.errors import TOOL_SPELLING, Argument, Message

    notice = Message.of("pass ", Argument("min_relevance", 0), " to see them")
    assert notice.hints == (Argument("min_relevance", 0),)
    assert notice.spelled(TOOL_SPELLING) == "pass min_relevance=0 to see them"
    assert notice.spelled(CommandLineSpelling("search")) == "pass --min-relevance 0 to see them"


def test_an_unknown_tool_name_is_listed_among_tool_names(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`MCP_MEMORY_TOOLS=memory_store,bogus mcp-memory tools` lists the valid tool names as they are:
    a setting's values are not hints, so no command is put in their place."""
    monkeypatch.setenv("MCP_MEMORY_TOOLS", "memory_store,bogus")
    assert main(["tools"]) == 1
    err = capsys.readouterr().err
    assert "['bogus']" in err
    assert "memory_get," in err
    assert "mcp-memory get" not in err
