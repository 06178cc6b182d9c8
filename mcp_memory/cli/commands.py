"""The CLI commands other than `serve`: each opens the App, calls one service function, and returns
its data (for --json) and a readable text."""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio

from mcp_memory.cli.output import Output, get_output, memory_line, recent_output, stats_output, view
from mcp_memory.cli.spelling import CommandLineSpelling
from mcp_memory.cli.ui import paint, progress_for
from mcp_memory.config import Settings
from mcp_memory.errors import InvalidInput, Message
from mcp_memory.services.app import App, open_app
from mcp_memory.timeparse import format_time

__all__ = ["Output"]

_T = TypeVar("_T")


def _with_app(settings: Settings, work: Callable[[App], Awaitable[_T]]) -> _T:
    async def main() -> _T:
        done: list[_T] = []
        failed: list[Exception] = []
        async with open_app(settings) as app:
            app.model_on_demand = True
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(_spin_while_loading, app)
                try:
                    done.append(await work(app))
                    if app.semantic_ready():  # the model is loaded anyway: leave no memory without its vector
                        await _embed_pending(app, quiet=False)
                except Exception as exc:  # raised below, outside the task group (not as a group)
                    failed.append(exc)
                finally:
                    tasks.cancel_scope.cancel()
        if failed:
            raise failed[0]
        return done[0]

    return anyio.run(main)


async def _spin_while_loading(app: App) -> None:
    """A command that needs the model says so (on a terminal) when loading it takes over a second."""
    from mcp_memory.cli.ui import Spinner
    from mcp_memory.embeddings import ModelState

    spinner = Spinner("loading the embedding model")
    try:
        while True:
            await anyio.sleep(0.1)
            if app.embeddings.state is ModelState.LOADING:
                spinner.tick()
            elif spinner.shown:
                spinner.stop()
                spinner = Spinner("loading the embedding model")
    finally:
        spinner.stop()


async def _embed_pending(app: App, *, quiet: bool) -> int:
    """Give every memory without a vector its vector now, showing progress on stderr."""
    from mcp_memory.services.maintenance.indexing import embed_pending, pending_count

    total = await pending_count(app.db)
    bar = progress_for("embedding", quiet)
    done = 0
    while (n := await embed_pending(app, 64)) > 0:
        done += n
        if bar is not None:
            bar(min(done, total), max(total, done))
    return done


def _redacted_note(count: int) -> str:
    """What the CLI says when secrets or private blocks were replaced before storing."""
    if not count:
        return ""
    return f" ({count} secret{'s' if count != 1 else ''} or private block{'s' if count != 1 else ''} replaced by markers)"


def cmd_store(args: argparse.Namespace, settings: Settings) -> Output:
    from mcp_memory.services.memories.store import store_memory
    from mcp_memory.views.memories import store_view

    content = sys.stdin.read() if args.content == "-" else args.content
    result = _with_app(
        settings,
        lambda app: store_memory(
            app,
            content,
            tags=args.tags,
            kind=args.kind,
            importance=args.importance,
            pinned=args.pinned,
            expires_at=args.expires,
            project=args.memory_project,
            visibility=args.visibility,
            supersedes=args.supersedes,
        ),
    )
    word = "Stored" if result.status == "created" else "Already stored (duplicate):"
    where = ""
    if (
        settings.database_url and result.status == "created"
    ):  # a shell without the variable stores into the file
        from mcp_memory.storage.postgres.connect import describe_url

        visibility = args.visibility or settings.visibility
        where = f" in the shared database at {describe_url(settings.database_url)} ({visibility})"
    out, text = store_view(result)
    said = f"{word} {result.id}{where}{_redacted_note(result.redacted)}"
    if result.superseded:
        said += f"; it supersedes {', '.join(result.superseded)} (retired, history kept)"
    if out.notice:  # the stored memories it contradicts, as the tool lists them
        said += "\n" + text.split("\n", 1)[1]
    return Output(out, said)


