"""Putting the hooks into a client's settings and taking them out again, without touching anything
else there; and the Cursor rules file.

Claude Code: `~/.claude/settings.json`, key `hooks` (one matcher group per event, each a list of
command hooks). Cursor: `~/.cursor/hooks.json` (`version` 1, `hooks`: event -> list of commands).
Our entries are recognised by their command (`... hook claude-code <event>` / `... hook cursor
<event>`), so a second install adds nothing and removal leaves other hooks alone.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = [
    "CLAUDE_EVENTS",
    "CURSOR_EVENTS",
    "RULES_FILE",
    "add_claude_hooks",
    "add_cursor_hooks",
    "claude_hooks",
    "cursor_hooks",
    "plugin_files",
    "remove_claude_hooks",
    "remove_cursor_hooks",
    "write_rules",
]

#: Claude Code event -> (our event name, matcher or None, timeout in seconds).
CLAUDE_EVENTS: dict[str, tuple[str, str | None, int]] = {
    "SessionStart": ("session-start", None, 10),
    "UserPromptSubmit": ("user-prompt-submit", None, 5),
    "PostToolUse": ("post-tool-use", "Bash", 10),
    "PostToolUseFailure": ("post-tool-use-failure", "Bash", 10),
    "Stop": ("stop", None, 30),
    "SessionEnd": ("session-end", None, 30),
}
#: Cursor event -> our event name.
CURSOR_EVENTS: dict[str, str] = {"afterShellExecution": "after-shell-execution", "stop": "stop"}
#: The Cursor rules file, relative to a project, written only when the user asks for it.
RULES_FILE = Path(".cursor") / "rules" / "mcp-memory.mdc"


def _command(head: str, client: str, event: str) -> str:
    return f"{head} {shlex.join(['hook', client, event])}"


def _ours(command: Any, client: str) -> bool:
    return isinstance(command, str) and f" hook {client} " in f"{command} "


def claude_hooks(head: str) -> dict[str, list[dict[str, Any]]]:
    """The `hooks` entries for Claude Code's settings (also the plugin's hooks/hooks.json). `head`:
    the shell text that starts this program (`launch.hook_prefix` in the CLI)."""
    hooks: dict[str, list[dict[str, Any]]] = {}
    for event, (name, matcher, timeout) in CLAUDE_EVENTS.items():
        group: dict[str, Any] = {
            "hooks": [{"type": "command", "command": _command(head, "claude-code", name), "timeout": timeout}]
        }
        if matcher:
            group = {"matcher": matcher, **group}
        hooks[event] = [group]
    return hooks


def cursor_hooks(head: str) -> dict[str, Any]:
    """Cursor's hooks.json entries."""
    return {
        "version": 1,
        "hooks": {
            event: [{"command": _command(head, "cursor", name)}] for event, name in CURSOR_EVENTS.items()
        },
    }


