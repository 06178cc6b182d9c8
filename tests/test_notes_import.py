"""Moving in from a folder of markdown notes and from plain JSON lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mcp_memory.services.app import App
from mcp_memory.services.memories.store import recent_memories
from mcp_memory.services.transfer.importing import import_memories

pytestmark = pytest.mark.anyio

NOTE = """---
tags: [deploy, ops]
kind: decision
date: 2024-02-01
---
# Deploys

We deploy with `fly deploy` from main.

## Rollback

Roll back with `fly releases rollback`.
"""
NEWLINE = chr(10)


async def test_markdown_folder_per_file_and_per_heading(app: App, tmp_path: Path) -> None:
    """Each note becomes a memory (or one per heading) with tags, kind and date from front matter;
    hidden folders are ignored and empty notes are skipped with a reason."""
    notes = tmp_path / "notes"
    (notes / "team").mkdir(parents=True)
    (notes / ".obsidian").mkdir()
    (notes / "team" / "deploys.md").write_text(NOTE)
    (notes / "empty.md").write_text(NEWLINE.join(["---", "tags: x", "---", "", ""]))
    (notes / ".obsidian" / "cache.md").write_text("not a note")
    per_file = await import_memories(app, str(notes), format="markdown")
    assert (per_file.imported, per_file.skipped) == (1, 1)
    assert "empty.md" in per_file.problems[0]
    memory = (await recent_memories(app, project="*"))[0]
    assert (memory.tags, memory.kind) == (("deploy", "ops"), "decision")
    assert memory.metadata == {"source": "team/deploys.md"}
    assert memory.content.startswith("# Deploys")
    per_heading = await import_memories(app, str(notes), format="markdown", split="heading")
    assert per_heading.imported == 2
    contents = {m.content for m in await recent_memories(app, project="*")}
    assert NEWLINE.join(["## Rollback", "", "Roll back with `fly releases rollback`."]) in contents


async def test_plain_json_lines(app: App, tmp_path: Path) -> None:
    """content or text, the usual fields, extra keys into metadata; bad lines reported, others stored."""
    path = tmp_path / "export.jsonl"
    lines = [
        json.dumps(
            {
                "text": "Uses Postgres 16",
                "tags": ["db"],
                "timestamp": "2024-01-02T03:04:05Z",
                "source": "notion",
            }
        ),
        "{not json",
        json.dumps(["not", "an", "object"]),
        json.dumps({"content": "   "}),
        json.dumps({"content": "Second fact", "importance": 0.9}),
    ]
    path.write_text(NEWLINE.join(lines))
    result = await import_memories(app, str(path), format="plain-jsonl")
    assert result.imported == 2
    assert result.skipped == 3
    assert any("line 2" in p and "not JSON" in p for p in result.problems)
    assert any("line 4" in p and "content is empty" in p for p in result.problems)
    first = next(m for m in await recent_memories(app, project="*") if m.content == "Uses Postgres 16")
    assert first.metadata == {"source": "notion"}
    assert first.tags == ("db",)
