"""The hooks ask a running server of their user for a prompt's hybrid search over a local socket:
found by meaning with a server (the real model, a real server process), by words without one; the
socket's answers, its silence while the model is away, its refusals, and that nobody else connects."""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from mcp_memory.config import DEFAULT_MODEL, Settings
from mcp_memory.local_socket import ask, live_sockets, socket_folder, socket_path
from mcp_memory.mcp.hook_socket import answer, offer_hook_socket
from mcp_memory.services.app import App, open_app
from mcp_memory.services.memories.store import recent_memories, store_memory
from tests.conftest import fake_loader, make_settings

_SEARCH = {
    "op": "search",
    "query": "gateway port staging",
    "project": "proj",
    "limit": 3,
    "min_relevance": 0.3,
}


async def _wait_for(path: Path) -> None:
    with anyio.fail_after(30):
        while not path.exists():  # noqa: ASYNC110 - a file appearing has no event to wait on
            await anyio.sleep(0.01)


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[App, Path]]:
    """A loaded App (the fake model) with three memories, offering its socket; and the socket."""
    settings = make_settings(tmp_path)
    async with open_app(settings, loader=fake_loader()) as app, anyio.create_task_group() as tasks:
        await app.load_model()
        await store_memory(app, "The API gateway listens on port 8443 in staging", kind="fact")
        await store_memory(app, "Use pnpm, not npm, in the web workspace", kind="decision")
        await store_memory(app, "The billing service retries webhooks", kind="fact", project="other")
        tasks.start_soon(offer_hook_socket, app)
        path = socket_path(settings, os.getpid())
        assert path is not None
        await _wait_for(path)
        yield app, path
        tasks.cancel_scope.cancel()


def _ask(settings: Settings, request: Any) -> dict[str, Any] | None:
    return ask(settings, request, seconds=10)  # generous: the machine may be busy