def cmd_search(args: argparse.Namespace, settings: Settings) -> Output:
    from mcp_memory.services.search.hybrid import search_memories
    from mcp_memory.views.memories import search_view

    result = _with_app(
        settings,
        lambda app: search_memories(
            app,
            args.query,
            limit=args.limit,
            min_relevance=args.min_relevance,
            tags=args.tags,
            tag_mode="all" if args.all_tags else "any",
            kind=args.kind,
            project=args.scope,
            since=args.since,
            until=args.until,
            mode=args.mode,
        ),
    )
    out = search_view(result, args.query, spelling=CommandLineSpelling("search"))[0]
    lines = [f"{h.relevance:.2f}  {memory_line(h.memory)}\n    why: {'; '.join(h.why)}" for h in result.hits]
    if out.notice:
        lines.insert(0, f"note: {out.notice}")
    return Output(out, "\n".join(lines) or "No matching memories.")


def cmd_get(args: argparse.Namespace, settings: Settings) -> Output:
    from mcp_memory.services.memories.store import get_memories

    result = _with_app(settings, lambda app: get_memories(app, args.ids, include_history=args.history))
    return get_output(result, include_history=args.history)


def cmd_recent(args: argparse.Namespace, settings: Settings) -> Output:
    from mcp_memory.services.memories.scope_hints import listing_hint
    from mcp_memory.services.memories.store import recent_memories

    async def work(app: App) -> tuple[list[Any], Message | None]:
        found = await recent_memories(app, limit=args.limit, project=args.scope)
        return found, None if found else await listing_hint(app, project=args.scope)

    found, hint = _with_app(settings, work)
    return recent_output(found, hint)


def cmd_stats(args: argparse.Namespace, settings: Settings) -> Output:
    from mcp_memory.services.maintenance.stats import collect_stats

    return stats_output(_with_app(settings, collect_stats))


def cmd_reindex(args: argparse.Namespace, settings: Settings) -> Output:
    from mcp_memory.services.maintenance.stats import reindex
    from mcp_memory.views.maintenance import reindex_view

    result = _with_app(settings, lambda app: reindex(app, progress=progress_for("re-embedding", args.json)))
    return Output(*reindex_view(result))


def cmd_doctor(args: argparse.Namespace, settings: Settings) -> Output:
    from mcp_memory.services.maintenance.doctor import repair_indexes, run_checks
    from mcp_memory.storage import Database
    from mcp_memory.views.maintenance import doctor_view

    async def main() -> tuple[list[Any], dict[str, int] | None]:
        repaired = None
        if args.repair and settings.database_url:
            raise InvalidInput(
                "--repair rebuilds the SQLite file's keyword and vector indexes; on Postgres they are "
                "columns of each memory, kept by the database itself."
            )
        if args.repair:
            db = await Database.open(
                settings.database, sqlite=settings.sqlite, busy_timeout_ms=settings.busy_timeout_ms
            )
            try:
                repaired = await repair_indexes(db)
            finally:
                await db.close()
            if not args.no_model:
                async with open_app(settings) as app:
                    app.model_on_demand = True
                    await app.ensure_model()
                    repaired["vectors_recomputed"] = await _embed_pending(app, quiet=args.json)
        return await run_checks(settings, load_model=not args.no_model), repaired

    checks, repaired = anyio.run(main)
    out, text = doctor_view(checks, repaired, spelling=CommandLineSpelling("doctor"))
    return Output(out, text, 0 if out.ok else 1)


def cmd_export(args: argparse.Namespace, settings: Settings) -> Output:
    from mcp_memory.services.transfer.access import user_access
    from mcp_memory.services.transfer.exporting import export_memories
    from mcp_memory.views.maintenance import export_view

    result = _with_app(
        settings,
        lambda app: export_memories(
            app,
            args.path,
            format=args.format,
            include_vectors=args.vectors,
            overwrite=args.overwrite,
            access=user_access(app),
        ),
    )
    return Output(*export_view(result))


