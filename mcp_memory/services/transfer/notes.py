"""Moving in from other tools: a folder of markdown notes, or plain JSON lines.

Markdown: every `.md` file below a folder (hidden folders skipped) becomes one memory, or one per
heading with `split="heading"`. Front matter (`---` lines at the top) may give `tags` (a list or a
comma-separated line), `kind`, `project`, `importance` and `date`/`created`; the file's path (and
heading) go into metadata. Plain JSON lines: one object per line with `content` (or `text`), and
optionally memory_store's other fields; any other keys go into metadata. Everything is stored through
the batch path (embedded together, duplicates recognised); each skipped entry is reported with why.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import anyio.to_thread

from mcp_memory.errors import InvalidInput
from mcp_memory.services.app import App
from mcp_memory.services.memories.batch import MAX_BATCH, STORE_FIELDS, batch_store
from mcp_memory.services.transfer.access import FileAccess

__all__ = ["NotesImport", "import_json_lines", "import_markdown"]

#: The fields a note is stored with (a note names no memory ids to retire).
_NOTE_FIELDS = STORE_FIELDS - {"supersedes"}

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


@dataclass(frozen=True, slots=True)
class NotesImport:
    read: int
    stored: int
    duplicates: int
    skipped: tuple[str, ...]
    redacted: int = 0


def _front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Simple `key: value` front matter (lists as `[a, b]`, `a, b` or `- a` lines) and the body."""
    if not text.startswith("---"):
        return {}, text
    end = text.find("\n---", 3)
    if end < 0:
        return {}, text
    fields: dict[str, Any] = {}
    key = None
    for line in text[3:end].splitlines():
        if not line.strip():
            continue
        item = re.match(r"^\s*-\s+(.*)$", line)
        if item and key:
            fields.setdefault(key, [])
            if isinstance(fields[key], list):
                fields[key].append(item.group(1).strip().strip("\"'"))
            continue
        pair = re.match(r"^([A-Za-z_][\w-]*)\s*:\s*(.*)$", line)
        if pair:
            key, value = pair.group(1).lower(), pair.group(2).strip()
            if value.startswith("[") and value.endswith("]"):
                fields[key] = [v.strip().strip("\"'") for v in value[1:-1].split(",") if v.strip()]
            elif value:
                fields[key] = value.strip("\"'")
    return fields, text[end + 4 :].lstrip("\n")


def _item_from_front_matter(
    fields: dict[str, Any], content: str, metadata: dict[str, Any], mtime: float
) -> dict[str, Any]:
    tags = fields.get("tags") or fields.get("tag") or []
    if isinstance(tags, str):
        tags = [t.strip().lstrip("#") for t in tags.split(",") if t.strip()]
    item: dict[str, Any] = {"content": content, "tags": tags, "metadata": metadata}
    if fields.get("kind") or fields.get("type"):
        item["kind"] = fields.get("kind") or fields.get("type")
    if fields.get("project"):
        item["project"] = fields["project"]
    if fields.get("importance"):
        with contextlib.suppress(
            ValueError
        ):  # a word like "high" is not a number: the note keeps the default
            item["importance"] = float(fields["importance"])
    created = fields.get("date") or fields.get("created") or fields.get("created_at")
    item["created_at"] = (
        str(created) if created else datetime.fromtimestamp(mtime, tz=timezone.utc).isoformat()
    )
    return item


def _markdown_items(
    folder: Path, split: str, access: FileAccess
) -> tuple[list[tuple[str, dict[str, Any]]], list[str]]:
    items: list[tuple[str, dict[str, Any]]] = []
    walk = access.walk(folder, [".md"])
    skipped = list(walk.skipped)
    for path in walk.files:
        relative = str(path.relative_to(folder))
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            skipped.append(f"{relative}: unreadable ({exc})")
            continue
        fields, body = _front_matter(text)
        mtime = path.stat().st_mtime
        if split == "file":
            items.append((relative, _item_from_front_matter(fields, body, {"source": relative}, mtime)))
            continue
        sections: list[tuple[str | None, list[str]]] = [(None, [])]
        for line in body.splitlines():
            heading = _HEADING.match(line)
            if heading:
                sections.append((heading.group(2), [line]))
            else:
                sections[-1][1].append(line)
        for title, lines in sections:
            content = "\n".join(lines).strip()
            label = f"{relative}#{title}" if title else relative
            metadata = {"source": relative, **({"heading": title} if title else {})}
            if content:
                items.append((label, _item_from_front_matter(fields, content, metadata, mtime)))
    return items, skipped


def _json_line_items(path: Path) -> tuple[list[tuple[str, dict[str, Any]]], list[str]]:
    items: list[tuple[str, dict[str, Any]]] = []
    skipped: list[str] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            label = f"line {number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                skipped.append(f"{label}: not JSON ({exc.msg})")
                continue
            if not isinstance(record, dict):
                skipped.append(f"{label}: not an object")
                continue
            record = dict(record)
            if "content" not in record and "text" in record:
                record["content"] = record.pop("text")
            for alias in ("timestamp", "date", "created"):
                if alias in record and "created_at" not in record:
                    record["created_at"] = str(record.pop(alias))
            extra = {k: record.pop(k) for k in list(record) if k not in _NOTE_FIELDS}
            if extra:
                record["metadata"] = {**(record.get("metadata") or {}), **extra}
            items.append((label, record))
    return items, skipped


async def _store_all(
    app: App,
    items: list[tuple[str, dict[str, Any]]],
    skipped: list[str],
    progress: Callable[[int, int], None] | None,
) -> NotesImport:
    stored = duplicates = redacted = 0
    for start in range(0, len(items), MAX_BATCH // 2):
        chunk = items[start : start + MAX_BATCH // 2]
        results = await batch_store(app, [item for _, item in chunk])
        for (label, _), result in zip(chunk, results, strict=True):
            redacted += result.redacted
            if not result.ok:
                skipped.append(f"{label}: {result.error}")
            elif result.status == "duplicate":
                duplicates += 1
            else:
                stored += 1
        if progress is not None:
            progress(min(start + len(chunk), len(items)), len(items))
    return NotesImport(len(items), stored, duplicates, tuple(skipped), redacted)


async def import_markdown(
    app: App,
    folder: Path,
    access: FileAccess,
    *,
    split: str = "file",
    progress: Callable[[int, int], None] | None = None,
) -> NotesImport:
    """Store every markdown note below `folder` (already checked by `access`, whose caps the walk
    keeps): one memory per file, or per heading."""
    if split not in ("file", "heading"):
        raise InvalidInput(f"split {split!r} is not valid; use 'file' or 'heading'.")
    items, skipped = await anyio.to_thread.run_sync(_markdown_items, folder, split, access)
    return await _store_all(app, items, skipped, progress)


async def import_json_lines(
    app: App, path: Path, *, progress: Callable[[int, int], None] | None = None
) -> NotesImport:
    """Store one memory per JSON line (`content` or `text`, plus memory_store's fields) of the file
    at `path` (already checked)."""
    items, skipped = await anyio.to_thread.run_sync(_json_line_items, path)
    return await _store_all(app, items, skipped, progress)