@pytest.mark.anyio
async def test_a_running_server_answers_a_hooks_search_on_a_socket_only_its_user_reaches(
    served: tuple[App, Path],
) -> None:
    """The answer is the hybrid search's (its relevance and floor, this project and global only); the
    socket is 0600 in a 0700 folder; it is gone when the server stops."""
    app, path = served
    reply = await anyio.to_thread.run_sync(_ask, app.settings, _SEARCH)
    assert reply is not None
    assert reply["status"] == "ok"
    assert reply["mode"] == "hybrid"
    assert [h["content"] for h in reply["hits"]] == ["The API gateway listens on port 8443 in staging"]
    assert all(h["relevance"] >= 0.3 for h in reply["hits"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    elsewhere = await anyio.to_thread.run_sync(_ask, app.settings, {**_SEARCH, "query": "billing webhooks"})
    assert elsewhere is not None
    assert elsewhere["hits"] == []  # another project's memory is not this session's


@pytest.mark.anyio
async def test_the_socket_is_removed_when_the_server_stops(tmp_path: Path) -> None:
    """Cancelled (the client closed the session): no socket is left behind for a hook to try."""
    settings = make_settings(tmp_path)
    async with open_app(settings, loader=fake_loader()) as app:
        path = socket_path(settings, os.getpid())
        assert path is not None
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(offer_hook_socket, app)
            await _wait_for(path)
            tasks.cancel_scope.cancel()
        assert not path.exists()
        assert live_sockets(settings) == []


@pytest.mark.anyio
async def test_bad_requests_get_an_error_and_change_nothing(served: tuple[App, Path]) -> None:
    """Not JSON, another operation, a query too long or empty, a limit out of range: an error each,
    no memory read or written."""
    app, _ = served
    before = [m.access_count for m in await _all(app)]
    for raw in (
        b"not json\n",
        b'{"op": "delete", "query": "x"}\n',
        json.dumps({**_SEARCH, "query": "x" * 30_000}).encode(),
        json.dumps({**_SEARCH, "query": "  "}).encode(),
        json.dumps({**_SEARCH, "limit": 0}).encode(),
        json.dumps({**_SEARCH, "limit": True}).encode(),
        json.dumps({**_SEARCH, "min_relevance": "high"}).encode(),
        json.dumps({**_SEARCH, "project": 3}).encode(),
    ):
        reply = await answer(app, raw)
        assert reply["status"] == "error", raw
        assert reply["error"]
    assert [m.access_count for m in await _all(app)] == before


async def _all(app: App) -> list[Any]:
    return list(await recent_memories(app, project="*", limit=50))


@pytest.mark.anyio
async def test_a_server_whose_model_is_away_says_so_and_asking_wakes_it(served: tuple[App, Path]) -> None:
    """Unloaded after a quiet period: the answer is 'cold' at once (the hook does without) and the
    model starts loading again, so a later prompt finds it ready."""
    app, _ = served
    app.embeddings.last_used -= 3600
    assert await app.embeddings.unload_if_idle(60)
    reply = await answer(app, json.dumps(_SEARCH).encode())
    assert reply["status"] == "cold"
    assert "unloaded" in reply["reason"]
    assert not app.semantic_ready()
    # Through the socket: no answer the hook could use, and the model starts loading.
    assert await anyio.to_thread.run_sync(_ask, app.settings, _SEARCH) is None
    with anyio.fail_after(30):
        while not app.semantic_ready():  # noqa: ASYNC110 - the load is the server's own task
            await anyio.sleep(0.01)
    later = await anyio.to_thread.run_sync(_ask, app.settings, _SEARCH)
    assert later is not None
    assert later["status"] == "ok"


def test_no_server_no_answer_and_a_dead_servers_socket_is_cleared(tmp_path: Path) -> None:
    """Without a server the hook gets None at once; a socket left by a process that is gone is
    removed; another database's server is never asked."""
    settings = make_settings(tmp_path)
    assert ask(settings, _SEARCH) is None
    folder = socket_folder(settings)
    folder.mkdir(parents=True, mode=0o700)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    stale = socket_path(settings, int(dead.stdout))
    assert stale is not None
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(stale))
    listener.close()
    assert stale.exists()
    assert ask(settings, _SEARCH) is None
    assert not stale.exists()
    other = make_settings(tmp_path, db_path=tmp_path / "other.db")
    theirs = socket_path(other, os.getpid())
    assert theirs is not None
    assert theirs.name.split("-")[0] != stale.name.split("-")[0]
    assert live_sockets(settings) == []


_CONNECT = """
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
try:
    s.connect(sys.argv[1])
except PermissionError:
    print("denied"); raise SystemExit
try:  # the server may close on it before the request is even sent
    s.sendall(sys.argv[2].encode() + b"\\n")
    line = s.makefile().readline().strip()
except (BrokenPipeError, ConnectionResetError):
    line = ""
print("answer:" + line)
"""


#: A Python another user may run (the test's own lives under root's home); the connect needs only the
#: standard library.
_SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin:/bin")


@pytest.mark.skipif(
    not hasattr(os, "getuid") or os.getuid() != 0 or _SYSTEM_PYTHON is None,
    reason="needs root (to run a process as another uid) and a system python3",
)
@pytest.mark.anyio
async def test_another_user_can_neither_reach_the_socket_nor_be_answered(tmp_path: Path) -> None:
    """A process of another uid (nobody) is denied by the folder's and the socket's modes; with the
    modes opened up on purpose, the server still refuses it (its peer credentials)."""
    top = Path(tempfile.mkdtemp(prefix="mm-sock-"))  # a folder nobody can walk into, unlike tmp_path's
    try:
        os.chmod(top, 0o755)  # noqa: S103 - so that nobody reaches the folder below
        settings = make_settings(tmp_path, data_dir=top / "d", db_path=tmp_path / "memory.db")
        async with open_app(settings, loader=fake_loader()) as app, anyio.create_task_group() as tasks:
            await app.load_model()
            await store_memory(app, "The API gateway listens on port 8443 in staging")
            tasks.start_soon(offer_hook_socket, app)
            path = socket_path(settings, os.getpid())
            assert path is not None
            await _wait_for(path)
            os.chmod(settings.data_dir, 0o755)  # noqa: S103 - as above

            def as_nobody() -> str:
                run = subprocess.run(
                    [str(_SYSTEM_PYTHON), "-c", _CONNECT, str(path), json.dumps(_SEARCH)],
                    user=65534,
                    group=65534,
                    capture_output=True,
                    text=True,
                    timeout=60,
                    check=False,
                )
                return run.stdout.strip() or run.stderr.strip()

            assert await anyio.to_thread.run_sync(as_nobody) == "denied"
            os.chmod(path.parent, 0o777)  # noqa: S103 - opened on purpose: the server must still refuse
            os.chmod(path, 0o777)  # noqa: S103 - as above
            assert await anyio.to_thread.run_sync(as_nobody) == "answer:"  # closed without a word
            assert (
                await anyio.to_thread.run_sync(_ask, settings, _SEARCH) is None
            )  # an open folder: untrusted
            os.chmod(path.parent, 0o700)
            mine = await anyio.to_thread.run_sync(_ask, settings, _SEARCH)
            assert mine is not None
            assert mine["hits"]
            tasks.cancel_scope.cancel()
    finally:
        shutil.rmtree(top, ignore_errors=True)


# A real server process and real hook processes, with the real model.

_MEMORIES = (
    ("Use pnpm, not npm, in the web/ workspace", "decision"),
    ("The API gateway listens on port 8443 in staging", "fact"),
    ("Deploys to production happen on Tuesdays after the standup", "convention"),
    ("Postgres backups are kept for 30 days in S3", "fact"),
    ("Write commit messages in English", "preference"),
)
_NEEDS_MEANING = "which package manager should I use to add a dependency to the web app?"


def _stems(text: str) -> list[str]:
    """The keyword index's stems of `text`'s informative words (as search matches them)."""
    import sqlite3

    from mcp_memory.relevance import query_terms
    from mcp_memory.storage.keywords import TOKENIZER

    conn = sqlite3.connect(":memory:")
    conn.execute(f"CREATE VIRTUAL TABLE t USING fts5(x, tokenize = '{TOKENIZER}')")
    conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'row')")
    conn.execute("INSERT INTO t VALUES (?)", (" ".join(query_terms(text)),))
    return [str(r[0]) for r in conn.execute("SELECT term FROM v")]


