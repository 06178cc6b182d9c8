"""`mcp-memory ui`: the viewer's web app on 127.0.0.1 (Starlette and uvicorn, which the MCP SDK
already brings), one App for its life, behind `guard.Guard`. It prints its URL with a one-time token
and opens the browser unless told not to."""

from __future__ import annotations

import secrets
import socket
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from mcp_memory.config import Settings
from mcp_memory.embeddings import Embedder, load_embedder
from mcp_memory.logs import get_logger
from mcp_memory.services.app import open_app
from mcp_memory.web.api import routes
from mcp_memory.web.guard import Guard
from mcp_memory.web.page import render_page

__all__ = ["HOST", "build_viewer", "free_port", "serve_viewer"]

_log = get_logger(__name__)
#: The only address the viewer listens on.
HOST = "127.0.0.1"


def build_viewer(
    settings: Settings, *, token: str, port: int, loader: Callable[[Settings], Embedder] = load_embedder
) -> Guard:
    """The viewer's ASGI app for `port` (the Host header it accepts names it); `loader`: the model's
    (tests give a fake one)."""

    @asynccontextmanager
    async def lifespan(web: Starlette) -> AsyncIterator[None]:
        async with open_app(settings, loader=loader) as app, anyio.create_task_group() as tasks:
            app.model_on_demand = True
            web.state.memory_app = app
            tasks.start_soon(app.load_model)  # search by meaning once it is ready; keywords till then
            try:
                yield
            finally:
                tasks.cancel_scope.cancel()

    async def page(request: Request) -> HTMLResponse:
        nonce = secrets.token_urlsafe(16)
        policy = (
            f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; img-src data:; "
            "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        )
        return HTMLResponse(render_page(nonce), headers={"content-security-policy": policy})

    web = Starlette(routes=[Route("/", page, methods=["GET"]), *routes()], lifespan=lifespan)
    return Guard(web, token=token, port=port)


def free_port() -> int:
    """A port no one listens on at 127.0.0.1 now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def serve_viewer(settings: Settings, *, port: int | None, open_browser: bool) -> None:
    """Serve until Ctrl-C. The URL (with the token) goes to stdout, logs to stderr."""
    import uvicorn

    chosen = port or free_port()
    token = secrets.token_urlsafe(24)
    url = f"http://{HOST}:{chosen}/?token={token}"
    viewer = build_viewer(settings, token=token, port=chosen)
    config = uvicorn.Config(
        viewer, host=HOST, port=chosen, log_level="warning", access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)

    async def announce() -> None:
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event for this
            await anyio.sleep(0.05)
        print(f"mcp-memory viewer: {url}", flush=True)
        print("(only this machine can reach it; Ctrl-C stops it)", file=sys.stderr, flush=True)
        if open_browser:
            import webbrowser

            # Through a file only this user can read: the token stays off the browser's command
            # line, which every user of the machine can see.
            webbrowser.open(redirect.as_uri() if redirect else url)

    async def main() -> None:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(announce)
            await server.serve()
            tasks.cancel_scope.cancel()

    redirect = _redirect_file(settings, url) if open_browser else None
    try:
        anyio.run(main)
    finally:
        if redirect is not None:
            redirect.unlink(missing_ok=True)


def _redirect_file(settings: Settings, url: str) -> Path | None:
    """A page that sends the browser on to `url`, in a 0600 file of the data directory's 0700 `run`
    folder (None if it cannot be written: the URL is opened directly)."""
    import html
    import os

    from mcp_memory.local_socket import socket_folder

    folder = socket_folder(settings)  # the data directory's 0700 `run` folder
    path = folder / f"viewer-{os.getpid()}.html"
    page = (
        '<!doctype html><meta charset="utf-8"><meta name="referrer" content="no-referrer">'
        f'<meta http-equiv="refresh" content="0;url={html.escape(url)}">'
        f'<a href="{html.escape(url)}">open the memory viewer</a>'
    )
    try:
        folder.mkdir(parents=True, mode=0o700, exist_ok=True)
        path.unlink(missing_ok=True)
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(page)
    except OSError:
        return None
    return path
