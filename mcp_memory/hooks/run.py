"""`mcp-memory hook <client> <event>`: one hook call, from the JSON on stdin to what the client reads.

Rules for every hook: it never blocks or fails the client. Whatever goes wrong (no database yet, a
database another process holds longer than HOOK_BUSY_MS, a payload of an unknown shape) ends with
exit code 0, nothing on stdout and one line on stderr. No network, no model, no language model: a
prompt is searched by meaning only by asking a running server of the same user over its local socket
(`mcp_memory.local_socket`, at most 150 ms), else by its words.
`MCP_MEMORY_HOOK_RECALL=false` turns off what enters the context, `MCP_MEMORY_HOOK_CAPTURE=false`
what is recorded.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from mcp_memory.config import Settings
from mcp_memory.hooks.db import HookDatabase, HookSession
from mcp_memory.hooks.payload import CLIENTS, EVENTS, HookEvent, parse_event
from mcp_memory.projects import project_from_path, stored_project

__all__ = ["HOOK_BUSY_MS", "handle", "main"]

#: A hook waits at most this long for another process's write (the client is waiting on it).
HOOK_BUSY_MS = 2000
_CONTEXT_EVENTS = {"session-start": "SessionStart", "prompt": "UserPromptSubmit"}


def _project(settings: Settings, event: HookEvent) -> str:
    """The session's project as stored: the configured one ('' for global), else the checkout's."""
    return stored_project(settings.project, project_from_path(event.cwd or settings.cwd))


def _context(event: HookEvent, text: str) -> str:
    """What a Claude Code hook prints for `text` to enter the model's context."""
    if not text or event.client != "claude-code" or event.kind not in _CONTEXT_EVENTS:
        return ""
    name = _CONTEXT_EVENTS[event.kind]
    return json.dumps({"hookSpecificOutput": {"hookEventName": name, "additionalContext": text}})


def handle(client: str, event_name: str, raw: str, settings: Settings) -> str:
    """Act on one event; what to print on stdout ('' for nothing)."""
    event = parse_event(client, event_name, raw)
    if event is None or not event.session_id:
        return ""
    from mcp_memory.hooks import db

    settings = settings.replace(busy_timeout_ms=min(settings.busy_timeout_ms, HOOK_BUSY_MS))
    if event.kind == "prompt":
        if not settings.hook_recall or client != "claude-code" or not event.prompt:
            return ""
        served = _served_prompt(settings, event, client)
        if served is not None:  # a running server answered: no database opened here
            return served
    conn = db.open_database(settings)
    if conn is None:
        return ""
    try:
        hook = db.session(conn, client, event.session_id, _project(settings, event))
        if event.kind == "session-start":
            db.forget_old(conn)
            if not settings.hook_recall:
                return ""
            from mcp_memory.hooks.recall import session_block

            text, ids = session_block(
                conn, hook, budget_tokens=settings.hook_budget_tokens, compacted=event.source == "compact"
            )
            db.note_injected(conn, hook.session_id, ids)
            return _context(event, text)
        if event.kind == "prompt":
            from mcp_memory.hooks.recall import prompt_block, prompt_memories
            from mcp_memory.services.memories.redaction import drop_private

            # No server answered: the prompt's words alone.
            found = prompt_memories(
                conn, hook, drop_private(event.prompt or "").text, floor=settings.min_relevance
            )
            if not found:
                return ""
            db.note_injected(conn, hook.session_id, [ident for ident, _, _ in found])
            return _context(event, prompt_block(found))
        if event.kind == "tool":
            if not settings.hook_capture or event.command is None or event.failed is None:
                return ""
            from mcp_memory.hooks.capture import note_recurrence, record_command, store_lesson

            lesson = record_command(conn, settings, hook, event.command, event.output, event.failed)
            if lesson is not None:
                import anyio

                if lesson.recurs is not None:
                    anyio.run(note_recurrence, settings, lesson)
                else:
                    anyio.run(store_lesson, settings, hook.project, lesson)
            return ""
        # stop / session-end
        if settings.hook_capture:
            from mcp_memory.hooks.capture import close_episode, pending_steps

            if pending_steps(conn, hook):
                import anyio

                anyio.run(close_episode, settings, conn, hook, client)
        if client == "cursor" and settings.hook_recall and event.cwd is not None:
            _refresh_rules(conn, hook, event.cwd, settings)
        if event.kind == "session-end" and settings.hook_keep_last_message and event.last_message:
            _keep_last_message(settings, hook.project, event.last_message)
        return ""
    finally:
        conn.close()


def _served_prompt(settings: Settings, event: HookEvent, client: str) -> str | None:
    """What the prompt hook prints when a running server of this database answers (by meaning, its
    model; the session's record kept there), else None."""
    from mcp_memory.hooks.recall import prompt_block, served_prompt
    from mcp_memory.services.memories.redaction import drop_private

    prompt = drop_private(event.prompt or "").text
    if not prompt.strip():
        return ""
    found = served_prompt(
        settings, event.session_id, client, _project(settings, event), prompt, floor=settings.min_relevance
    )
    if found is None:
        return None
    return _context(event, prompt_block(found)) if found else ""


def _refresh_rules(conn: HookDatabase, hook: HookSession, project_dir: Path, settings: Settings) -> None:
    """Cursor cannot inject text: its rules file, when the user asked for one (`init --cursor-rules`),
    is rewritten with the session block at every stop. Never created here."""
    from mcp_memory.hooks.install import RULES_FILE, write_rules
    from mcp_memory.hooks.recall import session_block

    if not (project_dir / RULES_FILE).exists():
        return
    text, _ = session_block(conn, hook, budget_tokens=settings.hook_budget_tokens, compacted=False)
    write_rules(project_dir, text)


def _keep_last_message(settings: Settings, project: str, message: str) -> None:
    import anyio

    async def store() -> None:
        from mcp_memory.services.app import open_app
        from mcp_memory.services.memories.store import store_memory

        async with open_app(settings) as app:
            await store_memory(
                app, message[:4000], kind="session", tags=["hook"], project=project or "global"
            )

    anyio.run(store)


def main(argv: Sequence[str]) -> int:
    """The `hook` command: `argv` is [client, event]. Always 0 (see the module's note)."""
    try:
        if len(argv) != 2 or argv[0] not in CLIENTS:
            known = "; ".join(f"{c}: {', '.join(EVENTS[c])}" for c in CLIENTS)
            print(f"usage: mcp-memory hook <client> <event> ({known})", file=sys.stderr)
            return 0
        raw = sys.stdin.read()
        settings = Settings.load(os.environ)
        out = handle(argv[0], argv[1], raw, settings)
        if out:
            sys.stdout.write(out + "\n")
            sys.stdout.flush()
    except Exception as exc:  # a hook never fails its client
        print(f"mcp-memory hook {' '.join(argv)}: {type(exc).__name__}: {exc}", file=sys.stderr)
    return 0


def _entry() -> None:  # pragma: no cover - `python -m mcp_memory.hooks.run`
    raise SystemExit(main(sys.argv[1:]))


if __name__ == "__main__":  # pragma: no cover
    _entry()
