"""What the commands show: the `Output` of a command, and the text and --json form of the results that
both the full commands (`mcp_memory.cli.commands`) and the quick ones (`mcp_memory.cli.quick`) print,
so the two paths cannot print differently. Light: no services, no views until --json asks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from mcp_memory.cli.ui import paint
from mcp_memory.errors import Message
from mcp_memory.timeparse import format_time

__all__ = ["Output", "get_output", "memory_line", "recent_output", "stats_output", "view"]


@dataclass(frozen=True, slots=True)
class Output:
    """What a command shows: `data` (its --json form: the tool's structured output, or a function
    making it, so that a plain-text run never imports the views' pydantic models), `text`, and the
    exit code."""

    data: Any
    text: str
    exit_code: int = 0


def view(module: str, name: str) -> Callable[..., Any]:
    """A view of `mcp_memory.views.<module>`, imported when called: for an `Output` whose structured
    form only --json needs, so a plain-text run never imports the views' pydantic models."""
    import importlib

    return getattr(importlib.import_module(f"mcp_memory.views.{module}"), name)  # type: ignore[no-any-return]


def memory_line(m: Any) -> str:
    """One memory as a list shows it: id, kind, date and tags, then its text."""
    tags = paint(f" #{' #'.join(m.tags)}", "cyan") if m.tags else ""
    head = f"{paint(m.id, 'bold')} {paint(m.kind, 'magenta')} {paint((format_time(m.created_at) or '')[:10], 'dim')}"
    return f"{head}{tags}\n    {m.content}"


def get_output(result: Any, *, include_history: bool) -> Output:
    """`get`: each memory (and its earlier versions), then the ids not found; exit 1 when none was."""
    parts = [memory_line(m) for m in result.memories]
    for m in result.memories:
        parts.extend(
            f"    v{v.version} ({v.replaced_by} {format_time(v.replaced_at)}): {v.content}" for v in m.history
        )
    if result.missing:
        parts.append(f"not found: {', '.join(result.missing)}")
    return Output(
        lambda: view("memories", "get_view")(result, include_history=include_history)[0],
        "\n".join(parts),
        1 if result.missing and not result.memories else 0,
    )


def recent_output(found: Sequence[Any], hint: Message | None) -> Output:
    """`recent`: the newest memories, or where else memories are when there are none here."""
    from mcp_memory.cli.spelling import CommandLineSpelling

    spelling = CommandLineSpelling("recent")
    return Output(
        lambda: view("memories", "recent_view")(list(found), hint, spelling=spelling)[0],
        "\n".join(memory_line(m) for m in found)
        or (f"note: {hint.spelled(spelling)}" if hint else "No memories yet."),
    )


def stats_output(stats: Any) -> Output:
    """`stats`: the counts, the database and the model, one line each."""
    lines = [
        f"database      {stats.database_path} ({stats.database_bytes / 1e6:.1f} MB, schema v{stats.schema_version}, "
        f"{stats.sqlite})",
        f"memories      {stats.memories} ({stats.deleted} deleted, {stats.pending_embeddings} awaiting vectors)",
        *(
            [
                f"warning       {stats.pending_embeddings} memories have no vector yet: `mcp-memory doctor --repair`"
            ]
            if stats.pending_embeddings
            else []
        ),
        f"model         {stats.embedding_model} (vectors made by: {stats.recorded_model or 'none yet'})",
        "by kind       " + (", ".join(f"{k} {v}" for k, v in stats.by_kind.items()) or "-"),
        "by project    " + (", ".join(f"{k} {v}" for k, v in stats.by_project.items()) or "-"),
        "top tags      " + (", ".join(f"{k} {v}" for k, v in stats.top_tags.items()) or "-"),
    ]
    if stats.model_problem:
        lines.append(f"problem       {stats.model_problem}")
    return Output(lambda: view("maintenance", "stats_view")(stats)[0], "\n".join(lines))
