"""File access through tools stays inside the folders the user chose (the client's roots or the
server's working directory, the data directory, the database's folder): no hidden names, no `..`, no
symlink out, no overwriting anything but our own exports, capped folder walks. The command line, typed
by the user, may use any path."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client

from mcp_memory.cli import main
from mcp_memory.config import Settings
from mcp_memory.mcp.server import build_server
from mcp_memory.services.transfer.access import FileAccess, is_our_export
from tests.conftest import db_digest, fake_loader, make_settings, wait_for_model

pytestmark = pytest.mark.anyio


@pytest.fixture
def layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A home with a .ssh folder, a project folder (the server's cwd) holding a link out and a link
    in, a data folder, and an outside folder with a file that must never change."""
    home, work, outside = tmp_path / "home", tmp_path / "work", tmp_path / "outside"
    for folder in (home / ".ssh", work / "notes", work / "sub", outside):
        folder.mkdir(parents=True)
    (home / ".ssh" / "authorized_keys").write_text("ssh-ed25519 AAAAoriginal user@host\n")
    (outside / "victim.txt").write_text("precious\n")
    (work / "README.md").write_text("# my project\n")
    (work / "link_out").symlink_to(outside, target_is_directory=True)
    (work / "victim_link.jsonl").symlink_to(outside / "victim.txt")
    (work / "link_in").symlink_to(work / "sub", target_is_directory=True)
    monkeypatch.setenv("HOME", str(home))
    return {"home": home, "work": work, "outside": outside, "data": tmp_path / "data"}


def _settings(layout: dict[str, Path]) -> Settings:
    return make_settings(layout["work"].parent, cwd=layout["work"], data_dir=layout["data"], db_path=None)


@pytest.fixture
async def client(layout: dict[str, Path]) -> AsyncIterator[Client]:
    server = build_server(_settings(layout), loader=fake_loader())
    async with Client(server, mode="legacy") as connected:
        await wait_for_model(connected)
        await connected.call_tool("memory_store", {"content": "ssh-ed25519 AAAAstolen attacker@evil"})
        yield connected


def _outside_state(layout: dict[str, Path]) -> tuple[Any, ...]:
    return (
        sorted(p.name for p in layout["outside"].iterdir()),
        (layout["outside"] / "victim.txt").read_text(),
        sorted(p.name for p in (layout["home"] / ".ssh").iterdir()),
        (layout["home"] / ".ssh" / "authorized_keys").read_text(),
        (layout["work"] / "README.md").read_text(),
    )


def _text(result: Any) -> str:
    return " ".join(getattr(block, "text", "") for block in result.content)


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ({"path": "~/.ssh/authorized_keys"}, "hidden name '.ssh'"),
        ({"path": "~/.ssh/authorized_keys", "overwrite": True}, "hidden name '.ssh'"),
        ({"path": "~/notes.jsonl"}, "outside the folders"),
        ({"path": ".hidden/export.jsonl"}, "hidden name '.hidden'"),
        ({"path": "{work}/.git/hooks/pre-commit", "overwrite": True}, "hidden name '.git'"),
        ({"path": "{work}/README.md", "overwrite": True}, "not an mcp-memory export"),
        ({"path": "{work}/link_out/victim.txt", "overwrite": True}, "outside the folders"),
        ({"path": "{work}/link_out/new.jsonl"}, "outside the folders"),
        ({"path": "{work}/victim_link.jsonl", "overwrite": True}, "outside the folders"),
        ({"path": "../outside/new.jsonl"}, "contains '..'"),
        ({"path": "/etc/cron.d/evil"}, "outside the folders"),
        ({"path": "bad\x00name.jsonl"}, "NUL"),
        ({"path": "x" * 5000}, "at most 4,096"),
        ({"path": "{work}/missing/folder/out.jsonl"}, "does not exist"),
    ],
)
async def test_unsafe_exports_are_refused_and_write_nothing(
    client: Client, layout: dict[str, Path], args: dict[str, Any], reason: str
) -> None:
    """Each unsafe export is an isError naming the reason and the allowed folders; no file is written
    or changed anywhere."""
    args = {k: v.format(work=layout["work"]) if isinstance(v, str) else v for k, v in args.items()}
    before = _outside_state(layout)
    listing = sorted(str(p) for p in layout["work"].rglob("*"))
    result = await client.call_tool("memory_export", args)
    assert result.is_error, _text(result)
    assert reason in _text(result)
    assert _outside_state(layout) == before
    assert sorted(str(p) for p in layout["work"].rglob("*")) == listing


async def test_a_refusal_names_the_allowed_folders_and_the_cli(
    client: Client, layout: dict[str, Path]
) -> None:
    """The refusal says where tools may write and how to use the command line instead."""
    text = _text(await client.call_tool("memory_export", {"path": "/etc/x.jsonl"}))
    assert str(layout["work"]) in text
    assert str(layout["data"]) in text
    assert "mcp-memory export PATH" in text