def cmd_import(args: argparse.Namespace, settings: Settings) -> Output:
    from mcp_memory.services.transfer.access import user_access
    from mcp_memory.services.transfer.importing import import_memories
    from mcp_memory.views.maintenance import import_summary, import_view

    async def work(app: App) -> Any:
        result = await import_memories(
            app,
            args.path,
            format=args.format,
            split=args.split,
            progress=progress_for("importing", args.json),
            access=user_access(app),
        )
        await app.ensure_model()
        await _embed_pending(app, quiet=args.json)
        return result

    result = _with_app(settings, work)
    lines = [import_summary(result) + _redacted_note(result.redacted)]
    lines += [f"  skipped {problem}" for problem in result.problems]
    return Output(import_view(result)[0], "\n".join(lines))


def cmd_consolidate(args: argparse.Namespace, settings: Settings) -> Output:
    from mcp_memory.services.maintenance.consolidate import consolidate
    from mcp_memory.views.maintenance import consolidate_view

    report = _with_app(
        settings, lambda app: consolidate(app, dry_run=not args.apply, similarity=args.similarity)
    )
    return Output(*consolidate_view(report, spelling=CommandLineSpelling("consolidate")))


def cmd_pins(args: argparse.Namespace, settings: Settings) -> Output:
    from mcp_memory.services.memories.pins import list_pins, set_pinned
    from mcp_memory.views.models import pin_view, pins_view

    if args.pin or args.unpin:
        memory = _with_app(
            settings, lambda app: set_pinned(app, args.pin or args.unpin, bool(args.pin), args.note)
        )
        return Output(*pin_view(memory))
    found = _with_app(settings, lambda app: list_pins(app, args.scope))
    lines = [memory_line(m) + (f"\n    pinned because: {m.pin_note}" if m.pin_note else "") for m in found]
    return Output(pins_view(found)[0], "\n".join(lines) or "No pinned memories.")


def cmd_graph(args: argparse.Namespace, settings: Settings) -> Output:
    from mcp_memory.services.graph.entities import query_graph
    from mcp_memory.views.graph import subgraph_view

    sub = _with_app(
        settings,
        lambda app: query_graph(
            app, name=args.name, memory_id=args.memory, query=args.query, depth=args.depth
        ),
    )
    lines = [f"{e.name} ({e.type})" + "".join(f"\n    - {o}" for o in e.observations) for e in sub.entities]
    lines += [f"{r.source} -{r.type}-> {r.target}" for r in sub.relations]
    lines += [memory_line(m) for m in sub.memories]
    return Output(subgraph_view(sub)[0], "\n".join(lines) or "Nothing found.")


def cmd_episodes(args: argparse.Namespace, settings: Settings) -> Output:
    from mcp_memory.services.episodes.record import get_episode, list_episodes
    from mcp_memory.views.episodes import episode_detail_view, episodes_view

    if args.show:
        return Output(*episode_detail_view(_with_app(settings, lambda app: get_episode(app, args.show))))
    found = _with_app(settings, lambda app: list_episodes(app, project=args.scope, limit=args.limit))
    return Output(*episodes_view(found))


def cmd_history(args: argparse.Namespace, settings: Settings) -> Output:
    from mcp_memory.services.memories.history import memory_history
    from mcp_memory.views.history import history_view

    result = _with_app(settings, lambda app: memory_history(app, args.id))
    lines = [f"{result.id}: version {result.current_version}" + (" (deleted)" if result.deleted else "")]
    for v in result.versions:
        how = f"replaced by {v.replaced_by} ({', '.join(v.changed)})" if v.replaced_by else "current"
        lines.append(f"v{v.version} {format_time(v.valid_from)} {how}\n    {v.content}")
    return Output(history_view(result)[0], "\n".join(lines))


