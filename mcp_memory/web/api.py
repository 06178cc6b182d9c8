"""The viewer's JSON endpoints: each a few lines over one service call and the view the tools use
(the same fields as a tool's structured output, every field present). Reads are GET; every change
is a POST or a DELETE and goes through the services (redaction, history, the engine's row policies
on a shared database). A service's refusal comes back as `{"error": ...}` with status 400 (404 for
an unknown id) and changes nothing."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mcp_memory.errors import TOOL_SPELLING, InvalidInput, MemoryServerError, NotFound
from mcp_memory.services.app import App

__all__ = ["routes"]

Handler = Callable[[Request], Awaitable[Any]]


def _dump(output: BaseModel) -> dict[str, Any]:
    return output.model_dump(mode="json", by_alias=True)


def _app(request: Request) -> App:
    app: App = request.app.state.memory_app
    return app


def _endpoint(work: Handler) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def run(request: Request) -> JSONResponse:
        try:
            return JSONResponse(await work(request))
        except NotFound as exc:
            return JSONResponse({"error": str(exc)}, status_code=404)
        except MemoryServerError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)

    return run


def _text(request: Request, name: str) -> str | None:
    value = request.query_params.get(name, "").strip()
    return value or None


def _int(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number, not {raw!r}.") from None


async def _body(request: Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError:
        raise InvalidInput("the request body must be a JSON object.") from None
    if not isinstance(data, dict):
        raise InvalidInput("the request body must be a JSON object.")
    return data


def _field(data: dict[str, Any], name: str, kind: type | tuple[type, ...], *, required: bool = False) -> Any:
    value = data.get(name)
    if value is None:
        if required:
            raise InvalidInput(f"{name} is missing.")
        return None
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise InvalidInput(f"{name} has the wrong type.")
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInput(f"{name} must be a finite number.")
    return value


async def memories(request: Request) -> dict[str, Any]:
    from mcp_memory.services.memories.curation import memory_page
    from mcp_memory.views.models import memory_out

    tag = _text(request, "tag")
    page = await memory_page(
        _app(request),
        project=_text(request, "project"),
        kind=_text(request, "kind"),
        tags=[tag] if tag else None,
        since=_text(request, "since"),
        until=_text(request, "until"),
        include_superseded=request.query_params.get("retired") == "1",
        offset=_int(request, "offset", 0),
        limit=_int(request, "limit", 50),
    )
    return {
        "memories": [_dump(memory_out(m)) for m in page.memories],
        "total": page.total,
        "offset": page.offset,
    }


async def search(request: Request) -> dict[str, Any]:
    from mcp_memory.services.search.hybrid import search_memories
    from mcp_memory.views.memories import search_view

    query = _text(request, "q")
    if query is None:
        raise InvalidInput("q (what to search for) is missing.")
    found = await search_memories(
        _app(request), query, project=_text(request, "project"), kind=_text(request, "kind"),
        limit=_int(request, "limit", 20),
    )  # fmt: skip
    out, _ = search_view(found, query, spelling=TOOL_SPELLING)
    return _dump(out)


async def memory(request: Request) -> dict[str, Any]:
    from mcp_memory.services.episodes.record import episodes_behind
    from mcp_memory.services.graph.entities import query_graph
    from mcp_memory.services.memories.history import memory_history
    from mcp_memory.services.memories.store import get_memories
    from mcp_memory.views.episodes import episode_out
    from mcp_memory.views.graph import subgraph_view
    from mcp_memory.views.history import history_view
    from mcp_memory.views.models import memory_out

    app, ident = _app(request), request.path_params["id"]
    got = await get_memories(app, [ident])
    if not got.memories:
        raise NotFound(f"no memory {ident}; it was deleted or forgotten, or never stored.")
    history, _ = history_view(await memory_history(app, ident))
    graph, _ = subgraph_view(await query_graph(app, memory_id=ident, depth=1))
    episodes = [_dump(episode_out(e)) for e in await episodes_behind(app, ident)]
    return {
        "memory": _dump(memory_out(got.memories[0])),
        "history": _dump(history),
        "graph": _dump(graph),
        "episodes": episodes,
    }


async def update(request: Request) -> dict[str, Any]:
    from mcp_memory.services.memories.changes import update_memory
    from mcp_memory.views.memories import update_view

    data = await _body(request)
    tags = _field(data, "tags", list)
    if tags is not None and not all(isinstance(t, str) for t in tags):
        raise InvalidInput("tags must be a list of texts.")
    result = await update_memory(
        _app(request),
        request.path_params["id"],
        content=_field(data, "content", str),
        tags=tags,
        kind=_field(data, "kind", str),
        importance=_field(data, "importance", (int, float)),
    )
    out, text = update_view(result)
    return {**_dump(out), "text": text}


async def delete(request: Request) -> dict[str, Any]:
    """Delete recoverably; the answer names the version `revert` brings back (the page's Undo)."""
    from mcp_memory.services.memories.changes import delete_memories
    from mcp_memory.services.memories.records import load_memories
    from mcp_memory.services.memories.store import resolve_id

    app, ident = _app(request), request.path_params["id"]
    rowid = resolve_id(ident)
    found = (await load_memories(app.db, [rowid])).get(rowid)  # not a read to count
    if found is None:
        raise NotFound(f"no memory {ident} to delete.")
    version = found.version
    result = await delete_memories(app, [ident])
    return {"deleted": list(result.deleted_ids), "undo": {"id": ident, "version": version}}


async def revert(request: Request) -> dict[str, Any]:
    from mcp_memory.services.memories.history import revert_memory
    from mcp_memory.views.history import revert_view

    data = await _body(request)
    version = _field(data, "version", int, required=True)
    out, text = revert_view(await revert_memory(_app(request), request.path_params["id"], version), version)
    return {**_dump(out), "text": text}


async def pin(request: Request) -> dict[str, Any]:
    from mcp_memory.services.memories.pins import set_pinned
    from mcp_memory.views.models import memory_out

    data = await _body(request)
    pinned = _field(data, "pinned", bool, required=True)
    done = await set_pinned(_app(request), request.path_params["id"], pinned, note=_field(data, "note", str))
    return _dump(memory_out(done))


async def retire(request: Request) -> dict[str, Any]:
    from mcp_memory.services.memories.curation import retire_memory

    data = await _body(request)
    by = _field(data, "replaced_by", str, required=True)
    return {"retired": list(await retire_memory(_app(request), request.path_params["id"], by)), "by": by}


async def forget(request: Request) -> dict[str, Any]:
    """Forget for good: only with `confirm` repeating the id (the page asks the person to type it)."""
    from mcp_memory.services.memories.history import forget_memories

    ident = request.path_params["id"]
    data = await _body(request)
    if _field(data, "confirm", str) != ident:
        raise InvalidInput(f"forgetting is permanent: send confirm={ident!r} to forget {ident}.")
    result = await forget_memories(_app(request), ids=[ident], dry_run=False)
    return {"forgotten": result.count, "missing": list(result.missing)}


async def timeline(request: Request) -> dict[str, Any]:
    from mcp_memory.services.search.browse import timeline as timeline_service
    from mcp_memory.views.browse import timeline_view

    buckets = await timeline_service(
        _app(request), project=_text(request, "project"), bucket=_text(request, "bucket") or "day",
        top=1, max_buckets=_int(request, "buckets", 60),
    )  # fmt: skip
    return _dump(timeline_view(buckets)[0])


async def graph(request: Request) -> dict[str, Any]:
    from mcp_memory.services.graph.entities import query_graph
    from mcp_memory.views.graph import subgraph_view

    name, query = _text(request, "name"), _text(request, "q")
    found = await query_graph(
        _app(request), name=name, query=None if name else (query or ""), depth=_int(request, "depth", 1)
    )
    return _dump(subgraph_view(found)[0])


async def episodes(request: Request) -> dict[str, Any]:
    from mcp_memory.services.episodes.record import list_episodes
    from mcp_memory.views.episodes import episodes_view

    found = await list_episodes(
        _app(request), project=_text(request, "project"), limit=_int(request, "limit", 20)
    )
    return _dump(episodes_view(found)[0])


async def stats(request: Request) -> dict[str, Any]:
    from mcp_memory.services.maintenance.doctor import health_checks
    from mcp_memory.services.maintenance.stats import collect_stats
    from mcp_memory.views.maintenance import health_view, stats_view

    app = _app(request)
    counts, _ = stats_view(await collect_stats(app))
    health, _ = health_view(await health_checks(app), spelling=TOOL_SPELLING)
    return {"stats": _dump(counts), "health": _dump(health), "project": app.default_project}


async def session_preview(request: Request) -> dict[str, Any]:
    """The block a new session starts with, built by the SessionStart hook's own code."""
    from mcp_memory.hooks.recall import preview_session_block

    app = _app(request)
    text = await anyio.to_thread.run_sync(
        lambda: preview_session_block(app.settings, project=_text(request, "project"))
    )
    return {"text": text}


async def context_preview(request: Request) -> dict[str, Any]:
    """What memory_context gives for a typed task."""
    from mcp_memory.services.search.context import build_context
    from mcp_memory.views.browse import context_view

    found = await build_context(
        _app(request), query=_text(request, "task"), token_budget=_int(request, "budget", 2000),
        project=_text(request, "project"),
    )  # fmt: skip
    return _dump(context_view(found)[0])


async def stamp(request: Request) -> dict[str, Any]:
    from mcp_memory.services.memories.curation import write_stamp

    return {"stamp": await write_stamp(_app(request))}


def routes() -> list[Route]:
    """Every endpoint, with the methods it answers (others get 405)."""
    table: list[tuple[str, Handler, str]] = [
        ("/api/memories", memories, "GET"),
        ("/api/search", search, "GET"),
        ("/api/memories/{id}", memory, "GET"),
        ("/api/memories/{id}", update, "POST"),
        ("/api/memories/{id}", delete, "DELETE"),
        ("/api/memories/{id}/revert", revert, "POST"),
        ("/api/memories/{id}/pin", pin, "POST"),
        ("/api/memories/{id}/retire", retire, "POST"),
        ("/api/memories/{id}/forget", forget, "POST"),
        ("/api/timeline", timeline, "GET"),
        ("/api/graph", graph, "GET"),
        ("/api/episodes", episodes, "GET"),
        ("/api/stats", stats, "GET"),
        ("/api/preview/session", session_preview, "GET"),
        ("/api/preview/context", context_preview, "GET"),
        ("/api/stamp", stamp, "GET"),
    ]
    return [Route(path, _endpoint(work), methods=[method]) for path, work, method in table]
