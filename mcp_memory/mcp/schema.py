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
    folded. Output schemas keep their nulls (clients validate results against them), written as
    `type: [X, "null"]`, without `required` lists and null defaults."""
    if fold_optional:
        return _schema(schema, True)
    return _output(_schema(schema, False))


def _output(node: Any) -> Any:
    if isinstance(node, list):
        return [_output(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "required" and isinstance(value, list):
            continue
        if key == "default" and value is None:
            continue
        if key == "additionalProperties" and value is True:
            continue
        if key in ("properties", "$defs") and isinstance(value, dict):
            out[key] = {name: _output(sub) for name, sub in value.items()}
        else:
            out[key] = _output(value)
    options = out.get("anyOf")
    if (
        isinstance(options, list)
        and len(options) == 2
        and _NULL in options
        and all(set(o) == {"type"} and isinstance(o["type"], str) for o in options)
    ):
        del out["anyOf"]
        out["type"] = [next(o["type"] for o in options if o != _NULL), "null"]
    return out


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
