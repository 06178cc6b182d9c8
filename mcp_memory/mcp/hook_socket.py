"""The server's side of the hooks' local socket (`mcp_memory.local_socket`): while it runs, its
user's hooks ask it for the hybrid search of a prompt, which needs the model a hook does not have.

Requests are the hooks' (one JSON object on one line): `{"op": "search", "query": str, "project":
str ('' for global), "limit": int, "min_relevance": float}`. The answer is `{"status": "ok",
"hits": [{"id", "content", "relevance", "similarity", "outdated_by"}]}` from `search_memories` (the same
relevance and floor as memory_search), or `{"status": "cold", "reason"}` while the model is not
loaded (asking wakes a model unloaded after a quiet period: the next prompt finds it ready), or
`{"status": "error", "error"}` for a request it cannot answer. Nobody but the user reaches the
socket (0600 in a 0700 folder); a peer of another uid is refused all the same.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import socket
import struct
from pathlib import Path
from typing import Any

import anyio
from anyio.abc import SocketAttribute, SocketStream, TaskGroup

from mcp_memory.errors import InvalidInput, MemoryServerError
from mcp_memory.limits import MAX_LIMIT
from mcp_memory.local_socket import MAX_LINE, socket_folder, socket_path, supported
from mcp_memory.logs import get_logger
from mcp_memory.services.app import App
from mcp_memory.storage.ids import rowid_of

__all__ = ["answer", "offer_hook_socket"]

_log = get_logger(__name__)
#: A connection that has not sent its line by then is dropped (hooks send at once).
_READ_SECONDS = 2.0
#: Requests answered at once; more wait their turn.
_AT_ONCE = 4
_MAX_QUERY = 20_000


def _peer_uid(stream: SocketStream) -> int | None:
    """The uid of the process at the other end, where the system says (Linux: SO_PEERCRED)."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return None
    raw: socket.socket = stream.extra(SocketAttribute.raw_socket)  # noqa: S610 - anyio, not Django
    _pid, uid, _gid = struct.unpack("3i", raw.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i")))
    return int(uid)


async def _read_line(stream: SocketStream) -> bytes | None:
    data = bytearray()
    with anyio.move_on_after(_READ_SECONDS):
        while not data.endswith(b"\n"):
            if len(data) > MAX_LINE:
                return None
            try:
                data += await stream.receive(65536)
            except (anyio.EndOfStream, anyio.BrokenResourceError):
                break
        return bytes(data)
    return None


def _request(raw: bytes) -> dict[str, Any]:
    """The request's checked fields; MemoryServerError for one that is not a search a hook sends."""
    try:
        request = json.loads(raw.decode())
    except (UnicodeDecodeError, ValueError):
        raise InvalidInput("the request is not one JSON object on one line") from None
    if not isinstance(request, dict) or request.get("op") != "search":
        raise InvalidInput("the only request is {'op': 'search', ...}")
    query, project = request.get("query"), request.get("project", "")
    limit, floor = request.get("limit", 3), request.get("min_relevance")
    if not isinstance(query, str) or not query.strip() or len(query) > _MAX_QUERY:
        raise InvalidInput(f"query must be a text of 1 to {_MAX_QUERY} characters")
    if not isinstance(project, str):
        raise InvalidInput("project must be a text ('' for global memories)")
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    if floor is not None and (not isinstance(floor, int | float) or not math.isfinite(floor)):
        raise InvalidInput("min_relevance must be a number from 0 to 1")
    return {"query": query, "project": project or "global", "limit": limit, "min_relevance": floor}


async def answer(app: App, raw: bytes, tasks: TaskGroup | None = None) -> dict[str, Any]:
    """The answer to one request line (`tasks`: where a model reload it asks for runs)."""
    try:
        request = _request(raw)
    except InvalidInput as exc:
        return {"status": "error", "error": str(exc)}
    if not app.semantic_ready():
        # The hook does without (keywords alone) rather than wait for a load; a model given back
        # after a quiet period starts loading now, for the next prompt.
        if tasks is not None:
            tasks.start_soon(app.ensure_model)
        return {"status": "cold", "reason": app.semantic_unavailable_reason()}
    # Imported on the first request, not at start: the server answers `initialize` first.
    from mcp_memory.services.search.hybrid import search_memories

    try:
        found = await search_memories(
            app,
            request["query"],
            project=request["project"],
            limit=request["limit"],
            min_relevance=request["min_relevance"],
        )
    except MemoryServerError as exc:
        return {"status": "error", "error": str(exc)}
    hits = [
        {
            "id": rowid_of(hit.memory.id),
            "content": hit.memory.content,
            "relevance": hit.relevance,
            "similarity": hit.similarity,
            "outdated_by": hit.outdated_by,
        }
        for hit in found.hits
    ]
    return {"status": "ok", "mode": found.mode_used, "hits": hits}


async def _serve_one(
    app: App, stream: SocketStream, tasks: TaskGroup, limiter: anyio.CapacityLimiter
) -> None:
    async with stream:
        uid = _peer_uid(stream)
        if uid is not None and uid != os.getuid():
            _log.warning("hook socket: refused a connection from another user", uid=uid)
            return
        raw = await _read_line(stream)
        if raw is None or not raw.strip():
            return
        async with limiter:
            try:
                reply = await answer(app, raw, tasks)
            except Exception as exc:  # one bad request never stops the socket
                _log.warning("hook socket: a request failed", error=f"{type(exc).__name__}: {exc}")
                reply = {"status": "error", "error": f"{type(exc).__name__}: {exc}"}
        with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
            await stream.send((json.dumps(reply) + "\n").encode())  # unless the hook stopped waiting


def _prepare(path: Path) -> None:
    folder = path.parent
    folder.mkdir(parents=True, mode=0o700, exist_ok=True)
    os.chmod(folder, 0o700)
    path.unlink(missing_ok=True)  # left by a process of the same pid that is gone


async def offer_hook_socket(app: App) -> None:
    """Listen on this server's socket until cancelled; the socket is removed when it ends. Nothing
    happens where Unix sockets are missing or the data directory's path is too long for one."""
    if not supported():
        return
    path = socket_path(app.settings, os.getpid())
    if path is None:
        _log.info(
            "hook socket: not offered, the data directory's path is too long for a socket",
            folder=str(socket_folder(app.settings)),
        )
        return
    try:
        _prepare(path)
        listener = await anyio.create_unix_listener(path, mode=0o600)
    except OSError as exc:
        _log.warning("hook socket: not offered", path=str(path), error=str(exc))
        return
    limiter = anyio.CapacityLimiter(_AT_ONCE)
    try:
        async with listener, anyio.create_task_group() as tasks:

            async def handle(stream: SocketStream) -> None:
                await _serve_one(app, stream, tasks, limiter)

            await listener.serve(handle, task_group=tasks)
    finally:
        path.unlink(missing_ok=True)
