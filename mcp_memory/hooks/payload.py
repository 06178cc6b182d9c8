"""The events of Claude Code's and Cursor's hooks, normalised into one `HookEvent`."""

from __future__ import annotations

import json
import re
from pathlib import Path

TYPE_CHECKING = False  # typing is not imported at run time: a hook process starts faster
if TYPE_CHECKING:
    from typing import Any

__all__ = ["CLIENTS", "EVENTS", "HookEvent", "parse_event"]

#: Clients and the events each sends, by the name used on the command line
#: (`mcp-memory hook <client> <event>`), each mapped to what it means here.
EVENTS: dict[str, dict[str, str]] = {
    "claude-code": {
        "session-start": "session-start",
        "user-prompt-submit": "prompt",
        "post-tool-use": "tool",
        "post-tool-use-failure": "tool-failure",
        "stop": "stop",
        "session-end": "session-end",
    },
    "cursor": {
        "before-submit-prompt": "prompt",
        "after-shell-execution": "tool",
        "stop": "stop",
    },
}
CLIENTS = tuple(EVENTS)
#: Tool output kept for an episode step or a lesson: its last lines, at most this many characters.
OUTPUT_TAIL = 600
_TAIL_LINES = 6


def _key(name: str) -> str:
    return name.replace("_", "").replace("-", "").lower()


class HookEvent:
    """One hook call. `kind` is what it means: session-start, prompt, tool, stop or session-end. For
    a shell command `command` is set, `failed` says whether it failed and `output` holds the last
    lines. (A plain class: `dataclasses` would cost a hook process 20-30 ms of imports.)"""

    __slots__ = (
        "client",
        "command",
        "cwd",
        "failed",
        "kind",
        "last_message",
        "output",
        "prompt",
        "session_id",
        "source",
    )

    def __init__(
        self,
        *,
        client: str,
        kind: str,
        session_id: str,
        cwd: Path | None,
        source: str | None = None,
        prompt: str | None = None,
        command: str | None = None,
        output: str = "",
        failed: bool | None = None,
        last_message: str | None = None,
    ) -> None:
        self.client = client
        self.kind = kind
        self.session_id = session_id
        self.cwd = cwd
        self.source = source
        self.prompt = prompt
        self.command = command
        self.output = output
        self.failed = failed
        self.last_message = last_message


def event_kind(client: str, event: str) -> str | None:
    """What `event` of `client` means, or None when it is not one handled here. Accepts the
    client's own spelling too (SessionStart, afterShellExecution)."""
    table = EVENTS.get(client, {})
    wanted = _key(event)
    return next((kind for name, kind in table.items() if _key(name) == wanted), None)


def tail(text: str) -> str:
    """The last few non-empty lines of `text`, at most OUTPUT_TAIL characters."""
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    kept = "\n".join(lines[-_TAIL_LINES:])
    return kept[-OUTPUT_TAIL:]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "\n".join(_text(v) for v in value)
    if isinstance(value, dict):
        for key in ("text", "content", "output", "stdout", "stderr", "error"):
            if key in value:
                return _text(value[key])
        return json.dumps(value)
    return str(value)


def _exit_code(response: Any) -> int | None:
    if not isinstance(response, dict):
        return None
    for key in ("exit_code", "exitCode", "returnCode", "return_code", "code", "status"):
        value = response.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


_EXIT_CODE = re.compile(r"exit code [1-9]")
_FAILURE_MARKS = ("command not found", "traceback (most recent call last)", "exit code", "npm err!", "fatal:")


def _looks_failed(output: str) -> bool:
    """For a client that gives no exit code (Cursor): an output ending in a clear failure (an error,
    a traceback, "command not found", ...) counts as failed, anything else as worked."""
    last = output.lower()[-OUTPUT_TAIL:]
    return any(mark in last for mark in _FAILURE_MARKS) or "error" in last or "failed" in last


def parse_event(client: str, event: str, raw: str) -> HookEvent | None:
    """The event in `raw` (the JSON on stdin), or None when it is not one to act on."""
    kind = event_kind(client, event)
    if kind is None:
        return None
    data = json.loads(raw) if raw.strip() else {}
    if not isinstance(data, dict):
        return None
    session = str(data.get("session_id") or data.get("conversation_id") or "")
    roots = data.get("workspace_roots") or []
    where = data.get("cwd") or (roots[0] if isinstance(roots, list) and roots else None)
    cwd = Path(str(where)) if where else None
    common: dict[str, Any] = {"client": client, "kind": kind, "session_id": session, "cwd": cwd}
    if kind == "session-start":
        return HookEvent(**common, source=str(data.get("source") or "startup"))
    if kind == "prompt":
        return HookEvent(**common, prompt=str(data.get("prompt") or ""))
    if kind in ("stop", "session-end"):
        last = data.get("last_assistant_message")
        return HookEvent(**common, last_message=str(last) if last else None)
    # A tool: only commands (Claude Code's Bash and any tool whose input has a command; Cursor's shell).
    tool_input = data.get("tool_input") if isinstance(data.get("tool_input"), dict) else {}
    command = str(data.get("command") or (tool_input or {}).get("command") or "").strip()
    if not command:
        return None
    if kind == "tool-failure":
        output = tail(_text(data.get("error")) or _text(data.get("tool_response")))
        return HookEvent(**{**common, "kind": "tool"}, command=command, output=output, failed=True)
    response = data.get("tool_response", data.get("output"))
    output = _text(response)
    code = _exit_code(response) if response is not None else _exit_code(data)
    if isinstance(response, dict) and response.get("interrupted"):
        return None
    if code is not None:
        failed: bool | None = code != 0
    elif client == "claude-code":
        # Claude Code sends a failed command to PostToolUseFailure; older versions put "Exit code N"
        # in the response of PostToolUse.
        failed = _EXIT_CODE.search(output[-OUTPUT_TAIL * 4 :].lower()) is not None
    else:
        failed = _looks_failed(output)
    return HookEvent(**common, command=command, output=tail(output), failed=failed)
