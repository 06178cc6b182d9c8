"""The README documents every setting, every tool and every CLI command, and holds the test command."""

from __future__ import annotations

import json
from pathlib import Path

from mcp_memory.cli.parser import build_parser as _parser
from mcp_memory.config import SETTINGS_DOC

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_every_setting_is_in_the_readme() -> None:
    """Each MCP_MEMORY_* variable the code reads has a row in README."""
    for name in SETTINGS_DOC:
        assert f"`{name}`" in README, name


def test_every_tool_is_in_the_readme() -> None:
    """README's tool reference is exactly what tools.json generates (`mcp-memory tools --markdown`)."""
    from mcp_memory.mcp.manifest import tool_reference

    start = README.index("<!-- tool-reference:start -->") + len("<!-- tool-reference:start -->")
    end = README.index("<!-- tool-reference:end -->")
    tools = json.loads((ROOT / "tools.json").read_text())["tools"]
    assert README[start:end].strip() == tool_reference(tools), "run `uv run mcp-memory tools --markdown`"


def test_every_cli_command_is_in_the_readme() -> None:
    """Each CLI command appears in README's command table."""
    actions = [a for a in _parser()._actions if a.dest == "command"]
    for name in actions[0].choices:  # type: ignore[union-attr]
        assert f"`mcp-memory {name}" in README, name


def test_readme_names_the_test_command_for_ci() -> None:
    """.ci/run finds the command after the marker; it must be the documented one."""
    lines = README.splitlines()
    marker = lines.index("<!-- test-command -->")
    assert lines[marker + 1] == "```sh"
    assert lines[marker + 2] == "uv run pytest"


def test_desktop_example_is_valid_json_with_the_server() -> None:
    """The Claude Desktop example parses and runs the installed mcp-memory-local (no package index)."""
    config = json.loads((ROOT / "claude_desktop_config.example.json").read_text())
    entry = config["mcpServers"]["memory"]
    assert entry["command"] == "mcp-memory-local"
    assert entry["args"] == []