def _load(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if text.strip() else {}
    if not isinstance(data, dict):
        raise ValueError(f"{path} does not hold a JSON object; fix or move it, then run init again")
    return data


def _save(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".mcp-memory.tmp")
    temporary.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def add_claude_hooks(path: Path, head: str) -> bool:
    """Add our hooks to Claude Code's settings file at `path`; whether anything changed."""
    data = _load(path)
    hooks = data.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        raise ValueError(f"`hooks` in {path} is not an object; fix it, then run init again")
    changed = False
    for event, groups in claude_hooks(head).items():
        present = hooks.setdefault(event, [])
        if any(
            _ours(h.get("command"), "claude-code")
            for g in present
            if isinstance(g, dict)
            for h in g.get("hooks", [])
        ):
            continue
        present.extend(groups)
        changed = True
    if changed:
        _save(path, data)
    return changed


def _remove(path: Path, prune: Callable[[list[Any]], list[Any]], *, drop_empty: bool) -> bool:
    """Rewrite each event's list of `path`'s `hooks` through `prune`, dropping events left empty (and
    the `hooks` key itself with `drop_empty`); whether anything changed."""
    data = _load(path)
    hooks = data.get("hooks")
    if not isinstance(hooks, dict):
        return False
    before = json.dumps(hooks, sort_keys=True)
    for event in list(hooks):
        kept = prune(hooks[event] if isinstance(hooks[event], list) else [])
        if kept:
            hooks[event] = kept
        else:
            del hooks[event]
    changed = json.dumps(hooks, sort_keys=True) != before
    if drop_empty and not hooks:
        del data["hooks"]
    if changed:
        _save(path, data)
    return changed


def remove_claude_hooks(path: Path) -> bool:
    """Take our hooks out of Claude Code's settings file; whether anything changed."""

    def prune(groups: list[Any]) -> list[Any]:
        kept = []
        for group in groups:
            if not isinstance(group, dict):
                kept.append(group)
                continue
            inner = [h for h in group.get("hooks", []) if not _ours(h.get("command"), "claude-code")]
            if inner:
                kept.append({**group, "hooks": inner})
        return kept

    return _remove(path, prune, drop_empty=True)


def add_cursor_hooks(path: Path, head: str) -> bool:
    """Add our hooks to Cursor's hooks.json at `path`; whether anything changed."""
    data = _load(path)
    data.setdefault("version", 1)
    hooks = data.setdefault("hooks", {})
    changed = False
    for event, entries in cursor_hooks(head)["hooks"].items():
        present = hooks.setdefault(event, [])
        if any(_ours(h.get("command"), "cursor") for h in present if isinstance(h, dict)):
            continue
        present.extend(entries)
        changed = True
    if changed:
        _save(path, data)
    return changed


def remove_cursor_hooks(path: Path) -> bool:
    """Take our hooks out of Cursor's hooks.json; whether anything changed."""
    return _remove(
        path,
        lambda entries: [
            h for h in entries if not (isinstance(h, dict) and _ours(h.get("command"), "cursor"))
        ],
        drop_empty=False,
    )


def write_rules(project_dir: Path, block: str) -> Path:
    """Write the Cursor rules file with `block` (the session-start block) in `project_dir`."""
    path = project_dir / RULES_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    text = (
        "---\n"
        "description: What mcp-memory holds for this project (refreshed by its Cursor stop hook)\n"
        "alwaysApply: true\n"
        "---\n\n"
        f"{block.strip() or 'Nothing stored for this project yet.'}\n"
    )
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
    return path


#: How the plugin's server starts: from the plugin's own folder, which Claude Code names
#: `${CLAUDE_PLUGIN_ROOT}` (a copy of this repository); `uv run` makes its environment on first use,
#: and later starts need no package index. No package from PyPI is needed.
PLUGIN_SERVER = ("uv", "run", "--project", "${CLAUDE_PLUGIN_ROOT}", "--no-dev", "--quiet", "mcp-memory-local")
#: How the plugin's hooks start: `hooks/launch.sh` runs the plugin's environment directly once it
#: exists (no uv resolution on every prompt), else goes through `uv run` as the server does.
PLUGIN_HOOK_HEAD = 'sh "${CLAUDE_PLUGIN_ROOT}/hooks/launch.sh"'


def plugin_files(version: str) -> dict[str, dict[str, Any]]:
    """The Claude Code plugin's files (path in the repository -> JSON), so that
    `/plugin marketplace add <repo>` then `/plugin install mcp-memory-local` gives the server and the
    hooks in one step. `tests/test_hooks.py` checks the committed files equal these."""
    description = (
        "Long-term memory for coding agents: a local MCP server over one SQLite file (hybrid keyword and "
        "vector search, no cloud), plus hooks that recall at session start and record lessons from failed commands."
    )
    return {
        ".claude-plugin/plugin.json": {
            "name": "mcp-memory-local",
            "version": version,
            "description": description,
            "author": {"name": "mcp-memory"},
            "license": "Apache-2.0",
            "keywords": ["memory", "mcp", "sqlite", "hooks"],
        },
        ".claude-plugin/marketplace.json": {
            "name": "mcp-memory-local",
            "owner": {"name": "mcp-memory"},
            "plugins": [
                {"name": "mcp-memory-local", "source": "./", "description": description, "version": version}
            ],
        },
        ".mcp.json": {
            "mcpServers": {"memory": {"command": PLUGIN_SERVER[0], "args": list(PLUGIN_SERVER[1:])}}
        },
        "hooks/hooks.json": {
            "description": "mcp-memory: recall at session start and with relevant prompts; lessons from failed commands",
            "hooks": claude_hooks(PLUGIN_HOOK_HEAD),
        },
    }


if (
    __name__ == "__main__"
):  # pragma: no cover - `python -m mcp_memory.hooks.install` rewrites the plugin files
    from mcp_memory import __version__

    root = Path(__file__).resolve().parents[2]
    for name, content in plugin_files(__version__).items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {target}")