def cmd_backup(args: argparse.Namespace, settings: Settings) -> Output:
    from pathlib import Path

    from mcp_memory.storage.backup import backup_database

    info = backup_database(settings, Path(args.path), overwrite=args.overwrite)
    return Output(
        info,
        f"Backed up {info.memories} memories to {info.path} ({info.bytes:,} bytes, "
        f"{info.seconds:.1f}s); the copy passed SQLite's integrity check.",
    )


def cmd_restore(args: argparse.Namespace, settings: Settings) -> Output:
    from pathlib import Path

    from mcp_memory.storage.backup import restore_database

    info = restore_database(settings, Path(args.path))
    saved = f" The previous database is saved as {info.previous_saved_to}." if info.previous_saved_to else ""
    return Output(
        info,
        f"Restored {info.memories} memories from {info.restored_from}.{saved} "
        "Restart running MCP clients so their servers reload it.",
    )


def _store_line(settings: Settings, env: dict[str, str]) -> str:
    """Where init's entries keep memories, and what it had to write into them for that."""
    passes = f" (the entries pass {', '.join(env)})" if env else ""
    if not settings.database_url:
        return f"Memories are stored in {settings.database}{passes}."
    from mcp_memory.storage.postgres.connect import describe_url

    line = f"Memories are stored in the shared Postgres at {describe_url(settings.database_url)}{passes}."
    if describe_url(settings.database_url) != settings.database_url:
        line += (
            " The URL's password is written into each client's settings: leave it out of the URL and "
            "keep it in ~/.pgpass (chmod 600) instead, which the Postgres driver reads."
        )
    return line


def cmd_init(args: argparse.Namespace, settings: Settings) -> Output:
    import json as json_module
    import shutil
    import subprocess

    from mcp_memory.cli.launch import launch_command, store_environment

    launch = launch_command()
    command = launch.argv
    env = store_environment(settings)
    entry: dict[str, Any] = {"command": command[0], "args": command[1:]}
    if env:
        entry["env"] = env
    env_flags = [part for key, value in env.items() for part in ("--env", f"{key}={value}")]
    claude = ["claude", "mcp", "add", "memory", "--scope", args.scope, *env_flags, "--", *command]
    desktop = {
        "darwin": "~/Library/Application Support/Claude/claude_desktop_config.json",
        "win32": "%APPDATA%\\Claude\\claude_desktop_config.json",
    }.get(sys.platform, "~/.config/Claude/claude_desktop_config.json")
    text = "\n".join(
        [
            paint("Claude Code", "bold"),
            "  " + shlex.join(claude),
            "",
            paint("Cursor", "bold") + " (.cursor/mcp.json in a project, or ~/.cursor/mcp.json)",
            json_module.dumps({"mcpServers": {"memory": entry}}, indent=2),
            "",
            paint("Claude Desktop", "bold") + f" ({desktop})",
            json_module.dumps({"mcpServers": {"memory": entry}}, indent=2),
            "",
            _store_line(settings, env),
            f"Clients start: {shlex.join(command)}",
            *([launch.note] if launch.note else []),
        ]
    )
    data: dict[str, Any] = {
        "claude_code": claude,
        "cursor": {"mcpServers": {"memory": entry}},
        "claude_desktop": {"mcpServers": {"memory": entry}},
        "claude_added": False,
        "command": command,
        "offline": launch.offline,
        "env": env,
    }
    if not shutil.which("claude"):
        data["claude_note"] = "the `claude` command was not found; nothing was added to Claude Code"
        text += (
            "\n\nThe `claude` command was not found, so nothing was added to Claude Code: run the "
            "line above once it is installed, or add one of the entries to your client."
        )
    elif not args.json:
        agree = args.yes
        if not agree and sys.stdin.isatty():
            print(text)
            agree = input("\nAdd it to Claude Code now? [y/N] ").strip().lower() in ("y", "yes")
            text = ""
        if agree:
            done = subprocess.run(claude, check=False)  # noqa: S603 - fixed argv: claude with our own command
            data["claude_added"] = done.returncode == 0
            text += (
                "\nAdded to Claude Code."
                if done.returncode == 0
                else "\n`claude mcp add` failed; nothing was added. Run the line above yourself."
            )
        else:
            text += "\nNothing was added to Claude Code (run again with --yes, or run the line above)."
    text += _init_hooks(args, settings, data)
    return Output(data, text.strip())


