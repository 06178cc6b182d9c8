"""Compact tool schemas: every tool definition is read by the agent and costs it context.

pydantic's schemas carry a `title` on every property and spell an optional argument as
`anyOf: [X, {type: null}], default: null`. Neither tells an agent anything, so the advertised
schemas drop the titles and show an optional argument as X (it is simply not required). Arguments
are still validated by the full pydantic model, which also accepts an explicit null.
"""

from __future__ import annotations

from typing import Any

__all__ = ["compact_schema"]

_NULL = {"type": "null"}


def compact_schema(schema: Any, *, fold_optional: bool = True) -> Any:
    """A copy of a JSON schema without titles and, for input schemas, with nullable optionals
    folded. Output schemas keep their nulls: clients validate results against them."""
    return _schema(schema, fold_optional)


def _schema(node: Any, fold: bool) -> Any:
    if isinstance(node, list):
        return [_schema(item, fold) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "title" and isinstance(value, str):
            continue
        if key in ("properties", "$defs", "definitions") and isinstance(value, dict):
            out[key] = {name: _schema(sub, fold) for name, sub in value.items()}
        else:
            out[key] = _schema(value, fold)
    options = out.get("anyOf")
    if (
        fold
        and isinstance(options, list)
        and len(options) == 2
        and _NULL in options
        and out.get("default", 0) is None
    ):
        (kept,) = [o for o in options if o != _NULL]
        del out["anyOf"]
        del out["default"]
        out = {**kept, **out}
    return out
