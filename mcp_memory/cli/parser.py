"""The `mcp-memory` command's arguments: every command, flag and its help, in one argparse parser
(completion scripts and the README's command list are generated from it)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from mcp_memory import __version__
from mcp_memory.config import SETTINGS_DOC
from mcp_memory.hooks.payload import EVENTS
from mcp_memory.limits import MERGE_SIMILARITY

__all__ = ["build_parser"]


def _common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    # On subcommands the defaults are suppressed, so `mcp-memory --db X search q` keeps X.
    kw: dict[str, Any] = {} if top else {"default": argparse.SUPPRESS}
    parser.add_argument(
        "--db", help="database file (default: MCP_MEMORY_DB or the user data directory)", **kw
    )
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="a shared Postgres for team memory instead of the file (MCP_MEMORY_DATABASE_URL)",
        **kw,
    )
    parser.add_argument(
        "--project", help="project for new memories and default searches (MCP_MEMORY_PROJECT)", **kw
    )
    parser.add_argument("--model", help="embedding model (MCP_MEMORY_EMBEDDING_MODEL)", **kw)
    parser.add_argument("--log-level", help="DEBUG, INFO, WARNING or ERROR (MCP_MEMORY_LOG_LEVEL)", **kw)
    parser.add_argument("--json", action="store_true", help="print JSON instead of text", **kw)


#: Adds a subcommand (name, help) with the common options and returns its parser (`build_parser`).
_Command = Callable[[str, str], argparse.ArgumentParser]


def _add_selection(p: argparse.ArgumentParser) -> None:
    """The ids and filters that choose the memories `forget` and `tag` act on."""
    p.add_argument("ids", nargs="*", help="ids such as m_12 (or choose by the filters below)")
    p.add_argument(
        "--where-tag", action="append", dest="where_tags", help="memories with this tag (repeatable)"
    )
    p.add_argument("--kind", help="memories of this kind")
    p.add_argument("--in", dest="scope", help="project scope: a name, 'global', or '*' for all")
    p.add_argument("--since", help="created at or after: ISO 8601 or e.g. 'last week'")
    p.add_argument("--until", help="created before: ISO 8601 or relative")


def _add_store_and_search(command: _Command) -> None:
    """`store` and `search`."""
    p = command("store", "Store a memory (text as argument, or '-' to read it from stdin).")
    p.add_argument("content", help="the text to remember, or - for stdin")
    p.add_argument("--tag", "-t", action="append", dest="tags", help="a tag (repeatable)")
    p.add_argument("--kind", help="note (default), fact, decision, preference, lesson, ...")
    p.add_argument("--importance", type=float, help="0 trivial .. 1 critical (default 0.5)")
    p.add_argument("--pinned", action="store_true", help="pin the memory")
    p.add_argument("--expires", help="when it expires: ISO 8601 or e.g. 'in 7 days'")
    p.add_argument(
        "--for-project", dest="memory_project", help="store under this project ('global' for none)"
    )
    p.add_argument(
        "--visibility",
        choices=["team", "private"],
        help="on a shared team database: team (default, MCP_MEMORY_VISIBILITY) or private (you alone)",
    )
    p.add_argument(
        "--supersedes",
        action="append",
        metavar="ID",
        help="an older memory this one replaces, e.g. m_12 (repeatable): it is retired, not deleted "
        "(out of search and context, history kept; `revert` brings it back)",
    )

    p = command("search", "Search memories by meaning and keywords.")
    p.add_argument("query", help="what to look for")
    p.add_argument("--limit", "-n", type=int, default=10, help="at most this many results (default 10)")
    p.add_argument(
        "--min-relevance",
        type=float,
        metavar="R",
        help="leave out results under this relevance, 0-1 (default: MCP_MEMORY_MIN_RELEVANCE, 0.3; 0 shows all)",
    )
    p.add_argument(
        "--tag", "-t", action="append", dest="tags", help="only memories with this tag (repeatable)"
    )
    p.add_argument("--all-tags", action="store_true", help="require every --tag, not any")
    p.add_argument("--kind", help="only this kind")
    p.add_argument("--in", dest="scope", help="project scope: a name, 'global', or '*' for all")
    p.add_argument("--since", help="created at or after: ISO 8601 or e.g. 'last week'")
    p.add_argument("--until", help="created before: ISO 8601 or relative")
    p.add_argument(
        "--mode", choices=["hybrid", "semantic", "keyword"], default="hybrid", help="default hybrid"
    )


def _add_team(command: _Command) -> None:
    """`team` (the shared Postgres's setup and members) and `migrate` (into it and out of it)."""
    p = command(
        "team",
        "Team memory on a shared Postgres with pgvector, run by its administrator: `team setup` creates "
        "the schema, roles and privacy policies; `team add NAME` adds a member who connects as NAME. "
        "Pass the administrator's connection as --database-url.",
    )
    p.add_argument(
        "action", choices=["setup", "add"], help="setup: create or update the schema; add: a member"
    )
    p.add_argument("name", nargs="?", help="add: the member's role name, e.g. alice")
    p.add_argument("--password", help="add: the member's password (default: one is generated and printed)")

    p = command(
        "migrate",
        "Copy every memory, version, pin, graph entry and episode from one store into another: your "
        "SQLite file into a shared Postgres (--to postgresql://...), or a Postgres database into a file "
        "(--from postgresql://... --to PATH). Vectors are kept when the model matches; a second run "
        "adds nothing already there.",
    )
    p.add_argument(
        "--to", dest="target", required=True, help="the store to fill: a postgresql:// URL or a file path"
    )
    p.add_argument(
        "--from",
        dest="source",
        help="the store to copy (default: into Postgres, this machine's SQLite file; into a file, "
        "MCP_MEMORY_DATABASE_URL's database)",
    )
    p.add_argument(
        "--visibility",
        choices=["private", "team"],
        default="private",
        help="into Postgres: private (default: yours alone, shared later one by one) or team (every member)",
    )


def _add_reading_and_checks(command: _Command) -> None:
    """`get`, `recent`, `stats`, `reindex` and `doctor`."""
    p = command("get", "Show memories by id, whole.")
    p.add_argument("ids", nargs="+", help="ids such as m_12")
    p.add_argument("--history", action="store_true", help="include earlier versions")

    p = command("recent", "List the newest memories.")
    p.add_argument("--limit", "-n", type=int, default=10, help="how many (default 10)")
    p.add_argument("--in", dest="scope", help="project scope: a name, 'global', or '*' for all")

    command("stats", "Counts by kind, project and tag; database size; model and index state.")
    command("reindex", "Re-embed every memory with the configured model (after changing the model).")
    p = command("doctor", "Check SQLite, the extension, the model files and the database; print fixes.")
    p.add_argument("--no-model", action="store_true", help="skip loading the model")
    p.add_argument(
        "--repair", action="store_true", help="rebuild the keyword and vector indexes from the memories"
    )


def _add_export_import_consolidate(command: _Command) -> None:
    """`export`, `import` and `consolidate`."""
    p = command(
        "export", "Export everything to a file: jsonl (lossless, re-importable) or markdown (readable)."
    )
    p.add_argument("path", help="file to write: any path (a file is replaced only with --overwrite)")
    p.add_argument("--format", choices=["jsonl", "markdown"], default="jsonl", help="default jsonl")
    p.add_argument("--vectors", action="store_true", help="include vectors, so import need not re-embed")
    p.add_argument("--overwrite", action="store_true", help="replace an existing file")

    p = command(
        "import",
        "Move memories in: a jsonl export, the official knowledge-graph server's memory file, a folder of "
        "markdown notes, or plain JSON lines.",
    )
    p.add_argument("path", help="file to read (a folder for --format markdown)")
    p.add_argument(
        "--format",
        choices=["jsonl", "server-memory", "markdown", "plain-jsonl"],
        default="jsonl",
        help="default jsonl (a memory_export file)",
    )
    p.add_argument(
        "--split",
        choices=["file", "heading"],
        default="file",
        help="markdown: one memory per file or heading",
    )

    p = command(
        "consolidate", "Merge near-duplicates, drop expired memories, apply lifecycle rules (dry run)."
    )
    p.add_argument("--apply", action="store_true", help="make the changes (default: only report them)")
    p.add_argument(
        "--similarity",
        type=float,
        default=MERGE_SIMILARITY,
        help=f"cosine similarity that counts as duplicate (default {MERGE_SIMILARITY}); facts must match too",
    )


def _add_pins_graph_episodes(command: _Command) -> None:
    """`pins`, `graph` and `episodes`."""
    p = command("pins", "List pinned memories, or pin / unpin one.")
    p.add_argument("--pin", metavar="ID", help="pin this memory")
    p.add_argument("--unpin", metavar="ID", help="unpin this memory")
    p.add_argument("--note", help="why it is pinned (with --pin)")
    p.add_argument("--in", dest="scope", help="project scope: a name, 'global', or '*' for all")

    p = command("graph", "Show the knowledge graph around an entity, a memory, or a text match.")
    p.add_argument("name", nargs="?", help="entity name")
    p.add_argument("--memory", help="start from the entities linked to this memory id")
    p.add_argument("--query", "-q", help="start from entities matching this text")
    p.add_argument("--depth", type=int, default=1, help="hops to follow (default 1)")

    p = command("episodes", "List recorded episodes (task attempts), or show one with --show.")
    p.add_argument("--show", metavar="ID", help="show this episode with its steps and reflection")
    p.add_argument("--limit", "-n", type=int, default=20, help="how many to list (default 20)")
    p.add_argument("--in", dest="scope", help="project scope: a name, 'global', or '*' for all")


def _add_backup_restore(command: _Command) -> None:
    """`backup` and `restore`."""
    p = command("backup", "Copy the database to a file (safe while servers run); the copy is checked.")
    p.add_argument("path", help="file to write (0600)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing file")

    p = command(
        "restore", "Check a backup, keep the current database beside itself, and put the backup in its place."
    )
    p.add_argument("path", help="backup file to restore")


def _add_history_and_changes(command: _Command) -> None:
    """`history`, `update`, `delete`, `revert`, `forget` and `tag`."""
    p = command("history", "Show every version of a memory.")
    p.add_argument("id", help="memory id such as m_12")

    p = command("update", "Change a memory (its previous version is kept in its history).")
    p.add_argument("id", help="memory id such as m_12")
    p.add_argument("--content", help="new text, or - to read it from stdin")
    p.add_argument(
        "--tag", "-t", action="append", dest="tags", help="new tags, replacing the old (repeatable)"
    )
    p.add_argument("--kind", help="new kind: note, fact, decision, preference, lesson, ...")
    p.add_argument("--importance", type=float, help="0 trivial .. 1 critical")
    p.add_argument(
        "--visibility",
        choices=["team", "private"],
        help="on a shared team database: share it with every member, or keep it yours alone (its owner only)",
    )

    p = command(
        "delete", "Delete memories (recoverable: `revert` brings one back; `forget` erases for good)."
    )
    p.add_argument("ids", nargs="+", help="ids such as m_12")

    p = command("revert", "Restore an earlier version of a memory as its newest one (also undoes a delete).")
    p.add_argument("id", help="memory id such as m_12")
    p.add_argument("version", type=int, help="the version to restore (`history ID` lists them)")

    p = command(
        "forget", "Erase memories for good, with their history and graph links (dry run unless --apply)."
    )
    _add_selection(p)
    p.add_argument("--apply", action="store_true", help="erase them (default: only report what would go)")

    p = command("tag", "Add and remove tags on memories chosen by id or filter.")
    _add_selection(p)
    p.add_argument("--add", action="append", default=[], help="a tag to add (repeatable)")
    p.add_argument("--remove", action="append", default=[], help="a tag to remove (repeatable)")


def _add_init(command: _Command) -> None:
    """`init`: the client configuration and hooks."""
    p = command(
        "init",
        "Print the config entry for Claude Code, Cursor and Claude Desktop (and add it to Claude Code).",
    )
    p.add_argument("--yes", "-y", action="store_true", help="run `claude mcp add` without asking")
    p.add_argument(
        "--hooks",
        action="store_true",
        help="also add the Claude Code hooks (recall at session start and with relevant prompts, "
        "lessons from failed commands) to ~/.claude/settings.json, leaving its other entries alone",
    )
    p.add_argument(
        "--cursor-hooks",
        action="store_true",
        help="add the Cursor hooks (failed commands and fixes) to ~/.cursor/hooks.json",
    )
    p.add_argument(
        "--cursor-rules",
        action="store_true",
        help="write .cursor/rules/mcp-memory.mdc in this project with what memory holds (the Cursor stop hook keeps it fresh)",
    )
    p.add_argument(
        "--remove",
        action="store_true",
        help="take the hooks out of Claude Code's and Cursor's settings again",
    )
    p.add_argument(
        "--scope",
        choices=["user", "project", "local"],
        default="user",
        help="Claude Code scope (default user)",
    )


def _add_tail_hook_completion_tools(command: _Command) -> None:
    """`tail`, `ui`, `hook`, `completion` and `tools`."""
    p = command("tail", "Show memories as they are written (Ctrl-C stops).")
    p.add_argument("--in", dest="scope", help="project scope: a name, 'global', or '*' for all (default '*')")
    p.add_argument("-n", "--last", type=int, default=5, help="start with the last N memories (default 5)")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between checks (default 1)")
    p.add_argument("--for", dest="duration", type=float, help="stop after this many seconds")

    p = command(
        "ui",
        "Open the memory viewer in your browser: browse, search, edit, pin, retire and delete memories, "
        "see the timeline, the graph, episodes and what the agent is shown. Serves 127.0.0.1 only, with "
        "a one-time token in the URL it prints (Ctrl-C stops it).",
    )
    p.add_argument("--port", type=int, help="the port to listen on (default: a free one)")
    p.add_argument(
        "--no-open", dest="open_browser", action="store_false", help="print the URL, open no browser"
    )

    p = command(
        "hook",
        "Run one client hook: reads the event's JSON on stdin, prints what enters the agent's context, "
        "always exits 0 (clients start it; see README, Hooks).",
    )
    p.add_argument("client", choices=list(EVENTS), help="the client that runs the hook")
    p.add_argument(
        "event",
        choices=sorted({e for events in EVENTS.values() for e in events}),
        help="the hook event (claude-code: "
        + ", ".join(EVENTS["claude-code"])
        + "; cursor: "
        + ", ".join(EVENTS["cursor"])
        + ")",
    )

    p = command("completion", 'Print a shell completion script: eval "$(mcp-memory completion bash)".')
    p.add_argument("shell", choices=["bash", "zsh", "fish"], help="your shell")

    p = command("tools", "List the MCP tools this server offers (--json prints the tools/list result).")
    p.add_argument("--markdown", action="store_true", help="print the README's tool reference table")


def build_parser() -> argparse.ArgumentParser:
    """The whole parser: the common options, then every command in the order `--help` lists them."""
    settings_help = "\n".join(f"  {name}\n      {text}" for name, text in SETTINGS_DOC.items())
    parser = argparse.ArgumentParser(
        prog="mcp-memory",
        description="Long-term memory for AI coding agents. Without a command, serves MCP over stdio.",
        epilog=f"settings (environment variables):\n{settings_help}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"mcp-memory {__version__}")
    _common(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        _common(p, top=False)
        return p

    command("serve", "Serve MCP over stdio (the default when no command is given).")
    _add_store_and_search(command)
    _add_team(command)
    _add_reading_and_checks(command)
    _add_export_import_consolidate(command)
    _add_pins_graph_episodes(command)
    _add_backup_restore(command)
    _add_history_and_changes(command)
    _add_init(command)
    _add_tail_hook_completion_tools(command)
    return parser