def _claude_settings_file() -> Path:
    """Claude Code's user settings (CLAUDE_CONFIG_DIR moves its folder)."""
    import os

    folder = os.environ.get("CLAUDE_CONFIG_DIR")
    return (Path(folder) if folder else Path.home() / ".claude") / "settings.json"


def _init_hooks(args: argparse.Namespace, settings: Settings, data: dict[str, Any]) -> str:
    """Add or remove the client hooks and the Cursor rules file, as `init`'s flags ask."""
    from mcp_memory.cli import launch
    from mcp_memory.hooks import install

    claude_file = _claude_settings_file()
    cursor_file = Path.home() / ".cursor" / "hooks.json"
    lines: list[str] = []
    try:
        if args.remove:
            removed = [str(f) for f, done in ((claude_file, install.remove_claude_hooks(claude_file)),
                                              (cursor_file, install.remove_cursor_hooks(cursor_file))) if done]  # fmt: skip
            data["hooks_removed"] = removed
            lines.append(
                f"Hooks removed from {', '.join(removed)}."
                if removed
                else "No mcp-memory hooks were installed."
            )
            return "\n" + "\n".join(lines)
        wants_claude = args.hooks
        if not wants_claude and not args.json and sys.stdin.isatty():
            answer = input(
                f"Add the Claude Code hooks to {claude_file} (recall at session start and with relevant "
                "prompts, lessons from failed commands)? [y/N] "
            )
            wants_claude = answer.strip().lower() in ("y", "yes")
        head = launch.hook_prefix(launch.launch_command().argv, launch.store_environment(settings))
        if wants_claude:
            changed = install.add_claude_hooks(claude_file, head)
            data["claude_hooks"] = str(claude_file)
            lines.append(f"Claude Code hooks {'added to' if changed else 'already in'} {claude_file}.")
        if args.cursor_hooks:
            changed = install.add_cursor_hooks(cursor_file, head)
            data["cursor_hooks"] = str(cursor_file)
            lines.append(f"Cursor hooks {'added to' if changed else 'already in'} {cursor_file}.")
        if wants_claude or args.cursor_hooks:
            data["hook_command"] = f"{head} hook ..."
            shown = _without_password(head, settings)
            lines.append(f"The hooks run: {shown} hook <client> <event>")
            if settings.database_url:
                lines.append(
                    "The hooks reach the shared database as the URL's member: recall shows them what "
                    "that member may read, and the commands they record are that member's alone."
                )
        if args.cursor_rules:
            path = install.write_rules(settings.cwd, _session_block_for(settings))
            data["cursor_rules"] = str(path)
            lines.append(f"Wrote {path}; the Cursor stop hook keeps it fresh.")
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"could not update the client settings: {exc}") from exc
    return ("\n" + "\n".join(lines)) if lines else ""


def _without_password(text: str, settings: Settings) -> str:
    """`text` with the shared database URL's password masked, for what init prints."""
    if not settings.database_url:
        return text
    from mcp_memory.storage.postgres.connect import describe_url

    return text.replace(settings.database_url, describe_url(settings.database_url))


def _session_block_for(settings: Settings) -> str:
    """The session-start block for the working directory's project (for the Cursor rules file)."""
    from mcp_memory.hooks.recall import preview_session_block

    return preview_session_block(settings, project=None)


