"""Client hooks: recorded Claude Code and Cursor payloads through `mcp-memory hook`, what they print
and what they store; a simulated session; the plugin files; installing into client settings."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

from mcp_memory.config import Settings
from mcp_memory.hooks import install
from mcp_memory.hooks.fixes import is_fix as similar
from mcp_memory.hooks.run import handle
from mcp_memory.services.app import open_app
from mcp_memory.services.episodes.record import list_episodes
from mcp_memory.services.memories.pins import set_pinned
from mcp_memory.services.memories.store import recent_memories, store_memory
from tests.conftest import FAKE_DIM, fake_loader, make_settings, store_rows
from tests.postgres import team_database

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "hooks"


def _payload(client: str, name: str, **values: str) -> str:
    """A recorded payload with its placeholders filled in (JSON-escaped)."""
    shape = json.loads((FIXTURES / f"{client}.json").read_text())[name]

    def fill(node: Any) -> Any:
        if isinstance(node, str):
            for key, value in values.items():
                node = node.replace("{" + key + "}", value)
            return node
        if isinstance(node, list):
            return [fill(n) for n in node]
        if isinstance(node, dict):
            return {k: fill(v) for k, v in node.items()}
        return node

    return json.dumps(fill(shape))


@pytest.fixture(params=["sqlite", "postgres"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Settings, Path]:
    """A database with a few memories in project `shop` (a git checkout), one pinned, one in another
    project, and the checkout's folder; once on each engine (on Postgres, a team database that the
    hooks and the services reach as the member alice)."""
    checkout = tmp_path / "shop"
    (checkout / ".git").mkdir(parents=True)
    settings = make_settings(tmp_path, project=None, cwd=checkout)
    if request.param == "postgres":
        urls = team_database(request.getfixturevalue("postgres"), FAKE_DIM, ("alice",))
        settings = settings.replace(database_url=urls["alice"])

    async def seed() -> None:
        async with open_app(settings, loader=fake_loader()) as app:
            pinned = await store_memory(app, "Never push to main directly", kind="convention", project="shop")
            await set_pinned(app, pinned.id, True, note="team rule")
            await store_memory(
                app, "Use pnpm, not npm, for the frontend packages", kind="decision", project="shop"
            )
            await store_memory(
                app, "The API gateway listens on port 8443 in staging", kind="fact", project="shop"
            )
            await store_memory(app, "Write commit messages in English", kind="preference", project="global")
            await store_memory(
                app, "The billing service uses Stripe webhooks", kind="decision", project="other"
            )

    anyio.run(seed)
    return settings, checkout


def _hook_env(settings: Settings) -> dict[str, str]:
    """The environment of a hook process on the test's database (the fake model's name)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MCP_MEMORY_")}
    env.update(MCP_MEMORY_DB=str(settings.database), MCP_MEMORY_EMBEDDING_MODEL="fake-model")
    if settings.database_url:
        env["MCP_MEMORY_DATABASE_URL"] = settings.database_url
    return env


def _run(settings: Settings, client: str, event: str, name: str | None = None, **values: str) -> str:
    return handle(client, event, _payload(client, name or event, **values), settings)


def _context(out: str, event: str) -> str:
    data = json.loads(out)
    assert data["hookSpecificOutput"]["hookEventName"] == event
    text = data["hookSpecificOutput"]["additionalContext"]
    assert isinstance(text, str)
    return text


def _memories(settings: Settings) -> list[Any]:
    async def read() -> list[Any]:
        async with open_app(settings, loader=fake_loader()) as app:
            return await recent_memories(app, project="*", limit=100)

    return anyio.run(read)


