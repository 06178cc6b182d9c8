"""The local socket a running server offers its own user's hooks, and the hooks' side of it.

A hook has no model (loading one per prompt is too slow); the MCP server a client runs for its
session usually has one loaded. So each server listens on a Unix socket of its own,
`<data_dir>/run/<key>-<pid>.sock`, where `key` names the database it serves (the SQLite file's
resolved path, or the Postgres URL with its member), so a hook only ever asks a server of its own
database, as the same member. The folder is 0700 and each socket 0600: nobody but the user can
connect; the server also refuses a peer of another uid where the system tells it (SO_PEERCRED).
A hook trusts only sockets of its own user in a folder nobody else may enter (else it asks none).

One request per connection, one JSON object per line each way; the hook waits at most
MCP_MEMORY_HOOK_SERVER_WAIT_MS (150 ms) in all and otherwise does without. No network, no daemon: when no server runs there is no socket.
Only the standard library here (the prompt path is measured in milliseconds).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import stat
import time
from pathlib import Path

TYPE_CHECKING = False  # typing is not imported at run time: a hook process starts faster
if TYPE_CHECKING:
    from typing import Any

    from mcp_memory.config import Settings

__all__ = [
    "MAX_LINE",
    "ask",
    "database_key",
    "live_sockets",
    "owned",
    "socket_folder",
    "socket_path",
    "supported",
]

#: The longest line either side sends or accepts (a prompt, or the few memories of an answer).
MAX_LINE = 256 * 1024
#: Servers tried, newest first, before a hook does without.
_TRIED = 3
#: Unix socket paths are limited to 108 bytes on Linux (104 on macOS).
_MAX_PATH = 100


def supported() -> bool:
    """Whether this system has Unix sockets (not every Windows Python does)."""
    return hasattr(socket, "AF_UNIX")


def socket_folder(settings: Settings) -> Path:
    """The 0700 folder of the sockets, in the data directory."""
    return settings.data_dir.expanduser() / "run"


def database_key(settings: Settings) -> str:
    """A short name for the database `settings` open, the same in a hook and in its server."""
    where = settings.database_url or str(settings.database.resolve())
    return hashlib.sha256(where.encode()).hexdigest()[:12]


def socket_path(settings: Settings, pid: int) -> Path | None:
    """The socket of the server process `pid`; None when the path would be too long for one."""
    path = socket_folder(settings) / f"{database_key(settings)}-{pid}.sock"
    return path if len(os.fsencode(path)) <= _MAX_PATH else None


def _pid_of(path: Path) -> int:
    try:
        return int(path.stem.rsplit("-", 1)[1])
    except (IndexError, ValueError):
        return 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except OSError:  # another user's process: alive, not ours
        return True
    return pid > 0


def owned(path: Path) -> os.stat_result | None:
    """`path`'s own status (a symlink is not followed) when this user owns it, else None."""
    try:
        info = path.lstat()
    except OSError:
        return None
    return info if not hasattr(os, "getuid") or info.st_uid == os.getuid() else None


def _private_folder(folder: Path) -> bool:
    """Whether `folder` is a real directory of this user that nobody else may enter."""
    info = owned(folder)
    return info is not None and stat.S_ISDIR(info.st_mode) and not info.st_mode & 0o077


def _own_socket(path: Path) -> bool:
    info = owned(path)
    return info is not None and stat.S_ISSOCK(info.st_mode)


def live_sockets(settings: Settings) -> list[Path]:
    """The sockets of the servers of this database whose process still runs, newest first. A socket
    left by a server that died is removed on the way."""
    folder = socket_folder(settings)
    if not _private_folder(folder):  # not ours alone: no socket in it is trusted
        return []
    try:
        found = list(folder.glob(f"{database_key(settings)}-*.sock"))
    except OSError:
        return []
    live = []
    for path in found:
        if not _own_socket(path):
            continue
        if _alive(_pid_of(path)):
            live.append(path)
            continue
        with contextlib.suppress(OSError):
            path.unlink()

    def started(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except OSError:
            return 0.0

    return sorted(live, key=started, reverse=True)


def _exchange(path: Path, request: bytes, deadline: float) -> dict[str, Any] | None:
    """One request to the socket at `path`, its answer read until `deadline` (None if none)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(max(0.001, deadline - time.monotonic()))
        sock.connect(str(path))
        sock.sendall(request)
        answer = bytearray()
        while not answer.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or len(answer) > MAX_LINE:
                return None
            sock.settimeout(left)
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        found = json.loads(answer.decode())
        return found if isinstance(found, dict) else None
    except (OSError, ValueError, RecursionError):
        return None
    finally:
        sock.close()


def ask(
    settings: Settings, request: dict[str, Any], *, seconds: float | None = None
) -> dict[str, Any] | None:
    """The first answer with status 'ok' from a running server of this database, within `seconds`
    (default: the settings' MCP_MEMORY_HOOK_SERVER_WAIT_MS); None when none runs, none answers in time
    or none can (its model is not loaded: asking wakes it)."""
    if not supported():
        return None
    wait = settings.hook_server_wait_ms / 1000 if seconds is None else seconds
    deadline = time.monotonic() + wait
    line = (json.dumps(request) + "\n").encode()
    if len(line) > MAX_LINE:
        return None
    for path in live_sockets(settings)[:_TRIED]:
        if time.monotonic() >= deadline:
            break
        answer = _exchange(path, line, deadline)
        if answer is not None and answer.get("status") == "ok":
            return answer
    return None