def cmd_tail(args: argparse.Namespace, settings: Settings) -> Output:
    import time as time_module

    from mcp_memory.services.memories.store import load_memories
    from mcp_memory.storage.filters import build_filter
    from mcp_memory.storage.listings import ids_after, last_id, newest_ids

    async def follow(app: App) -> int:
        flt = build_filter(default_project=app.default_project, project=args.scope or "*")
        rows = await newest_ids(app.db, flt, max(args.last, 0))
        last = max(rows, default=await last_id(app.db))
        shown = 0
        for rowid in sorted(rows):
            print(memory_line((await load_memories(app.db, [rowid]))[rowid]), flush=True)
            shown += 1
        stop = time_module.monotonic() + args.duration if args.duration else None
        while stop is None or time_module.monotonic() < stop:
            await anyio.sleep(args.interval)
            new = await ids_after(app.db, flt, last)
            found = await load_memories(app.db, new)
            for rowid in new:
                last = rowid
                if last in found:
                    print(memory_line(found[last]), flush=True)
                    shown += 1
        return shown

    shown = _with_app(settings, follow)
    return Output({"shown": shown}, "")


def cmd_ui(args: argparse.Namespace, settings: Settings) -> Output:
    from mcp_memory.web.serve import serve_viewer

    if args.port is not None and not 1 <= args.port <= 65535:
        raise InvalidInput(
            f"--port {args.port} is not a port; use 1 to 65535, or leave it out for a free one."
        )
    serve_viewer(settings, port=args.port, open_browser=args.open_browser)
    return Output({}, "")


def cmd_tools(args: argparse.Namespace, settings: Settings) -> Output:
    from mcp_memory.mcp.manifest import tool_list

    tools = tool_list(settings)
    if args.markdown:
        from mcp_memory.mcp.manifest import tool_reference

        return Output({"tools": tools}, tool_reference(tools))
    text = "\n".join(f"{t['name']}: {t.get('description', '').splitlines()[0]}" for t in tools)
    return Output({"tools": tools}, text)


def _selection(args: argparse.Namespace) -> tuple[list[str] | None, dict[str, Any] | None]:
    """The ids and the filter a bulk command was given (the services refuse neither or both empty)."""
    flt = {
        k: v
        for k, v in {
            "tags": args.where_tags,
            "kind": args.kind,
            "project": args.scope,
            "since": args.since,
            "until": args.until,
        }.items()
        if v
    }
    return (args.ids or None), (flt or None)


def cmd_update(args: argparse.Namespace, settings: Settings) -> Output:
    from mcp_memory.services.memories.changes import update_memory
    from mcp_memory.views.memories import update_view

    content = sys.stdin.read() if args.content == "-" else args.content
    result = _with_app(
        settings,
        lambda app: update_memory(
            app,
            args.id,
            content=content,
            tags=args.tags,
            kind=args.kind,
            importance=args.importance,
            visibility=args.visibility,
        ),
    )
    out, text = update_view(result)
    return Output(out, text + _redacted_note(result.redacted))


def cmd_delete(args: argparse.Namespace, settings: Settings) -> Output:
    from mcp_memory.services.memories.changes import delete_memories
    from mcp_memory.views.memories import delete_view

    result = _with_app(settings, lambda app: delete_memories(app, args.ids))
    out, text = delete_view(result, spelling=CommandLineSpelling("delete"))
    return Output(out, text, 1 if out.missing and not out.deleted else 0)


def cmd_revert(args: argparse.Namespace, settings: Settings) -> Output:
    from mcp_memory.services.memories.history import revert_memory
    from mcp_memory.views.history import revert_view

    memory = _with_app(settings, lambda app: revert_memory(app, args.id, args.version))
    return Output(*revert_view(memory, args.version))