def test_session_start_lists_pins_then_what_is_worth_knowing_within_the_budget(
    world: tuple[Settings, Path],
) -> None:
    settings, checkout = world
    text = _context(
        _run(settings, "claude-code", "session-start", session="s1", cwd=str(checkout)), "SessionStart"
    )
    assert (
        text.index("Pinned:")
        < text.index("Never push to main directly")
        < text.index("Decisions, conventions")
    )
    assert "team rule" in text
    assert "Use pnpm, not npm" in text
    assert "(m_2, decision)" in text
    assert "Write commit messages in English" in text  # global memories belong to every project
    assert "Stripe" not in text  # another project's
    assert "8443" not in text  # a plain fact is not among decisions, conventions, preferences, lessons

    async def more() -> None:
        async with open_app(settings, loader=fake_loader()) as app:
            for n in range(12):
                await store_memory(
                    app,
                    f"Decision {n}: the service number {n} keeps its queue in Redis stream {n}",
                    kind="decision",
                    project="shop",
                )

    anyio.run(more)
    full = _context(
        _run(settings, "claude-code", "session-start", session="s2", cwd=str(checkout)), "SessionStart"
    )
    small = settings.replace(hook_budget_tokens=100)
    short = _context(
        _run(small, "claude-code", "session-start", session="s3", cwd=str(checkout)), "SessionStart"
    )
    assert len(short) <= 100 * 4 < len(full)
    assert "Never push to main directly" in short  # pins come first


def test_a_prompt_gets_only_relevant_memories_and_never_the_same_twice(world: tuple[Settings, Path]) -> None:
    settings, checkout = world
    asked = {"session": "s1", "cwd": str(checkout)}
    out = _run(
        settings,
        "claude-code",
        "user-prompt-submit",
        prompt="which package manager for the frontend, pnpm or npm?",
        **asked,
    )
    text = _context(out, "UserPromptSubmit")
    assert "Use pnpm, not npm" in text
    assert "relevance 0." in text
    assert "8443" not in text
    again = _run(
        settings,
        "claude-code",
        "user-prompt-submit",
        prompt="pnpm or npm for the frontend packages?",
        **asked,
    )
    assert again == ""  # that memory is already in this session's context
    for prompt in ("please refactor the login form", "thanks, looks good", "what is the weather like"):
        assert _run(settings, "claude-code", "user-prompt-submit", prompt=prompt, **asked) == ""
    private = "<private>gateway port 8443 staging API</private> tidy the css"
    assert _run(settings, "claude-code", "user-prompt-submit", prompt=private, **asked) == ""


def test_a_simulated_session_turns_a_failure_and_its_fix_into_a_lesson_the_next_session_sees(
    world: tuple[Settings, Path],
) -> None:
    settings, checkout = world
    s = {"session": "work-1", "cwd": str(checkout)}
    _run(settings, "claude-code", "session-start", **s)
    _run(settings, "claude-code", "user-prompt-submit", prompt="install the frontend dependencies", **s)
    failing = "npm ERR! code ERESOLVE\nnpm ERR! ERESOLVE unable to resolve dependency tree"
    assert (
        _run(settings, "claude-code", "post-tool-use-failure", command="npm install", output=failing, **s)
        == ""
    )
    _run(settings, "claude-code", "post-tool-use", command="ls -la", output="total 0", **s)
    assert (
        _run(settings, "claude-code", "post-tool-use", command="pnpm install", output="Done in 2.1s", **s)
        == ""
    )
    _run(settings, "claude-code", "stop", output="Installed the dependencies with pnpm.", **s)
    lessons = [m for m in _memories(settings) if m.kind == "lesson"]
    hook_lessons = [m for m in lessons if "hook" in m.tags]
    assert len(hook_lessons) == 1
    assert hook_lessons[0].content.startswith("`npm install` failed with: npm ERR! code ERESOLVE")
    assert "`pnpm install` worked instead." in hook_lessons[0].content
    assert hook_lessons[0].project == "shop"

    async def episodes() -> list[Any]:
        async with open_app(settings, loader=fake_loader()) as app:
            return await list_episodes(app, project="shop")

    (episode,) = anyio.run(episodes)
    assert episode.outcome == "success"
    assert [step.action for step in episode.steps] == ["npm install", "pnpm install"]
    assert "ERESOLVE" in (episode.steps[0].result or "")
    # The next session starts with the lesson in its context.
    text = _context(
        _run(settings, "claude-code", "session-start", session="work-2", cwd=str(checkout)), "SessionStart"
    )
    assert "`npm install` failed" in text
    # The same pair in a later session is not stored again.
    s3 = {"session": "work-3", "cwd": str(checkout)}
    _run(
        settings,
        "claude-code",
        "post-tool-use-failure",
        command="npm install",
        output="npm ERR! other text",
        **s3,
    )
    _run(settings, "claude-code", "post-tool-use", command="pnpm install", output="ok", **s3)
    (again,) = [m for m in _memories(settings) if m.kind == "lesson" and "hook" in m.tags]
    # It counts the recurrence instead, with a little more importance (as a new version).
    assert again.id == hook_lessons[0].id
    assert again.metadata["recurrences"] == 1
    assert again.importance == pytest.approx(hook_lessons[0].importance + 0.05)
    assert again.version == hook_lessons[0].version + 1


