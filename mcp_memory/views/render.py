"""One rendering for both ways a model reads a tool result: the text block is written from the
structured output itself, field by field, so the two cannot drift apart.

Claude Code and VS Code show a model only `JSON.stringify(structuredContent)` when a result has
one; other clients show the text. `as_text` writes the same fields as indented `key: value` lines
(a list of plain values on one line, a list of records as `- ` items), about the size of the compact
JSON without its quotes and braces; `bench/tool_cost.py` measures both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["as_text", "count"]


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _plain(values: Sequence[Any]) -> str:
    parts = [_scalar(v) for v in values]
    joiner = "; " if any(", " in p for p in parts) else ", "
    return joiner.join(parts)


def _lines(data: Mapping[str, Any], indent: str) -> list[str]:
    lines: list[str] = []
    for key, value in data.items():
        if isinstance(value, Mapping):
            lines.append(f"{indent}{key}:")
            lines += _lines(value, indent + "  ")
        elif isinstance(value, Sequence) and not isinstance(value, str):
            if value and all(isinstance(v, Mapping) for v in value):
                lines.append(f"{indent}{key}:")
                for item in value:
                    inner = _lines(item, indent + "  ") or [f"{indent}  (empty)"]
                    inner[0] = f"{indent}- {inner[0][len(indent) + 2 :]}"
                    lines += inner
            else:
                lines.append(f"{indent}{key}: {_plain(value)}")
        else:
            text = _scalar(value)
            if "\n" in text:
                pad = indent + "  "
                lines.append(f"{indent}{key}: |")
                lines += [pad + part for part in text.split("\n")]
            else:
                lines.append(f"{indent}{key}: {text}")
    return lines


def as_text(data: Mapping[str, Any]) -> str:
    """`data` (a tool's structured content) as readable lines holding every field and value."""
    return "\n".join(_lines(data, ""))


_PLURALS = {"memory": "memories", "entity": "entities", "is": "are", "was": "were"}


def count(number: int, word: str) -> str:
    """`number` and `word`, its last word plural unless it is one: "1 memory", "3 new entities"."""
    if number == 1:
        return f"{number} {word}"
    head, _, last = word.rpartition(" ")
    return f"{number} {head + ' ' if head else ''}{_PLURALS.get(last, last + 's')}"
