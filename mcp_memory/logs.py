"""Logging: structlog to stderr, never stdout, which belongs to JSON-RPC.

structlog is imported on the first message that passes the level, not before: a command-line call
that logs nothing (most of them, at WARNING) or a hook never pays for it (structlog imports `rich`
when that is installed: 0.3 s).
"""

from __future__ import annotations

import logging
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["configure_logging", "get_logger"]

_LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}
_METHODS = {"debug": 10, "info": 20, "warning": 30, "warn": 30, "error": 40, "exception": 40, "critical": 50}
#: The level and format asked for; structlog is set up from them on first use.
_wanted: dict[str, Any] = {"level": logging.INFO, "json": False, "configured": False, "ready": False}


class _Stderr:
    """Whatever sys.stderr is at the moment of writing (test runners and hosts replace it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(level: str = "INFO", *, json: bool = False) -> None:
    """Send structlog (set up on its first message) and the standard library's logging to stderr at
    `level`."""
    numeric = _LEVELS.get(level.upper(), logging.INFO)
    _wanted.update(level=numeric, json=json, configured=True, ready=False)
    # Libraries (mcp, onnxruntime, fastembed) log through the standard library: same stream, same level.
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(_Stderr())
    handler.setFormatter(logging.Formatter("%(asctime)s [%(levelname)s] %(name)s: %(message)s"))
    root.addHandler(handler)
    # Library chatter (per-request INFO lines from the SDK) only from WARNING up, unless we ask for DEBUG.
    root.setLevel(numeric if numeric <= logging.DEBUG else max(numeric, logging.WARNING))


def _structlog() -> Any:
    import structlog

    if not _wanted["ready"]:
        if not _wanted["configured"]:
            configure_logging("INFO")
        renderer = (
            structlog.processors.JSONRenderer()
            if _wanted["json"]
            else structlog.dev.ConsoleRenderer(colors=False)
        )
        structlog.configure(
            processors=[
                structlog.processors.add_log_level,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                structlog.processors.format_exc_info,
                renderer,
            ],
            wrapper_class=structlog.make_filtering_bound_logger(_wanted["level"]),
            logger_factory=structlog.PrintLoggerFactory(file=_Stderr()),  # type: ignore[arg-type]
            cache_logger_on_first_use=False,
        )
        _wanted["ready"] = True
    return structlog


class _Logger:
    """A structlog logger bound to a module's name, made on the first message that passes the level."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, method: str) -> Any:
        level = _METHODS.get(method)
        if level is not None and level < _wanted["level"]:
            return _ignore
        return getattr(_structlog().get_logger(self._name), method)


def _ignore(*_: Any, **__: Any) -> None:
    return None


def get_logger(name: str) -> Any:
    """A logger for a module: `debug`, `info`, `warning`, `error`, `exception` with key-value pairs,
    printed to stderr by structlog (configured to stderr first if nothing configured logging yet:
    structlog's own default would print to stdout)."""
    return _Logger(name)
