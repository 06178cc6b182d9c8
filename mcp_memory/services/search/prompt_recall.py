"""The memories a prompt brings into an agent's context unasked (the UserPromptSubmit hook), found by
a running server's hybrid search: at most PROMPT_MAX, above search's relevance floor, none the
session has already been shown (its row in `hook_sessions` keeps them), none a newer result
outdates, and only one near the prompt in meaning or clearly relevant (`worth_unasked`).

The server answers this for its user's hooks over the local socket (`mcp.hook_socket`), so the hook
opens no database on the prompt path (on Postgres it would import the driver first: 300 ms). The
hook's own fallback without a server, by the prompt's words, is `hooks.recall.prompt_memories`.
Only constants and a pure function at import: the hook process imports this module too.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time: a hook process imports this module
if TYPE_CHECKING:
    from mcp_memory.services.app import App

__all__ = ["PROMPT_MAX", "prompt_recall", "worth_unasked"]

#: At most this many memories enter the context with one prompt.
PROMPT_MAX = 3
#: A memory enters the context unasked only when its meaning is near the prompt's (the similarity of
#: their vectors) or its relevance is clear: a weak match carried by one shared word alone ("login"
#: in a memory about feature toggles) is for a search the agent asks for, not for every prompt.
PROMPT_SIMILARITY = 0.3
PROMPT_CLEAR = 0.5


def worth_unasked(relevance: float, similarity: float | None, floor: float) -> bool:
    """Whether a search result may enter the context without being asked for."""
    near = similarity is not None and similarity >= PROMPT_SIMILARITY
    return relevance >= floor and (near or relevance >= PROMPT_CLEAR)


async def prompt_recall(
    app: App, *, session_id: str, client: str, project: str, prompt: str, floor: float
) -> list[tuple[int, str, float]]:
    """(id, content, relevance) of the memories `prompt` brings into the session `session_id` (of
    `project`, '' for global), best first; they are recorded as shown, so none comes twice."""
    import time

    from mcp_memory.limits import MAX_LIMIT
    from mcp_memory.services.search.hybrid import search_memories
    from mcp_memory.storage import hook_state
    from mcp_memory.storage.ids import rowid_of
    from mcp_memory.storage.query import Transaction

    async def add(tx: Transaction) -> None:
        if await hook_state.read_session(tx, session_id) is None:
            await hook_state.add_session(tx, session_id, client, project, time.time())

    # A write transaction only on the session's first prompt: later ones just read its row.
    known = await hook_state.read_session(app.db, session_id)
    if known is None:
        await app.db.write(add)
    seen = set(known.injected) if known is not None else set()
    found = await search_memories(
        app,
        prompt,
        project=project or "global",
        limit=min(MAX_LIMIT, PROMPT_MAX + 2 + len(seen)),
        min_relevance=floor,
    )
    chosen: list[tuple[int, str, float]] = []
    for hit in found.hits:
        rowid = rowid_of(hit.memory.id)
        if hit.outdated_by or rowid in seen or not worth_unasked(hit.relevance, hit.similarity, floor):
            continue
        chosen.append((rowid, hit.memory.content, hit.relevance))
        if len(chosen) == PROMPT_MAX:
            break
    if chosen:

        async def note(tx: Transaction) -> None:
            known = await hook_state.read_injected(tx, session_id)
            ids = list(dict.fromkeys([*known, *(rowid for rowid, _, _ in chosen)]))
            await hook_state.set_injected(tx, session_id, ids, time.time())

        await app.db.write(note)
    return chosen
