"""How a client, a hook or the plugin should start this program, so that the start keeps working.

A path inside uv's cache (where `uvx` runs a package) is never written anywhere: `uv cache prune`,
another checkout or the next `uvx` run replaces it, and every hook would then fail quietly. In
order of preference:

1. the environment this program runs from now, when it is a lasting one (`uv tool install`, a
   virtual environment, a checkout's `.venv` under `uv run`): its own script, by absolute path.
   Starts offline, with no resolution at all;
2. an installed `mcp-memory-local` on PATH that lives outside uv's cache;
3. a checkout we were started from through uvx: `uv run --project <checkout>` (its own `.venv`,
   made once; later starts need no package index);
4. the published package through `uvx`, which checks the package index at every start.

Which store the entries use rides along as environment variables (`store_environment`), so a
client started from the entry sees the same memories as the command that printed it.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from mcp_memory.config import DEFAULT_MODEL, Settings, default_data_dir

__all__ = [
    "DISTRIBUTION",
    "Launch",
    "hook_prefix",
    "launch_command",
    "store_environment",
    "uv_cache_dir",
]

#: The distribution's name: what `uvx` and `uv tool install` take, and the command they install.
DISTRIBUTION = "mcp-memory-local"
#: uv's cache folders for built and unpacked packages (`archive-v0`, `builds-v0`, ...).
_CACHE_PART = re.compile(r"^(archive|builds|environments|wheels|sdists)-v\d+$")


class Launch(NamedTuple):
    """A command line that starts this program, and whether it starts without the package index."""

    argv: list[str]
    offline: bool
    #: What the user should know about it (empty when nothing).
    note: str


def uv_cache_dir() -> Path:
    """uv's cache folder as uv itself finds it (UV_CACHE_DIR, else the platform's cache folder)."""
    if os.environ.get("UV_CACHE_DIR"):
        return Path(os.environ["UV_CACHE_DIR"]).expanduser()
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local")) / "uv" / "cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "uv"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "uv"


def _ephemeral(path: Path) -> bool:
    """Whether `path` lies in uv's cache (a `uvx` environment), which uv may replace at any time."""
    resolved = path.resolve()
    if any(_CACHE_PART.match(part) for part in resolved.parts):
        return True
    try:
        resolved.relative_to(uv_cache_dir().resolve())
    except ValueError:
        return False
    return True


def _own_script(prefix: Path) -> Path | None:
    """This program's script in the environment at `prefix`, if it has one."""
    folder = prefix / ("Scripts" if sys.platform == "win32" else "bin")
    for name in (DISTRIBUTION, DISTRIBUTION + ".exe"):
        if (folder / name).is_file():
            return folder / name
    return None


def _source_checkout() -> Path | None:
    """The folder this program was installed from (PEP 610 `direct_url.json`) when it is a source
    tree that still exists, else the source tree this module runs from."""
    import json
    from importlib import metadata
    from urllib.parse import unquote, urlparse

    try:
        recorded = metadata.distribution(DISTRIBUTION).read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        root = Path(__file__).resolve().parents[2]
        return root if (root / "pyproject.toml").is_file() else None
    if not recorded:
        return None
    try:
        url = urlparse(str(json.loads(recorded).get("url", "")))
    except ValueError:
        return None
    path = Path(unquote(url.path))
    if url.scheme == "file" and (path / "pyproject.toml").is_file():
        return path
    return None


def _checkout_launch(root: Path) -> Launch:
    return Launch(
        ["uv", "run", "--project", str(root), "--no-dev", "--quiet", DISTRIBUTION],
        True,
        f"Starts from the checkout {root} through `uv run` (its .venv is made once, then it starts "
        "offline). Moving or deleting the checkout breaks it; `uv tool install "
        f"{shlex.quote(str(root))}` and `mcp-memory init` again give a launch of its own.",
    )


def launch_command(prefix: Path | None = None) -> Launch:
    """How to start this program so that it keeps working (see the module's notes).
    `prefix`: the running environment (default `sys.prefix`)."""
    environment = Path(sys.prefix if prefix is None else prefix)
    if not _ephemeral(environment):
        script = _own_script(environment)
        if script is not None:
            return Launch([str(script)], True, "")
    found = shutil.which(DISTRIBUTION)
    if found and not _ephemeral(Path(found)):
        return Launch([str(Path(found).absolute())], True, "")
    root = _source_checkout()
    if root is not None:
        return _checkout_launch(root)
    return Launch(
        ["uvx", DISTRIBUTION],
        False,
        "Starts through uvx, which asks the package index at every start (and fails without it). "
        f"For a start that works offline: `uv tool install {DISTRIBUTION}`, then `mcp-memory init` again.",
    )


def store_environment(settings: Settings) -> dict[str, str]:
    """The settings that decide which memories and vectors a client sees, as environment variables,
    when they differ from the defaults (a client started without them would use another store)."""
    env: dict[str, str] = {}
    if settings.database_url:
        env["MCP_MEMORY_DATABASE_URL"] = settings.database_url
        if settings.visibility != "team":
            env["MCP_MEMORY_VISIBILITY"] = settings.visibility
    if settings.db_path is not None:
        env["MCP_MEMORY_DB"] = str(settings.database.absolute())
    if settings.data_dir.expanduser().absolute() != default_data_dir().absolute():
        env["MCP_MEMORY_DATA_DIR"] = str(settings.data_dir.expanduser().absolute())
    if settings.embedding_model != DEFAULT_MODEL:
        env["MCP_MEMORY_EMBEDDING_MODEL"] = settings.embedding_model
    return env


def hook_prefix(argv: Sequence[str], env: Mapping[str, str]) -> str:
    """The start of a hook's shell command: `KEY=value ... program`, quoted for a POSIX shell."""
    assignments = [f"{key}={shlex.quote(value)}" for key, value in env.items()]
    return " ".join([*assignments, shlex.join(argv)])
