"""Projects: which code project a memory belongs to.

The default project is the name of the git repository that holds the server's working directory
(else the directory's own name), or of the client's first MCP root when it sends roots. Memories with
no project are global: every project's search sees them.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from mcp_memory.errors import InvalidInput
from mcp_memory.limits import MAX_PROJECT_NAME as _MAX_PROJECT

__all__ = [
    "ALL_PROJECTS",
    "GLOBAL",
    "ProjectScope",
    "project_from_path",
    "project_from_root_uri",
    "scope_for",
    "stored_project",
]

#: `project="*"`: every project.
ALL_PROJECTS = "*"
#: `project="global"`: memories that belong to no project (stored as '').
GLOBAL = "global"


def project_from_path(path: Path) -> str:
    """The name of the git repository containing `path`, else the name of `path` itself; '' (global)
    for the home folder or the filesystem root, where desktop clients start servers."""
    resolved = path.expanduser().resolve()
    for candidate in (resolved, *resolved.parents):
        if (candidate / ".git").exists():
            return candidate.name or str(candidate)
    if resolved == Path.home().resolve() or resolved.parent == resolved:
        return ""
    return resolved.name


def path_from_root_uri(uri: str) -> Path | None:
    """The folder of an MCP root (a file:// URI), or None for other schemes."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return Path(unquote(parsed.path))


def project_from_root_uri(uri: str) -> str | None:
    """The project of an MCP root (a file:// URI), or None for other schemes."""
    path = path_from_root_uri(uri)
    return None if path is None else project_from_path(path)


def stored_project(project: str | None, default: str) -> str:
    """The value stored for a memory: the given project, '' for global, else the default."""
    if project is None:
        return default
    name = project.strip()
    if name == ALL_PROJECTS:
        raise InvalidInput(
            "a memory belongs to one project; '*' only works in searches. Omit project or name one."
        )
    if name.lower() == GLOBAL or name == "":
        return ""
    if len(name) > _MAX_PROJECT:
        raise InvalidInput(f"project name is {len(name)} characters; at most {_MAX_PROJECT}.")
    return name


class ProjectScope:
    """Which projects a read covers: a list of stored project values, or all of them (None)."""

    __slots__ = ("projects",)

    def __init__(self, projects: tuple[str, ...] | None) -> None:
        self.projects = projects


def scope_for(project: str | None, default: str) -> ProjectScope:
    """The projects a search or listing covers: by default the current project plus global memories;
    a named project plus global ones; 'global' for global memories only; '*' for everything."""
    if project is None:
        return ProjectScope((default, "") if default else ("",))
    name = project.strip()
    if name == ALL_PROJECTS:
        return ProjectScope(None)
    if name.lower() == GLOBAL or name == "":
        return ProjectScope(("",))
    return ProjectScope((name, ""))
