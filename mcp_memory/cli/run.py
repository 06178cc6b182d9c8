"""The `mcp-memory` command. With no command it serves MCP over stdio (what client configs run);
the other commands work on the same database, through the same service functions, without a client.

Human-readable output by default, `--json` for scripts. Errors: one line on stderr, exit code 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, is_dataclass
from typing import Any

from mcp_memory.cli.parser import build_parser
from mcp_memory.config import Settings
from mcp_memory.errors import MemoryServerError

__all__ = ["main"]


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.load(
        db_path=args.db, project=args.project, embedding_model=args.model, log_level=args.log_level
    )


def _jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return _jsonable(asdict(value))
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _emit(args: argparse.Namespace, data: Any, text: str) -> None:
    if args.json:
        print(json.dumps(_jsonable(data), indent=2, ensure_ascii=False, default=str))
    else:
        print(text)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `mcp-memory` command; returns the exit code."""
    args = build_parser().parse_args(argv)
    command = args.command or "serve"
    try:
        settings = _settings(args)
        from mcp_memory.logs import configure_logging

        configure_logging(settings.log_level if command == "serve" or args.log_level else "WARNING")
        if command == "serve":
            from mcp_memory.mcp.server import run_stdio

            run_stdio(settings)
            return 0
        if command == "completion":
            from mcp_memory.cli.completion import completion_script

            print(completion_script(build_parser(), args.shell))
            return 0
        from mcp_memory.cli import commands

        handler: Callable[[argparse.Namespace, Settings], commands.Output] = getattr(
            commands, f"cmd_{command}"
        )
        output = handler(args, settings)
        if output.text or args.json:
            _emit(args, output.data, output.text)
        return output.exit_code
    except MemoryServerError as exc:
        print(f"mcp-memory: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
