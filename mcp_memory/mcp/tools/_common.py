"""What every tool module shares: getting the App from the request, turning service errors into
isError results, building results that carry both structured content and readable text."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel

from mcp_memory.errors import MemoryServerError
from mcp_memory.logs import get_logger
from mcp_memory.mcp.state import ServerState
from mcp_memory.projects import path_from_root_uri, project_from_root_uri
from mcp_memory.services.app import App
from mcp_memory.services.transfer.access import FileAccess, tool_access
from mcp_memory.views.models import structured

__all__ = [
    "READ_ONLY",
    "ToolEntry",
    "app_from",
    "file_access",
    "register_family",
    "respond",
    "user_errors",
]

_log = get_logger(__name__)

READ_ONLY = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)


@contextmanager
def user_errors() -> Iterator[None]:
    """Report a service error as the tool's isError result, message unchanged."""
    try:
        yield
    except MemoryServerError as exc:
        raise ToolError(str(exc)) from exc


async def app_from(ctx: Context[Any, Any]) -> App:
    """The App of this server; on the first call, adopt the client's MCP roots as the default
    project unless MCP_MEMORY_PROJECT fixed it."""
    state: ServerState = ctx.request_context.lifespan_context
    if not state.roots_checked:
        state.roots_checked = True
        await _adopt_roots(ctx, state)
    return state.app


def file_access(ctx: Context[Any, Any]) -> FileAccess:
    """Where this server's tools may read and write files: the client's roots (else the working
    directory), the data directory and the database's folder."""
    state: ServerState = ctx.request_context.lifespan_context
    return tool_access(state.app, state.roots)


async def _adopt_roots(ctx: Context[Any, Any], state: ServerState) -> None:
    """Read the client's MCP roots: they bound the tools' file access, and the first one is the
    default project unless MCP_MEMORY_PROJECT fixed it."""
    app = state.app
    capabilities = ctx.client_capabilities
    if capabilities is None or capabilities.roots is None:
        return
    try:
        import warnings

        with warnings.catch_warnings(), anyio.fail_after(2):
            warnings.simplefilter("ignore")
            result = await ctx.session.list_roots()
    except Exception as exc:  # a client that advertises roots but cannot answer keeps the cwd project
        _log.info("could not read the client's roots", error=str(exc))
        return
    state.roots = [p for p in (path_from_root_uri(str(r.uri)) for r in result.roots) if p is not None]
    if app.settings.project:
        return
    for root in result.roots:
        project = project_from_root_uri(str(root.uri))
        if project:
            app.default_project = project
            _log.info("project from client roots", project=project)
            return


def respond(output: BaseModel, text: str) -> CallToolResult:
    """A tool result with `output` as structured content and `text` for people and older clients."""
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=structured(output),
    )


#: A tool function, its title and its annotations.
ToolEntry = tuple[Callable[..., Any], str, ToolAnnotations]


def register_family(server: MCPServer[Any], tools: Sequence[ToolEntry], names: set[str]) -> None:
    """Add the tools of one family that are in `names` to `server`, with structured output."""
    for fn, title, hints in tools:
        if fn.__name__ in names:
            description = inspect.cleandoc(fn.__doc__ or "")
            server.add_tool(
                fn, title=title, description=description, annotations=hints, structured_output=True
            )