def test_a_fixed_failure_that_recurs_ranks_its_lesson_ahead_of_new_ones(world: tuple[Settings, Path]) -> None:
    """Two hook lessons from one session, then one of the failures comes back in another session and
    is fixed the same way: its lesson now leads a decision of the same age, the other lesson (never
    used, never recurring) stays after it."""
    settings, checkout = world

    def fix(session: str, failing: str, working: str) -> None:
        s = {"session": session, "cwd": str(checkout)}
        _run(settings, "claude-code", "post-tool-use-failure", command=failing, output="Exit code 1", **s)
        _run(settings, "claude-code", "post-tool-use", command=working, output="ok", **s)

    async def decide() -> None:
        async with open_app(settings, loader=fake_loader()) as app:
            await store_memory(app, "Orders are sharded by customer id", kind="decision", project="shop")

    anyio.run(decide)
    fix("r1", "pytest tests/test_orders.py", "uv run pytest tests/test_orders.py")
    fix("r1", "npm install zod", "pnpm add zod")
    fix("r2", "pytest tests/test_orders.py", "uv run pytest tests/test_orders.py")
    text = _context(
        _run(settings, "claude-code", "session-start", session="r3", cwd=str(checkout)), "SessionStart"
    )
    assert text.index("`pytest tests/test_orders.py` failed") < text.index("Orders are sharded")
    assert text.index("Orders are sharded") < text.index("`npm install zod` failed")


def test_an_unfixed_failure_is_kept_in_its_episode_never_as_a_lesson_ahead_of_decisions(
    world: tuple[Settings, Path],
) -> None:
    """A failure nothing fixed teaches nothing worth a `lesson` memory: its episode keeps it, and the
    next session block names it after the decisions, never among them."""
    settings, checkout = world
    s = {"session": "broken", "cwd": str(checkout)}
    _run(
        settings,
        "claude-code",
        "post-tool-use-failure",
        command="make deploy",
        output="make: *** [deploy] Error 2",
        **s,
    )
    _run(settings, "claude-code", "session-end", output="I could not deploy.", **s)
    assert [m for m in _memories(settings) if m.kind == "lesson"] == []
    text = _context(
        _run(settings, "claude-code", "session-start", session="next", cwd=str(checkout)), "SessionStart"
    )
    assert "make deploy" in text
    assert text.index("Use pnpm, not npm") < text.index("make deploy")


def test_only_failures_and_fixes_are_stored_and_secrets_and_private_blocks_never(
    world: tuple[Settings, Path],
) -> None:
    settings, checkout = world
    before = {m.id for m in _memories(settings)}
    s = {"session": "quiet", "cwd": str(checkout)}
    for command in ("ls", "git status", "cat README.md"):
        _run(
            settings,
            "claude-code",
            "post-tool-use",
            command=command,
            output="secret-looking output ghp_" + "a" * 36,
            **s,
        )
    assert {m.id for m in _memories(settings)} == before
    token = "ghp_" + "b" * 36
    failing = f"fatal: could not read Username, token {token} <private>my password is hunter2</private>"
    _run(
        settings,
        "claude-code",
        "post-tool-use-failure",
        command=f"git push https://{token}@github.com/x/y",
        output=failing,
        **s,
    )
    _run(settings, "claude-code", "post-tool-use", command="git push origin main", output="ok", **s)
    _run(settings, "claude-code", "stop", output="done", **s)
    stored = " ".join(m.content for m in _memories(settings))
    assert token not in stored
    assert "hunter2" not in stored
    raw = " ".join(str(r) for r in store_rows(settings, "SELECT command, output FROM hook_commands"))
    steps = " ".join(str(r) for r in store_rows(settings, "SELECT action, result FROM episode_steps"))
    assert token not in raw + steps
    assert "hunter2" not in raw + steps


