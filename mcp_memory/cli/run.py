"""The `mcp-memory` command. With no command it serves MCP over stdio (what client configs run);
the other commands work on the same database, through the same service functions, without a client.

Human-readable output by default, `--json` for scripts. Errors: one line on stderr, exit code 1.
"""

from __future__ import annotations

import argparse
import json
import os
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
        db_path=args.db,
        database_url=args.database_url,
        project=args.project,
        embedding_model=args.model,
        log_level=args.log_level,
    )


def _jsonable(value: Any, key: str = "") -> Any:
    """A service result as JSON: dataclasses as objects, times (`*_at` epoch seconds) as ISO 8601."""
    if hasattr(value, "model_dump"):  # a view's structured output: exactly what the tool returns
        from mcp_memory.views.models import structured

        return structured(value)
    if is_dataclass(value) and not isinstance(value, type):
        return _jsonable(asdict(value))
    if isinstance(value, dict):
        return {str(k): _jsonable(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if key.endswith("_at") and isinstance(value, int | float) and not isinstance(value, bool):
        from mcp_memory.timeparse import format_time

        return format_time(float(value))
    return value


def _emit(args: argparse.Namespace, data: Any, text: str) -> None:
    if args.json:
        if callable(data) and not isinstance(data, type):
            data = data()  # built only now: a plain-text run never imports the views
        print(json.dumps(_jsonable(data), indent=2, ensure_ascii=False, default=str))
    else:
        print(text)


def _for_the_command_line(exc: MemoryServerError, command: str) -> str:
    """The error on one line, its hints in the command line's terms (flags and commands)."""
    from mcp_memory.cli.spelling import CommandLineSpelling

    return " ".join(exc.message.spelled(CommandLineSpelling(command)).split())


#: Said once on stderr when the server starts with a terminal for its input (stdout stays the protocol's).
TERMINAL_NOTE = (
    "mcp-memory: serving MCP (JSON-RPC) on stdin/stdout, for an MCP client to start; it waits for one. "
    "Ctrl-C stops it. Try `mcp-memory --help` for the commands, `mcp-memory init` to add it to your "
    "clients, or `npx @modelcontextprotocol/inspector mcp-memory` to call its tools by hand."
)


def _note_on_a_terminal() -> None:
    """A person who runs the server by hand sees why it waits; a client's pipe never gets this."""
    if sys.stdin is not None and sys.stdin.isatty():
        print(TERMINAL_NOTE, file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `mcp-memory` command; returns the exit code."""
    args = build_parser().parse_args(argv)
    command = args.command or "serve"
    try:
        settings = _settings(args)
        from mcp_memory.logs import configure_logging

        configure_logging(settings.log_level if command == "serve" or args.log_level else "WARNING")
        if command == "serve":
            _note_on_a_terminal()
            from mcp_memory.embeddings.hosted import EarlyHost, hosting_supported

            # The model's process starts first and loads while this one imports the MCP SDK.
            early = EarlyHost(settings) if hosting_supported() else None
            from mcp_memory.mcp.server import run_stdio

            run_stdio(settings, early)
            return 0
        if command == "hook":
            from mcp_memory.hooks.run import main as hook_main

            return hook_main([args.client, args.event])
        if command == "completion":
            from mcp_memory.cli.completion import completion_script

            print(completion_script(build_parser(), args.shell))
            return 0
        from mcp_memory.cli.quick import quick_output

        # stats, recent and get answer through a plain connection when they can (`cli.quick`).
        quick = quick_output(command, args, settings)
        if quick is not None:
            if quick.text or args.json:
                _emit(args, quick.data, quick.text)
            return quick.exit_code
        from mcp_memory.cli import commands

        handler: Callable[[argparse.Namespace, Settings], commands.Output] = getattr(
            commands, f"cmd_{command}"
        )
        output = handler(args, settings)
        if output.text or args.json:
            _emit(args, output.data, output.text)
        return output.exit_code
    except MemoryServerError as exc:
        print(f"mcp-memory: {_for_the_command_line(exc, command)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep Python from complaining on exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