def _prompt(session: str, cwd: Path, prompt: str) -> str:
    return json.dumps(
        {
            "session_id": session,
            "cwd": str(cwd),
            "hook_event_name": "UserPromptSubmit",
            "prompt": prompt,
        }
    )


def _hook(env: dict[str, str], stdin: str) -> str:
    run = subprocess.run(
        [sys.executable, "-m", "mcp_memory", "hook", "claude-code", "user-prompt-submit"],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    if not run.stdout.strip():
        return ""
    return str(json.loads(run.stdout)["hookSpecificOutput"]["additionalContext"])


@pytest.mark.e2e
def test_a_prompt_sharing_no_word_with_the_memory_it_needs_gets_it_while_a_server_runs(
    tmp_path: Path,
) -> None:
    """With `mcp-memory serve` running (the real model), the prompt hook finds "Use pnpm, not npm"
    for a question about package managers and nothing unrelated; a prompt about nothing stored gets
    nothing; without the server the same question finds nothing by its words."""
    settings = make_settings(tmp_path, embedding_model=DEFAULT_MODEL, project="web")

    async def seed() -> None:
        async with open_app(settings) as app:
            await app.load_model()
            for text, kind in _MEMORIES:
                await store_memory(app, text, kind=kind)

    anyio.run(seed)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MCP_MEMORY_")}
    env.update(
        MCP_MEMORY_DATA_DIR=str(settings.data_dir),
        MCP_MEMORY_DB=str(settings.database),
        MCP_MEMORY_PROJECT="web",
        MCP_MEMORY_LOG_LEVEL="ERROR",
        # The hook processes wait for the server as long as a busy machine needs (150 ms by default).
        MCP_MEMORY_HOOK_SERVER_WAIT_MS="30000",
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "mcp_memory", "serve"],
        stdin=subprocess.PIPE,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while (reply := ask(settings, {**_SEARCH, "project": "web"}, seconds=5)) is None:
            assert time.monotonic() < deadline, "the server never answered on its socket"
            assert server.poll() is None, "the server exited"
            time.sleep(0.2)
        assert reply["status"] == "ok"
        text = _hook(env, _prompt("s1", tmp_path, _NEEDS_MEANING))
        assert "Use pnpm, not npm" in text
        assert "relevance 0." in text
        assert "8443" not in text
        assert "Tuesdays" not in text
        assert _hook(env, _prompt("s1", tmp_path, "what's the weather like on Saturday?")) == ""
        # Not one word in common (stems included): found by meaning alone.
        dumps = "how long do we retain database dumps?"
        backups = "Postgres backups are kept for 30 days in S3"
        assert not set(_stems(dumps)) & set(_stems(backups))
        assert backups in _hook(env, _prompt("s1", tmp_path, dumps))
        assert _hook(env, _prompt("s1", tmp_path, dumps)) == ""  # shown once in this session
    finally:
        server.stdin.close()  # type: ignore[union-attr]
        server.wait(timeout=60)
    assert live_sockets(settings) == []
    assert _hook(env, _prompt("s2", tmp_path, _NEEDS_MEANING)) == ""  # words alone: "web" is not enough


def test_a_match_enters_unasked_only_near_in_meaning_or_clearly_relevant() -> None:
    """Near the prompt in meaning (similarity >= 0.3) or clearly relevant (>= 0.5), and above the
    floor: a weak match carried by one shared word alone is left for a search the agent asks for."""
    from mcp_memory.services.search.prompt_recall import worth_unasked

    assert worth_unasked(0.38, 0.32, 0.3)  # near
    assert worth_unasked(0.83, 0.2, 0.3)  # clear
    assert not worth_unasked(0.31, 0.17, 0.3)  # one shared word
    assert not worth_unasked(0.31, None, 0.3)  # no vector
    assert not worth_unasked(0.2, 0.6, 0.3)  # under the floor


def test_the_hook_takes_only_well_formed_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The hook keeps the served hits that are whole (an int id, a text, a number), at most three;
    no answer means None (fall back to the words)."""
    from mcp_memory.hooks import recall

    hits = [
        {"id": 1, "content": "near", "relevance": 0.38},
        {"id": "6", "content": "bad id", "relevance": 0.9},
        {"id": 3, "content": None, "relevance": 0.9},
        "junk",
        {"id": 4, "content": "b", "relevance": 0.5},
        {"id": 5, "content": "c", "relevance": 0.4},
        {"id": 7, "content": "d", "relevance": 0.35},
    ]
    monkeypatch.setattr("mcp_memory.local_socket.ask", lambda *a, **k: {"status": "ok", "hits": hits})
    found = recall.served_prompt(make_settings(tmp_path), "s", "claude-code", "proj", "a prompt", floor=0.3)
    assert found == [(1, "near", 0.38), (4, "b", 0.5), (5, "c", 0.4)]
    monkeypatch.setattr("mcp_memory.local_socket.ask", lambda *a, **k: None)
    assert (
        recall.served_prompt(make_settings(tmp_path), "s", "claude-code", "proj", "a prompt", floor=0.3)
        is None
    )


@pytest.mark.anyio
async def test_the_server_keeps_the_sessions_record_of_what_it_showed(engine_app: App) -> None:
    """prompt_recall, on either engine: the session's row is made on first sight, what it shows is
    recorded there, the same memory never comes twice, another session sees it again, another
    project's memory never."""
    from mcp_memory.services.search.prompt_recall import prompt_recall
    from mcp_memory.storage import hook_state

    app = engine_app
    port = await store_memory(app, "The API gateway listens on port 8443 in staging", kind="fact")
    await store_memory(app, "The billing gateway listens on port 9443 in staging", project="other")
    ask = {
        "client": "claude-code",
        "project": app.default_project,
        "prompt": "gateway port staging",
        "floor": 0.3,
    }
    first = await prompt_recall(app, session_id="p1", **ask)
    assert [i for i, _, _ in first] == [int(port.id.removeprefix("m_"))]
    assert await hook_state.read_injected(app.db, "p1") == [int(port.id.removeprefix("m_"))]
    assert await prompt_recall(app, session_id="p1", **ask) == []
    assert [i for i, _, _ in await prompt_recall(app, session_id="p2", **ask)] == [i for i, _, _ in first]


def test_a_hook_trusts_only_its_own_sockets_in_a_folder_only_it_may_enter(tmp_path: Path) -> None:
    """A socket folder others may enter, a socket file another user owns, or a planted name with an
    absurd pid: none is asked and none breaks the hook."""
    settings = make_settings(tmp_path)
    folder = socket_folder(settings)
    folder.mkdir(parents=True, mode=0o700)
    mine = socket_path(settings, os.getpid())
    assert mine is not None
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(mine))
    listener.listen(1)
    try:
        assert live_sockets(settings) == [mine]
        os.chmod(folder, 0o755)  # noqa: S103 - opened on purpose: then nothing in it is trusted
        assert live_sockets(settings) == []
        os.chmod(folder, 0o700)
        if hasattr(os, "getuid") and os.getuid() == 0:
            os.chown(mine, 65534, 65534)  # another user's socket
            assert live_sockets(settings) == []
            os.chown(mine, 0, 0)
        absurd = folder / f"{mine.name.split('-')[0]}-99999999999999999999.sock"
        absurd.write_text("")
        assert live_sockets(settings) == [mine]
    finally:
        listener.close()


def test_a_reply_too_long_for_the_hook_is_cut_to_whole_hits() -> None:
    """The server never sends a line longer than the hook reads: the last hits are left out."""
    from mcp_memory.local_socket import MAX_LINE
    from mcp_memory.mcp.hook_socket import _line

    hits = [{"id": n, "content": "x" * 100_000, "relevance": 0.5} for n in range(6)]
    line = _line({"status": "ok", "hits": hits})
    assert len(line) <= MAX_LINE
    assert line.endswith(b"\n")
    assert [h["id"] for h in json.loads(line)["hits"]] == [0, 1]
