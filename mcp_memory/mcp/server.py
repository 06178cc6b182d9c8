"""The stdio MCP server: tools over one App, opened in the lifespan.

Start-up order matters to clients, which time out a server that is slow to answer `initialize`:
the lifespan only opens the database (milliseconds). The embedding model (fastembed, ONNX Runtime:
seconds) is imported and loaded in a worker thread only after the first message from the client has
been answered, or after a short grace period if none comes. Until it is ready, stores are durable and
keyword-searchable at once, and get their vectors as soon as it is.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.types import Tool
from pydantic import ValidationError

from mcp_memory import __version__
from mcp_memory.config import Settings
from mcp_memory.embeddings import Embedder, load_embedder
from mcp_memory.logs import get_logger
from mcp_memory.mcp.arguments import closed_schema, explain_invalid, unknown_arguments
from mcp_memory.mcp.hook_socket import offer_hook_socket
from mcp_memory.mcp.names import select_tools
from mcp_memory.mcp.resources import register_resources_and_prompts
from mcp_memory.mcp.state import ServerState
from mcp_memory.process_tuning import tune_malloc, tune_threads
from mcp_memory.services.app import App, open_app
from mcp_memory.services.maintenance.indexing import finish_pending, run_worker
from mcp_memory.storage.postgres.connect import describe_url

if TYPE_CHECKING:
    from mcp_memory.embeddings.hosted import EarlyHost

__all__ = ["INSTRUCTIONS", "MemoryServer", "build_server", "run_stdio"]

_log = get_logger(__name__)
#: Load the model this long after start even if the client has sent nothing yet.
_LOAD_GRACE_SECONDS = 3.0

INSTRUCTIONS = """\
Long-term memory that persists across sessions and clients, stored locally.
- Before starting a task, call memory_search with the task's key terms to recall decisions, conventions, \
preferences and past fixes for this project. Queries work best with the specific words a memory would \
contain (names, identifiers, paths, commands, error text), not a general question.
- Store what a future session would need and could not easily rediscover: decisions and their reasons, \
user preferences, project conventions, root causes of bugs and the fix that worked, commands that work. \
One self-contained fact per memory, with a few tags. Do not store secrets or whole files.
- When a fact changed (a new port, day, version), store the new one with supersedes=[the old id]; a \
store's conflicts list the memories it contradicts. Correct a wrong memory with memory_update (history is \
kept). A search result with outdated_by is older than the one it names: trust the newer one.
Memories belong to the current project unless stored with project='global'."""


class _StartModelAfterFirstMessage:
    """Middleware: once the first inbound message (normally `initialize`) has been answered, set an
    event that lets the model start loading."""

    def __init__(self, event: anyio.Event) -> None:
        self._event = event

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        try:
            return await call_next(ctx)
        finally:
            if not self._event.is_set():
                self._event.set()


async def _load_model_when_ready(app: App, client_answered: anyio.Event) -> None:
    with anyio.move_on_after(_LOAD_GRACE_SECONDS):
        await client_answered.wait()
    # Let the response to initialize reach the client before the import takes the interpreter.
    await anyio.sleep(0.05)
    await app.load_model()
    await app.warm_vector_index()


class MemoryServer(MCPServer[ServerState]):
    """MCPServer that registers its tools on first use (after `initialize` is answered: importing the
    tool modules and building 35 schemas takes ~0.15 s), advertises compact schemas (see
    `mcp_memory.mcp.schema`) and refuses bad arguments in one line each (`mcp_memory.mcp.arguments`):
    an argument a tool does not take is an error, not silently dropped."""

    def __init__(self, *args: Any, tools: str = "all", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        select_tools(tools)  # a typo in MCP_MEMORY_TOOLS fails at start, not at the first call
        self._tools_spec = tools
        self._tools_registered = False

    def ensure_tools(self) -> None:
        """Register the configured tools once."""
        if not self._tools_registered:
            from mcp_memory.mcp.tools.registry import register_tools

            register_tools(self, self._tools_spec)
            self._tools_registered = True

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        self.ensure_tools()
        # The SDK offers no public lookup of a registered tool's argument schema.
        tool = self._tool_manager.get_tool(name)
        if tool is None:
            return await super().call_tool(name, arguments, context)
        unknown = unknown_arguments(arguments, tool.parameters)
        if unknown:
            raise ToolError(_refusal(name, unknown))
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            # Only the SDK's argument validation raises a plain ToolError caused by a ValidationError:
            # the tool body's own errors arrive wrapped in a ToolError or an UnexpectedToolError.
            cause = exc.__cause__
            if isinstance(exc, UnexpectedToolError) or not isinstance(cause, ValidationError):
                raise
            raise ToolError(_refusal(name, explain_invalid(cause, tool.parameters))) from cause

    async def run_stdio_async(self) -> None:
        """Serve over stdio, with the event loop reading and writing the pipes itself
        (`mcp_memory.mcp.pipes`); the SDK's transport where they are not pipes."""
        from mcp.server.stdio import stdio_server

        from mcp_memory.mcp.pipes import stdio_pipes

        async with stdio_pipes() as pipes:
            if pipes is None:
                await super().run_stdio_async()
                return
            lines, writer = pipes
            async with stdio_server(lines, writer) as (read_stream, write_stream):  # type: ignore[arg-type]
                lowlevel = self._lowlevel_server
                await lowlevel.run(read_stream, write_stream, lowlevel.create_initialization_options())

    async def list_tools(self) -> list[Tool]:
        self.ensure_tools()
        tools = await super().list_tools()
        from mcp_memory.mcp.schema import compact_schema

        return [
            tool.model_copy(
                update={
                    "input_schema": closed_schema(compact_schema(tool.input_schema)),
                    "output_schema": (
                        compact_schema(tool.output_schema, fold_optional=False)
                        if tool.output_schema
                        else None
                    ),
                }
            )
            for tool in tools
        ]


