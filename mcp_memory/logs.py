"""Logging: structlog to stderr, never stdout, which belongs to JSON-RPC."""

from __future__ import annotations

import logging
import sys

import structlog

__all__ = ["configure_logging", "get_logger"]

_LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}


class _Stderr:
    """Whatever sys.stderr is at the moment of writing (test runners and hosts replace it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(level: str = "INFO", *, json: bool = False) -> None:
    """Send structlog and the standard library's logging to stderr at `level`."""
    numeric = _LEVELS.get(level.upper(), logging.INFO)
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=_Stderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
    # Libraries (mcp, onnxruntime, fastembed) log through the standard library: same stream, same level.
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(_Stderr())
    handler.setFormatter(logging.Formatter("%(asctime)s [%(levelname)s] %(name)s: %(message)s"))
    root.addHandler(handler)
    # Library chatter (per-request INFO lines from the SDK) only from WARNING up, unless we ask for DEBUG.
    root.setLevel(numeric if numeric <= logging.DEBUG else max(numeric, logging.WARNING))


def get_logger(name: str) -> structlog.typing.FilteringBoundLogger:
    """A structlog logger bound to a module name. If nothing configured logging yet (a library user,
    a test), it is configured to stderr first: structlog's own default would print to stdout."""
    if not structlog.is_configured():
        configure_logging("INFO")
    logger: structlog.typing.FilteringBoundLogger = structlog.get_logger(name)
    return logger