def test_cursor_shell_commands_record_failures_and_fixes_and_refresh_the_rules_file_only_when_asked(
    world: tuple[Settings, Path],
) -> None:
    settings, checkout = world
    c = {"session": "cursor-1", "cwd": str(checkout)}
    failing = "Traceback (most recent call last):\nModuleNotFoundError: No module named 'requests'"
    assert (
        _run(settings, "cursor", "after-shell-execution", command="python3 fetch.py", output=failing, **c)
        == ""
    )
    assert (
        _run(settings, "cursor", "after-shell-execution", command="uv run fetch.py", output="200 OK", **c)
        == ""
    )
    assert (
        _run(settings, "cursor", "after-shell-execution", command="python fetch.py", output="200 OK", **c)
        == ""
    )
    assert _run(settings, "cursor", "before-submit-prompt", prompt="pnpm or npm for the frontend", **c) == ""
    _run(settings, "cursor", "stop", **c)
    lessons = [m for m in _memories(settings) if m.kind == "lesson" and "hook" in m.tags]
    assert [m.content.split(";")[-1].strip() for m in lessons] == ["`python fetch.py` worked instead."]
    rules = checkout / install.RULES_FILE
    assert not rules.exists()  # never written unless asked for
    install.write_rules(checkout, "old text")
    _run(settings, "cursor", "stop", **c)
    text = rules.read_text()
    assert text.startswith("---\n")
    assert "alwaysApply: true" in text
    assert "Never push to main directly" in text
    assert "old text" not in text


def test_switches_turn_recall_and_capture_off(world: tuple[Settings, Path]) -> None:
    settings, checkout = world
    off = settings.replace(hook_recall=False, hook_capture=False)
    s = {"session": "off", "cwd": str(checkout)}
    assert _run(off, "claude-code", "session-start", **s) == ""
    assert (
        _run(off, "claude-code", "user-prompt-submit", prompt="pnpm or npm for the frontend packages", **s)
        == ""
    )
    before = len(_memories(settings))
    _run(off, "claude-code", "post-tool-use-failure", command="npm install", output="npm ERR! x", **s)
    _run(off, "claude-code", "post-tool-use", command="pnpm install", output="ok", **s)
    _run(off, "claude-code", "stop", output="done", **s)
    assert len(_memories(settings)) == before
    assert Settings.load(env={"MCP_MEMORY_HOOK_RECALL": "false"}).hook_recall is False


def test_similar_commands() -> None:
    assert similar("npm install", "pnpm install")
    assert similar("pytest tests/test_a.py", "pytest tests/test_a.py -x")
    assert similar("CI=1 npm test", "npm test -- --runInBand")
    assert not similar("pytest", "pytest")  # the same command again: the fix was elsewhere
    assert not similar("git push", "git pull")
    assert not similar("make build", "ls")
    assert similar("pytest tests/x.py", "uv run pytest tests/x.py")  # a wrapper
    assert similar("npm install zod", "pnpm add zod")  # another tool's verb for the act
    assert similar("pip install httpx", "uv add httpx")
    assert similar("make build", "cd backend && make build")
    assert similar("gti status", "git status")  # a typo
    assert not similar("pytest tests/test_a.py", "pytest tests/test_b.py")  # another target
    assert not similar("npm run build", "npm run dev")
    assert not similar("npm install zod", "npm install lodash")


FIX_CASES = [
    json.loads(line)
    for line in (ROOT / "bench" / "fixtures" / "command_fixes.jsonl").read_text().splitlines()
    if line.strip()
]