def _refusal(tool: str, lines: list[str]) -> str:
    """Refused arguments worded as every other error of a tool: the SDK's prefix, then the reasons."""
    return f"Error executing tool {tool}: " + "\n".join(lines)


def build_server(
    settings: Settings, *, loader: Callable[[Settings], Embedder] = load_embedder, load_model: bool = True
) -> MCPServer[ServerState]:
    """The MCP server with every tool registered; its lifespan opens the database."""
    client_answered = anyio.Event()
    state = ServerState()

    @asynccontextmanager
    async def lifespan(_: MCPServer[ServerState]) -> AsyncIterator[ServerState]:
        async with open_app(settings, loader=loader) as app, anyio.create_task_group() as tasks:
            state.attach(app)
            _log.info(
                "mcp-memory serving",
                version=__version__,
                database=describe_url(app.settings.database_url)
                if app.settings.database_url
                else str(app.db.path),
                project=app.default_project,
                engine="postgres"
                if app.settings.database_url
                else f"{app.db.library.name} {app.db.library.version}",
            )
            if load_model:
                tasks.start_soon(_load_model_when_ready, app, client_answered)
            tasks.start_soon(run_worker, app)
            if settings.hook_recall:
                # The user's hooks ask this server for the meaning of a prompt (no model of their own).
                tasks.start_soon(offer_hook_socket, app)
            # Many sessions hold a server each and most sit idle: the model's ~130 MiB go back
            # after MCP_MEMORY_MODEL_IDLE_MINUTES without a call that needs it.
            tasks.start_soon(app.embeddings.unload_when_idle, settings.model_idle_minutes * 60)
            try:
                yield state
                # The client closed the session: memories stored before the model was ready get
                # their vectors now (bounded), instead of waiting for the next long-lived server.
                if load_model:
                    await finish_pending(app, settings.model_wait_seconds)
            finally:
                state.attach(None)
                tasks.cancel_scope.cancel()

    server = MemoryServer(
        name="mcp-memory",
        title="mcp-memory",
        description="Long-term memory for AI coding agents: hybrid search over a local SQLite file or a shared team Postgres.",
        instructions=INSTRUCTIONS,
        version=__version__,
        lifespan=lifespan,
        log_level=settings.log_level if settings.log_level != "CRITICAL" else "ERROR",
        tools=settings.tools,
    )
    server.middleware.append(_StartModelAfterFirstMessage(client_answered))
    register_resources_and_prompts(server, state)
    return server


def run_stdio(settings: Settings, early: EarlyHost | None = None) -> None:
    """Serve MCP over stdin/stdout until the client closes the connection. `early`: the model's
    process, started before this module was imported (`cli.run`); else it starts here."""
    tune_malloc()  # before any thread starts
    tune_threads()
    from mcp_memory.embeddings.hosted import hosting_supported, load_hosted_embedder

    # The model in a process of its own: unloading it after a quiet period gives all its memory back.
    loader = early or (load_hosted_embedder if hosting_supported() else load_embedder)
    try:
        server = build_server(settings, loader=loader)
        anyio.run(server.run_stdio_async)
    except Exception as exc:
        if closed_streams_only(exc):
            # Ctrl-C cancelled the server while the SDK's stdin reader was handing on a line: the
            # reader finds its stream closed. That is the interrupt, not a failure: end as one.
            raise KeyboardInterrupt from None
        raise
    finally:
        if early is not None:
            early.discard()


def closed_streams_only(exc: BaseException) -> bool:
    """Whether `exc` is, or is a group of nothing but, anyio's closed-stream errors (what the
    transport's tasks raise when the server is cancelled under them)."""
    inner = getattr(exc, "exceptions", None)
    if inner is not None:
        return bool(inner) and all(closed_streams_only(e) for e in inner)
    return isinstance(exc, anyio.BrokenResourceError | anyio.ClosedResourceError)