async def test_a_bare_name_lands_in_the_exports_folder_and_only_exports_are_replaced(
    client: Client, layout: dict[str, Path]
) -> None:
    """`path=name` writes `<data>/exports/name`; overwrite replaces our own export, never another file."""
    result = await client.call_tool("memory_export", {"path": "backup.jsonl"})
    assert not result.is_error, _text(result)
    written = layout["data"] / "exports" / "backup.jsonl"
    assert result.structured_content["path"] == str(written)  # type: ignore[index]
    assert is_our_export(written)
    again = await client.call_tool("memory_export", {"path": "backup.jsonl", "overwrite": True})
    assert not again.is_error, _text(again)
    inside = await client.call_tool(
        "memory_export", {"path": f"{layout['work']}/sub/out.md", "format": "markdown"}
    )
    assert not inside.is_error, _text(inside)
    assert is_our_export(layout["work"] / "sub" / "out.md")


async def test_markdown_export_quotes_stored_lines(client: Client, layout: dict[str, Path]) -> None:
    """A stored `ssh-ed25519 ...` line never stands as a line of its own in a markdown export."""
    result = await client.call_tool("memory_export", {"path": "notes.md", "format": "markdown"})
    assert not result.is_error, _text(result)
    lines = (layout["data"] / "exports" / "notes.md").read_text().splitlines()
    assert "> ssh-ed25519 AAAAstolen attacker@evil" in lines
    assert not any(line.startswith("ssh-") for line in lines)


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ({"path": "/", "format": "markdown"}, "outside the folders"),
        ({"path": "~/.ssh/authorized_keys", "format": "plain-jsonl"}, "hidden name '.ssh'"),
        ({"path": "{work}/link_out/victim.txt", "format": "plain-jsonl"}, "outside the folders"),
        ({"path": "{work}/link_out", "format": "markdown"}, "outside the folders"),
        ({"path": "../outside/victim.txt", "format": "plain-jsonl"}, "contains '..'"),
        ({"path": "/etc/passwd", "format": "plain-jsonl"}, "outside the folders"),
        ({"path": "{work}/notes", "format": "jsonl"}, "not a regular file"),
        ({"path": "bad\x00name", "format": "jsonl"}, "NUL"),
    ],
)
async def test_unsafe_imports_are_refused_and_read_nothing(
    client: Client, layout: dict[str, Path], args: dict[str, Any], reason: str
) -> None:
    """Each unsafe import is an isError naming the reason; nothing is stored."""
    args = {k: v.format(work=layout["work"]) if isinstance(v, str) else v for k, v in args.items()}
    database = _settings(layout).database
    before = db_digest(database)
    result = await client.call_tool("memory_import", args)
    assert result.is_error, _text(result)
    assert reason in _text(result)
    assert db_digest(database) == before


async def test_a_markdown_import_skips_hidden_files_and_links_and_says_so(
    client: Client, layout: dict[str, Path]
) -> None:
    """Hidden notes are passed over; a folder link is not followed and is reported."""
    notes = layout["work"] / "notes"
    (notes / "deploy.md").write_text("Deploys go out on Tuesdays.\n")
    (notes / ".secret.md").write_text("the hidden note\n")
    (notes / "outside").symlink_to(layout["outside"], target_is_directory=True)
    (layout["outside"] / "leak.md").write_text("outside note\n")
    result = await client.call_tool("memory_import", {"path": "notes", "format": "markdown"})
    assert not result.is_error, _text(result)
    assert result.structured_content["imported"] == 1  # type: ignore[index]
    assert any("symbolic link" in p for p in result.structured_content["problems"])  # type: ignore[index]


def test_folder_walks_stop_at_the_caps(tmp_path: Path) -> None:
    """A walk returns at most max_files files and max_bytes bytes, and reports where it stopped."""
    for n in range(10):
        (tmp_path / f"n{n}.md").write_text("x" * 100)
    access = FileAccess(
        (tmp_path,), tmp_path / "exports", tmp_path, max_files=3, max_bytes=10_000, max_seconds=60
    )
    walk = access.walk(tmp_path, [".md"])
    assert len(walk.files) == 3
    assert "over 3 files" in walk.skipped[-1]
    access = FileAccess(
        (tmp_path,), tmp_path / "exports", tmp_path, max_files=100, max_bytes=450, max_seconds=60
    )
    walk = access.walk(tmp_path, [".md"])
    assert len(walk.files) == 4
    assert "bytes in all" in walk.skipped[-1]


def test_the_home_folder_or_the_filesystem_root_is_never_a_workspace(tmp_path: Path) -> None:
    """A server started in `/` or in `~` does not open the whole disk or home to its tools."""
    for cwd in (Path("/"), Path.home()):
        access = FileAccess.within([], data_dir=tmp_path / "data", database=None, cwd=cwd)
        assert access.folders == ((tmp_path / "data").resolve(),)


async def test_tool_annotations_tell_the_truth(client: Client) -> None:
    """Export and import are not read-only; export (which can overwrite) and forget are destructive."""
    tools = {t.name: t.annotations for t in (await client.list_tools()).tools}
    export, imports, forget = tools["memory_export"], tools["memory_import"], tools["memory_forget"]
    assert export is not None
    assert imports is not None
    assert forget is not None
    assert (export.read_only_hint, export.destructive_hint) == (False, True)
    assert imports.read_only_hint is False
    assert forget.destructive_hint is True