@pytest.mark.parametrize(
    "case", FIX_CASES, ids=[f"{c['fix']}:{c['failed']}->{c['worked']}" for c in FIX_CASES]
)
def test_the_fix_fixture(case: dict[str, Any]) -> None:
    """Each fix of bench/fixtures/command_fixes.jsonl is recognised, each non-fix is not."""
    assert similar(case["failed"], case["worked"]) is case["fix"]


def _hook_process(env: dict[str, str], *args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mcp_memory", "hook", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_a_hook_never_fails_its_client(world: tuple[Settings, Path], tmp_path: Path) -> None:
    """Bad payloads, unknown events, a missing or locked database: exit 0, nothing on stdout."""
    settings, checkout = world
    env = _hook_env(settings)
    prompt = _payload(
        "claude-code", "user-prompt-submit", session="x", cwd=str(checkout), prompt="pnpm npm frontend"
    )
    for args, stdin in (
        (("claude-code", "user-prompt-submit"), "{not json"),
        (("claude-code", "no-such-event"), prompt),
        (("vim", "session-start"), prompt),
        (("claude-code",), prompt),
        (("claude-code", "user-prompt-submit"), "[1, 2]"),
    ):
        done = _hook_process(env, *args, stdin=stdin)
        assert done.returncode == 0, args
        assert done.stdout == "", args
    if settings.database_url:
        _a_hook_is_quiet_when_postgres_is_unreachable(env, prompt)
    else:
        _a_hook_is_quiet_without_the_file_or_its_lock(env, settings, checkout, prompt, tmp_path)
    done = _hook_process(env, "claude-code", "user-prompt-submit", stdin=prompt)
    assert done.returncode == 0
    assert "Use pnpm, not npm" in done.stdout


def _a_hook_is_quiet_when_postgres_is_unreachable(env: dict[str, str], prompt: str) -> None:
    """A shared database that is not there: exit 0, nothing on stdout, the reason on stderr."""
    import socket

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    gone = {**env, "MCP_MEMORY_DATABASE_URL": f"postgresql://alice:pw@127.0.0.1:{port}/memory"}
    done = _hook_process(gone, "claude-code", "user-prompt-submit", stdin=prompt)
    assert done.returncode == 0
    assert done.stdout == ""
    assert "unreachable" in done.stderr
    assert ":pw@" not in done.stderr


def _a_hook_is_quiet_without_the_file_or_its_lock(
    env: dict[str, str], settings: Settings, checkout: Path, prompt: str, tmp_path: Path
) -> None:
    """No database file (none is created), or one another process holds locked: exit 0, quiet."""
    missing = {**env, "MCP_MEMORY_DB": str(tmp_path / "none" / "memory.db")}
    done = _hook_process(missing, "claude-code", "user-prompt-submit", stdin=prompt)
    assert done.returncode == 0
    assert done.stdout == ""
    assert not (tmp_path / "none").exists()  # a hook creates no database
    import sqlite3

    holder = sqlite3.connect(settings.database, timeout=0)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        failing = _payload(
            "claude-code",
            "post-tool-use-failure",
            session="x",
            cwd=str(checkout),
            command="make",
            output="Error 2",
        )
        done = _hook_process(
            {**env, "MCP_MEMORY_BUSY_TIMEOUT_MS": "100"},
            "claude-code",
            "post-tool-use-failure",
            stdin=failing,
        )
        assert done.returncode == 0
        assert done.stdout == ""
        assert "locked" in done.stderr
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_the_prompt_path_imports_no_sdk_no_pydantic_and_no_model(world: tuple[Settings, Path]) -> None:
    settings, checkout = world
    prompt = _payload(
        "claude-code",
        "user-prompt-submit",
        session="imports",
        cwd=str(checkout),
        prompt="pnpm npm frontend packages",
    )
    probe = (
        "import io, sys\n"
        f"sys.stdin = io.StringIO({prompt!r})\n"
        "from mcp_memory.cli import main\n"
        "main(['hook', 'claude-code', 'user-prompt-submit'])\n"
        "heavy = ['mcp', 'pydantic', 'fastembed', 'onnxruntime', 'tokenizers', 'numpy', 'aiosqlite', 'structlog', 'anyio']\n"
        "print('LOADED', [m for m in heavy if m in sys.modules], file=sys.stderr)\n"
    )
    env = _hook_env(settings)
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert "Use pnpm, not npm" in done.stdout
    assert "LOADED []" in done.stderr, done.stderr


def test_init_adds_and_removes_the_hooks_without_touching_other_settings(tmp_path: Path) -> None:
    claude = tmp_path / ".claude" / "settings.json"
    claude.parent.mkdir()
    theirs = {
        "model": "opus",
        "hooks": {
            "PostToolUse": [
                {"matcher": "Edit", "hooks": [{"type": "command", "command": "prettier --write"}]}
            ]
        },
    }
    claude.write_text(json.dumps(theirs))
    prefix = "/opt/bin/mcp-memory-local"
    assert install.add_claude_hooks(claude, prefix)
    assert not install.add_claude_hooks(claude, prefix)  # a second install adds nothing
    data = json.loads(claude.read_text())
    assert data["model"] == "opus"
    assert data["hooks"]["PostToolUse"][0]["hooks"][0]["command"] == "prettier --write"
    commands = [h["command"] for groups in data["hooks"].values() for g in groups for h in g["hooks"]]
    assert "/opt/bin/mcp-memory-local hook claude-code user-prompt-submit" in commands
    assert set(data["hooks"]) == {"PostToolUse", *install.CLAUDE_EVENTS}
    assert install.remove_claude_hooks(claude)
    assert json.loads(claude.read_text()) == theirs
    assert not install.remove_claude_hooks(claude)
    cursor = tmp_path / ".cursor" / "hooks.json"
    assert install.add_cursor_hooks(cursor, prefix)
    cursor_data = json.loads(cursor.read_text())
    assert cursor_data["version"] == 1
    assert cursor_data["hooks"]["afterShellExecution"] == [
        {"command": "/opt/bin/mcp-memory-local hook cursor after-shell-execution"}
    ]
    assert install.remove_cursor_hooks(cursor)
    assert json.loads(cursor.read_text()) == {"version": 1, "hooks": {}}


def test_init_command_line_writes_hooks_into_the_users_claude_settings(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MCP_MEMORY_")}
    env.update(
        HOME=str(tmp_path),
        CLAUDE_CONFIG_DIR=str(tmp_path / "claude"),
        MCP_MEMORY_DATA_DIR=str(tmp_path / "data"),
        PATH="/usr/bin:/bin",
    )
    base = [sys.executable, "-m", "mcp_memory", "init", "--json"]
    added = subprocess.run(
        [*base, "--hooks", "--cursor-hooks"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert added.returncode == 0, added.stderr
    data = json.loads((tmp_path / "claude" / "settings.json").read_text())
    assert set(data["hooks"]) == set(install.CLAUDE_EVENTS)
    assert (tmp_path / ".cursor" / "hooks.json").exists()
    removed = subprocess.run(
        [*base, "--remove"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False
    )
    assert removed.returncode == 0, removed.stderr
    assert "hooks" not in json.loads((tmp_path / "claude" / "settings.json").read_text())


def test_the_plugin_files_are_current_and_valid() -> None:
    """The committed plugin files equal their generator, follow the documented schema, and every
    command they run is a hook event this program accepts."""
    from mcp_memory import __version__
    from mcp_memory.cli.parser import build_parser
    from mcp_memory.hooks.payload import EVENTS

    expected = install.plugin_files(__version__)
    for name, content in expected.items():
        assert json.loads((ROOT / name).read_text()) == content, (
            f"{name} is stale: python -m mcp_memory.hooks.install"
        )
    plugin = expected[".claude-plugin/plugin.json"]
    assert plugin["name"] == "mcp-memory-local"
    assert plugin["version"] == __version__
    market = expected[".claude-plugin/marketplace.json"]
    assert isinstance(market["owner"]["name"], str)
    assert market["plugins"][0]["name"] == plugin["name"]
    assert market["plugins"][0]["source"] == "./"
    server = expected[".mcp.json"]["mcpServers"]["memory"]
    # From the plugin's own folder, which Claude Code expands: no package index and no PyPI package.
    assert [server["command"], *server["args"]] == [
        "uv", "run", "--project", "${CLAUDE_PLUGIN_ROOT}", "--no-dev", "--quiet", "mcp-memory-local"
    ]  # fmt: skip
    hooks = expected["hooks/hooks.json"]["hooks"]
    known_events = {
        "SessionStart",
        "UserPromptSubmit",
        "PostToolUse",
        "PostToolUseFailure",
        "Stop",
        "SessionEnd",
    }
    assert set(hooks) <= known_events
    parser = build_parser()
    for event, groups in hooks.items():
        for group in groups:
            assert set(group) <= {"matcher", "hooks"}
            for hook in group["hooks"]:
                assert hook["type"] == "command"
                assert 1 <= hook["timeout"] <= 60
                words = shlex.split(hook["command"])
                assert words[:3] == ["sh", "${CLAUDE_PLUGIN_ROOT}/hooks/launch.sh", "hook"]
                args = parser.parse_args(words[2:])
                assert args.command == "hook", event
                assert args.event in EVENTS["claude-code"], event


def test_hooks_of_several_sessions_at_once_lose_nothing(world: tuple[Settings, Path]) -> None:
    """Eight sessions' hooks record failures and fixes at the same moment, each a process of its own
    writing the one database: every failure is kept and every fix becomes its lesson."""
    settings, checkout = world
    env = _hook_env(settings)
    command = [sys.executable, "-m", "mcp_memory", "hook", "claude-code"]

    def start(event: str, session: str, tool: str, output: str) -> subprocess.Popen[str]:
        name = "post-tool-use-failure" if event == "failure" else "post-tool-use"
        payload = _payload(
            "claude-code", name, session=session, cwd=str(checkout), command=tool, output=output
        )
        process = subprocess.Popen(
            [*command, name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert process.stdin is not None
        process.stdin.write(payload)
        process.stdin.close()
        return process

    sessions = [f"crowd-{n}" for n in range(8)]
    for phase in ("failure", "fix"):
        running = [
            start(phase, s, f"make target{n}" if phase == "failure" else f"make target{n} -j1", "Error 2")
            for n, s in enumerate(sessions)
        ]
        for process in running:
            assert process.wait(timeout=120) == 0
            assert process.stdout is not None
            assert process.stdout.read() == ""
    failures = store_rows(settings, "SELECT count(*) FROM hook_commands WHERE ok = 0")[0][0]
    fixes = store_rows(settings, "SELECT count(*) FROM hook_commands WHERE ok = 1")[0][0]
    assert failures == len(sessions)
    assert fixes == len(sessions)
    lessons = [m for m in _memories(settings) if m.kind == "lesson" and "hook" in m.tags]
    assert sorted(m.content.split("`")[1] for m in lessons) == sorted(f"make target{n}" for n in range(8))


def test_the_plugins_hook_launcher_runs_its_own_environment_else_uv_run(tmp_path: Path) -> None:
    """hooks/launch.sh runs the plugin folder's own environment directly once it exists, and before
    that goes through `uv run --project <plugin folder>` (which makes it), passing the arguments on."""
    import shutil

    plugin = tmp_path / "plugin root"
    (plugin / "hooks").mkdir(parents=True)
    shutil.copy(ROOT / "hooks" / "launch.sh", plugin / "hooks" / "launch.sh")
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    fake_uv = fake_bin / "uv"
    fake_uv.write_text('#!/bin/sh\necho "uv $*"\n')
    fake_uv.chmod(0o755)
    env = {**os.environ, "PATH": f"{fake_bin}:{os.environ['PATH']}"}
    argv = ["sh", str(plugin / "hooks" / "launch.sh"), "hook", "claude-code", "session-start"]

    before = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60, check=True)
    assert before.stdout.strip() == (
        f"uv run --project {plugin} --no-dev --quiet mcp-memory-local hook claude-code session-start"
    )
    own = plugin / ".venv" / "bin" / "mcp-memory-local"
    own.parent.mkdir(parents=True)
    own.write_text('#!/bin/sh\necho "own $*"\n')
    own.chmod(0o755)
    after = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60, check=True)
    assert after.stdout.strip() == "own hook claude-code session-start"


def test_the_hooks_show_the_newer_of_two_changed_facts_and_never_a_superseded_one(
    world: tuple[Settings, Path],
) -> None:
    """A changed fact stored without `supersedes`: the hooks show the newer statement with a note;
    one retired with `supersedes` is not shown at all."""
    settings, checkout = world

    async def seed() -> tuple[str, str, str]:
        async with open_app(settings, loader=fake_loader()) as app:
            old = await store_memory(
                app,
                "Deploys of the shop happen on Tuesdays",
                kind="decision",
                project="shop",
                created_at="2026-01-10",
            )
            new = await store_memory(
                app, "Deploys of the shop now happen on Thursdays", kind="decision", project="shop"
            )
            retired = await store_memory(
                app, "The shop's staging database listens on port 5433", kind="decision", project="shop"
            )
            await store_memory(
                app,
                "The shop's staging database listens on port 6543",
                kind="decision",
                project="shop",
                supersedes=[retired.id],
            )
            return old.id, new.id, retired.id

    old, new, retired = anyio.run(seed)
    text = _context(
        _run(settings, "claude-code", "session-start", session="c1", cwd=str(checkout)), "SessionStart"
    )
    assert "Thursdays" in text
    assert "Tuesdays" not in text
    assert f"replaces the older {old}" in text
    assert "6543" in text
    assert "5433" not in text
    prompt = _context(
        _run(
            settings,
            "claude-code",
            "user-prompt-submit",
            prompt="on which day do deploys of the shop happen?",
            session="c2",
            cwd=str(checkout),
        ),
        "UserPromptSubmit",
    )
    assert new in prompt
    assert old not in prompt
    assert retired not in prompt

    async def imported() -> str:
        async with open_app(settings, loader=fake_loader()) as app:
            stored = await store_memory(
                app,
                "Deploys of the shop happen on Mondays",
                kind="decision",
                project="shop",
                created_at="2025-06-01",
            )
            return stored.id

    oldest = anyio.run(imported)  # stored last (the largest id), stated first: not the current fact
    again = _context(
        _run(
            settings,
            "claude-code",
            "user-prompt-submit",
            prompt="on which day do deploys of the shop happen?",
            session="c3",
            cwd=str(checkout),
        ),
        "UserPromptSubmit",
    )
    assert new in again
    assert oldest not in again


def test_a_lesson_earns_its_place_in_the_session_block_by_being_used(world: tuple[Settings, Path]) -> None:
    """A new lesson (stored at 0.7, above the decisions' default) comes after a decision of the same
    age until it has been read; once used, it counts its importance."""
    settings, checkout = world
    from mcp_memory.services.memories.store import get_memories

    async def seed() -> str:
        async with open_app(settings, loader=fake_loader()) as app:
            await store_memory(app, "Orders are sharded by customer id", kind="decision", project="shop")
            lesson = await store_memory(
                app,
                "Run the migrations before the workers start",
                kind="lesson",
                importance=0.9,
                project="shop",
            )
            return lesson.id

    lesson = anyio.run(seed)
    text = _context(
        _run(settings, "claude-code", "session-start", session="l1", cwd=str(checkout)), "SessionStart"
    )
    assert text.index("Orders are sharded") < text.index("Run the migrations")

    async def read() -> None:
        async with open_app(settings, loader=fake_loader()) as app:
            await get_memories(app, [lesson])
            await app.flush_access()

    anyio.run(read)
    text = _context(
        _run(settings, "claude-code", "session-start", session="l2", cwd=str(checkout)), "SessionStart"
    )
    assert text.index("Run the migrations") < text.index("Orders are sharded")
