"""The server's side of the hooks' local socket (`mcp_memory.local_socket`): while it runs, its
user's hooks ask it for the hybrid search of a prompt, which needs the model a hook does not have.

Requests are the hooks' (one JSON object on one line): `{"op": "search", "query": str, "project":
str ('' for global), "limit": int, "min_relevance": float}`, answered `{"status": "ok", "hits":
[{"id", "content", "relevance", "similarity", "outdated_by"}]}` from `search_memories` (the same
relevance and floor as memory_search); or `{"op": "prompt", "session_id", "client", "project",
"query", "min_relevance"}`, the prompt hook's whole work (`services.search.prompt_recall`: what
enters that session's context, recorded there so nothing comes twice), answered `{"status": "ok",
"hits": [{"id", "content", "relevance"}]}`, so the hook opens no database. Either may be answered
`{"status": "cold", "reason"}` while the model is not
loaded (asking wakes a model unloaded after a quiet period: the next prompt finds it ready), or
`{"status": "error", "error"}` for a request it cannot answer. Nobody but the user reaches the
socket (0600 in a 0700 folder); a peer of another uid is refused all the same.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import stat
import struct
from pathlib import Path
from typing import Any

import anyio
from anyio.abc import SocketAttribute, SocketStream, TaskGroup

from mcp_memory.errors import InvalidInput, MemoryServerError
from mcp_memory.limits import MAX_LIMIT
from mcp_memory.local_socket import MAX_LINE, owned, socket_folder, socket_path, supported
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


def _text(request: dict[str, Any], name: str, most: int, *, empty: bool = False) -> str:
    value = request.get(name, "" if empty else None)
    if not isinstance(value, str) or len(value) > most or (not empty and not value.strip()):
        raise InvalidInput(f"{name} must be a text of {0 if empty else 1} to {most} characters")
    return value


def _request(raw: bytes) -> dict[str, Any]:
    """The request's checked fields; InvalidInput for one that is not a request a hook sends."""
    try:
        request = json.loads(raw.decode())
    except (UnicodeDecodeError, ValueError):
        raise InvalidInput("the request is not one JSON object on one line") from None
    if not isinstance(request, dict) or request.get("op") not in ("search", "prompt"):
        raise InvalidInput("a request is {'op': 'search', ...} or {'op': 'prompt', ...}")
    query = _text(request, "query", _MAX_QUERY)
    project = _text(request, "project", 200, empty=True)
    limit, floor = request.get("limit", 3), request.get("min_relevance")
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    if floor is not None and (
        not isinstance(floor, int | float) or isinstance(floor, bool) or not 0 <= floor <= 1
    ):
        raise InvalidInput("min_relevance must be a number from 0 to 1")
    checked = {
        "op": request["op"],
        "query": query,
        "project": project,
        "limit": limit,
        "min_relevance": floor,
    }
    if request["op"] == "prompt":
        checked["session_id"] = _text(request, "session_id", 200)
        checked["client"] = _text(request, "client", 40)
        if floor is None:
            raise InvalidInput("min_relevance is needed with a prompt (the hook's floor)")
    return checked


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
    try:
        if request["op"] == "prompt":
            return await _prompt(app, request)
        return await _search(app, request)
    except MemoryServerError as exc:
        return {"status": "error", "error": str(exc)}


async def _search(app: App, request: dict[str, Any]) -> dict[str, Any]:
    # Imported on the first request, not at start: the server answers `initialize` first.
    from mcp_memory.services.search.hybrid import search_memories

    found = await search_memories(
        app,
        request["query"],
        project=request["project"] or "global",
        limit=request["limit"],
        min_relevance=request["min_relevance"],
    )
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


async def _prompt(app: App, request: dict[str, Any]) -> dict[str, Any]:
    """The prompt hook's whole answer: what enters the session's context, recorded as shown."""
    from mcp_memory.services.search.prompt_recall import prompt_recall

    chosen = await prompt_recall(
        app,
        session_id=request["session_id"],
        client=request["client"],
        project=request["project"],
        prompt=request["query"],
        floor=float(request["min_relevance"]),
    )
    return {"status": "ok", "hits": [{"id": i, "content": c, "relevance": r} for i, c, r in chosen]}


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
            await stream.send(_line(reply))  # unless the hook stopped waiting


def _line(reply: dict[str, Any]) -> bytes:
    """The reply as one line the hook accepts (at most MAX_LINE): the last hits are left out of one
    that would be longer."""
    line = (json.dumps(reply) + "\n").encode()
    hits = reply.get("hits")
    while len(line) > MAX_LINE and isinstance(hits, list) and hits:
        hits = hits[:-1]
        line = (json.dumps({**reply, "hits": hits}) + "\n").encode()
    return line


def _prepare(path: Path) -> None:
    """The socket's folder, made this user's own and closed to others; OSError when it cannot be
    (a symlink, another user's folder): then no socket is offered."""
    folder = path.parent
    folder.mkdir(parents=True, mode=0o700, exist_ok=True)
    info = owned(folder)
    if info is None or not stat.S_ISDIR(info.st_mode):
        raise OSError(f"{folder} is not a folder of this user")
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