def test_the_command_line_writes_where_the_user_says_but_never_over_a_file_unasked(
    layout: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`mcp-memory export` writes outside the project (the user typed it) and refuses to replace a
    file without --overwrite."""
    monkeypatch.setenv("MCP_MEMORY_DATA_DIR", str(layout["data"]))
    monkeypatch.setenv("MCP_MEMORY_EMBEDDING_MODEL", "fake-model")
    monkeypatch.chdir(layout["work"])
    target = layout["outside"] / "mine.jsonl"
    assert main(["export", str(target), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["path"] == str(target)
    assert main(["export", str(layout["outside"] / "victim.txt")]) == 1
    assert "already exists" in capsys.readouterr().err
    assert (layout["outside"] / "victim.txt").read_text() == "precious\n"


# --- fuzzing the path arguments ---------------------------------------------------------------------

_PARTS = st.sampled_from(
    [".ssh", ".config", ".bashrc", ".git", "..", ".", "~", "link_out", "link_in", "victim_link.jsonl",
     "sub", "notes", "exports", "x.jsonl", "README.md", "authorized_keys", "etc", "\x00", "a" * 300, ""]
)  # fmt: skip
_PATHS = st.one_of(
    st.lists(_PARTS, min_size=1, max_size=6).map("/".join),
    st.lists(_PARTS, min_size=1, max_size=6).map(lambda parts: "/" + "/".join(parts)),
    st.lists(_PARTS, min_size=1, max_size=4).map(lambda parts: "~/" + "/".join(parts)),
    st.just("x" * 5000),
    st.text(max_size=30),
)


@pytest.fixture
def fuzz_portal(layout: dict[str, Path]) -> Iterator[tuple[BlockingPortal, Client]]:
    server = build_server(_settings(layout), loader=fake_loader())
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(Client(server, mode="legacy")) as client,
    ):
        portal.call(wait_for_model, client)
        portal.call(client.call_tool, "memory_store", {"content": "a note to export"})
        yield portal, client


def test_fuzzed_paths_never_leave_the_allowed_folders(
    fuzz_portal: tuple[BlockingPortal, Client], layout: dict[str, Path]
) -> None:
    """Paths built from hidden names, `..`, links, NUL and very long names: every export and import
    either is refused with a reason, or touches only non-hidden paths inside the allowed folders;
    nothing outside changes."""
    portal, client = fuzz_portal
    allowed = [layout["work"].resolve(), layout["data"].resolve()]
    before = _outside_state(layout)

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=bool(os.environ.get("CI")),
    )
    @given(
        path=_PATHS, overwrite=st.booleans(), export=st.booleans(), fmt=st.sampled_from(["jsonl", "markdown"])
    )
    def check(path: str, overwrite: bool, export: bool, fmt: str) -> None:
        if export:
            args = {"path": path, "overwrite": overwrite, "format": fmt}
            result = portal.call(client.call_tool, "memory_export", args)
        else:
            args = {"path": path, "format": "markdown" if fmt == "markdown" else "plain-jsonl"}
            result = portal.call(client.call_tool, "memory_import", args)
        text, shown = _text(result), repr(args)[:300]
        tool = "memory_export" if export else "memory_import"
        if result.is_error:  # a refusal with its reason, not the SDK's bare message for a crash
            assert text.strip() != f"Error executing tool {tool}", f"crash on {shown}"
            assert len(text) > len(f"Error executing tool {tool}") + 10, f"no reason for {shown}"
        elif export:
            written = Path(result.structured_content["path"])  # type: ignore[index]
            home = next(f for f in allowed if written == f or written.is_relative_to(f))
            assert not any(p.startswith(".") for p in written.relative_to(home).parts), written
        assert _outside_state(layout) == before, f"{shown} changed something outside"

    check()


async def test_a_path_that_names_a_folder_is_refused(client: Client, layout: dict[str, Path]) -> None:
    """`path='.'` (the exports folder itself) or an existing folder is refused; nothing is written."""
    for path in (".", str(layout["work"] / "sub"), str(layout["work"] / "link_in")):
        result = await client.call_tool("memory_export", {"path": path})
        assert result.is_error, path
        assert "is a folder" in _text(result) or "outside" in _text(result), _text(result)
    assert not (layout["data"] / "exports").is_file()


async def test_a_link_with_a_hidden_name_is_refused_even_when_it_leads_inside(
    client: Client, layout: dict[str, Path]
) -> None:
    """A path written through a hidden name is refused even if the link behind it stays inside."""
    (layout["work"] / ".alias").symlink_to(layout["work"] / "sub", target_is_directory=True)
    result = await client.call_tool("memory_export", {"path": f"{layout['work']}/.alias/out.jsonl"})
    assert result.is_error
    assert "hidden name '.alias'" in _text(result)
    assert not (layout["work"] / "sub" / "out.jsonl").exists()
    ok = await client.call_tool("memory_export", {"path": str(layout["data"] / "exports" / "fine.jsonl")})
    assert not ok.is_error, _text(ok)
