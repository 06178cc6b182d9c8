"""The folder tree is the architecture: layered subpackages whose import directions import-linter
checks (contracts in pyproject.toml), and nothing at the package root but the face and the
foundations."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "mcp_memory"

#: The package's face, its `__main__`, and the foundations every layer may import.
ROOT_MODULES = {
    "__init__.py",
    "__main__.py",
    "concurrently.py",
    "config.py",
    "errors.py",
    "process_tuning.py",
    "limits.py",
    "logs.py",
    "local_socket.py",
    "previews.py",
    "projects.py",
    "relevance.py",
    "timeparse.py",
}
LAYERS = {"cli", "web", "mcp", "hooks", "views", "services", "storage", "embeddings"}


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter over the `mcp_memory` package found in `tree`, with the project's contracts."""
    code = (
        "import sys; from importlinter.cli import lint_imports; "
        "sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True, no_logo=True))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _copy_tree(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    shutil.copytree(PACKAGE, tree / "mcp_memory", ignore=shutil.ignore_patterns("__pycache__", "*.onnx"))
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def test_package_root_holds_only_the_face_and_the_foundations() -> None:
    """Every module at the package root is the face, `__main__` or a foundation; every folder is a layer."""
    modules = {p.name for p in PACKAGE.glob("*.py")}
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and any(p.rglob("*.py"))}
    assert modules == ROOT_MODULES
    assert folders == LAYERS


def test_every_subpackage_says_what_it_holds() -> None:
    """Each subpackage's `__init__.py` opens with a docstring."""
    for init in PACKAGE.rglob("__init__.py"):
        text = init.read_text(encoding="utf-8").lstrip()
        assert text.startswith('"""'), f"{init.relative_to(ROOT)} has no docstring"


def test_import_contracts_hold(tmp_path: Path) -> None:
    """The project's import-linter contracts are kept by the tree as it is."""
    done = _lint_imports(_copy_tree(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "BROKEN" not in done.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        (
            "services/memories/pins.py",
            "import mcp_memory.cli.commands",
            "Layers: interfaces -> services -> storage and embeddings -> foundations",
        ),
        (
            "services/search/hybrid.py",
            "import mcp_memory.views.memories",
            "Layers: interfaces -> services -> storage and embeddings -> foundations",
        ),
        (
            "hooks/recall.py",
            "import mcp_memory.mcp.tools.memories",
            "Layers: interfaces -> services -> storage and embeddings -> foundations",
        ),
        (
            "storage/filters.py",
            "import mcp_memory.services.app",
            "Layers: interfaces -> services -> storage and embeddings -> foundations",
        ),
        (
            "services/memories/store.py",
            "import mcp_memory.services.search.hybrid",
            "Services by feature family: each family imports only the families below it",
        ),
        (
            "cli/commands.py",
            "import mcp_memory.mcp.tools.memories",
            "The command line calls services, never an MCP tool",
        ),
        (
            "embeddings/checksum.py",
            "import mcp_memory.embeddings.model",
            "No import circles between sibling modules",
        ),
    ],
)
def test_import_contracts_fail_when_broken(tmp_path: Path, module: str, line: str, contract: str) -> None:
    """An import against the layers (a service importing an interface, storage importing a service,
    a family importing one above it, the CLI importing a tool, a circle) breaks the named contract."""
    tree = _copy_tree(tmp_path)
    target = tree / "mcp_memory" / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}  # noqa\n", encoding="utf-8")
    done = _lint_imports(tree)
    assert done.returncode != 0
    assert f"{contract} BROKEN" in done.stdout, done.stdout