def cmd_forget(args: argparse.Namespace, settings: Settings) -> Output:
    from mcp_memory.services.memories.history import forget_memories
    from mcp_memory.views.maintenance import forget_view

    ids, flt = _selection(args)
    result = _with_app(settings, lambda app: forget_memories(app, ids=ids, flt=flt, dry_run=not args.apply))
    out, text = forget_view(result, spelling=CommandLineSpelling("forget"))
    if out.sample:
        text += f"\n{'would erase' if out.dry_run else 'erased'}: {', '.join(out.sample)}" + (
            " ..." if out.count > len(out.sample) else ""
        )
    return Output(out, text)


def cmd_tag(args: argparse.Namespace, settings: Settings) -> Output:
    from mcp_memory.services.memories.batch import batch_tag
    from mcp_memory.views.batch import tag_view

    ids, flt = _selection(args)
    result = _with_app(
        settings, lambda app: batch_tag(app, ids=ids, flt=flt, add=args.add, remove=args.remove)
    )
    return Output(*tag_view(result))


def cmd_team(args: argparse.Namespace, settings: Settings) -> Output:
    from mcp_memory.services.maintenance.team import add_team_member, set_up_team
    from mcp_memory.storage.postgres.connect import describe_url

    admin_url = settings.database_url
    where = describe_url(admin_url or "")
    if args.action == "setup":
        report = set_up_team(settings, admin_url)
        done = (
            f"applied schema steps {', '.join(map(str, report.applied))}"
            if report.applied
            else "already up to date"
        )
        return Output(
            report,
            f"Team memory at {where}: {done} (schema {report.version}, vectors of {report.dimension}). "
            "Next: `mcp-memory team add NAME --database-url ...` for each member.",
        )
    if not args.name:
        raise InvalidInput("name the member to add: `mcp-memory team add alice --database-url ...`.")
    member = add_team_member(admin_url, args.name, args.password)
    from mcp_memory.storage.postgres.connect import member_url, pgpass_line

    made = "Added member" if member.created else "Updated member"
    password = f" with password {member.password} (shown once)" if member.password else ""
    unchanged = "" if member.created or args.password else " (password unchanged)"
    url = member_url(admin_url or "", member.name)
    lines = [
        f"{made} {member.name}{password}{unchanged} at {where}; they connect as the role {member.name}.",
        f"Their URL: {url}",
    ]
    if member.password:
        lines.append(f"Their ~/.pgpass line (chmod 600): {pgpass_line(url, member.password)}")
    return Output(member, "\n".join(lines))


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> Output:
    from mcp_memory.services.transfer.migrate import (
        check_ends,
        copy_store,
        default_source,
        parse_store,
        store_settings,
    )
    from mcp_memory.views.maintenance import import_summary

    target = parse_store(args.target)
    source = parse_store(args.source) if args.source else default_source(settings, target)
    check_ends(source, target)

    async def main() -> Any:
        async with (
            open_app(store_settings(settings, source)) as origin,
            open_app(store_settings(settings, target)) as destination,
        ):
            destination.model_on_demand = True
            migrated = await copy_store(origin, destination, visibility=args.visibility)
            embedded = await _embed_pending(destination, quiet=args.json)
            return migrated, embedded

    migrated, embedded = anyio.run(main)
    result = migrated.result
    text = import_summary(result).replace(
        "Imported ", f"Copied from {migrated.source} into {migrated.target}: ", 1
    )
    text += f" Vectors kept: {result.vectors_kept}; embedded now: {embedded}."
    if migrated.visibility == "private" and result.imported:
        text += (
            " The memories are private (yours alone): share one with `mcp-memory update ID --visibility "
            "team`, or run the migration into a new database with --visibility team."
        )
    text += "".join(f"\n  skipped {problem}" for problem in result.problems)
    data = {
        "source": migrated.source,
        "target": migrated.target,
        "visibility": migrated.visibility,
        "embedded": embedded,
        **view("maintenance", "import_view")(result)[0].model_dump(),
        "vectors_kept": result.vectors_kept,
    }
    return Output(data, text)
