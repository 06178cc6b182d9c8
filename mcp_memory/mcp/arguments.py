"""Refused tool arguments, one line each: a name the tool does not take (with the closest one it
does), or a value its input schema rules out (the argument, the rule, what to pass instead).

pydantic's own message is a multi-line dump that ends in a link to its documentation; an agent
reading it has to work out which rule it broke. The rules quoted here are read from the tool's
input schema, which the argument annotations build from `mcp_memory.limits`, so a refusal names the
same bounds the schema advertises and the command line enforces.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

__all__ = ["closed_schema", "explain_invalid", "unknown_arguments"]

Schema = Mapping[str, Any]
_Path = tuple[str | int, ...]

_KINDS = {
    "string": ("a string", "strings"),
    "integer": ("a whole number", "whole numbers"),
    "number": ("a number", "numbers"),
    "boolean": ("true or false", "booleans"),
    "object": ("an object", "objects"),
    "array": ("a list", "lists"),
}
_BOUND_ERRORS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}
_TYPE_ERRORS = {
    "int_type": "integer",
    "int_parsing": "integer",
    "int_from_float": "integer",
    "float_type": "number",
    "float_parsing": "number",
    "bool_type": "boolean",
    "bool_parsing": "boolean",
    "string_type": "string",
    "list_type": "array",
    "dict_type": "object",
    "model_type": "object",
    "model_attributes_type": "object",
}


def closed_schema(schema: Schema) -> dict[str, Any]:
    """A tool's input schema that says what `unknown_arguments` enforces: no other arguments."""
    return {**schema, "additionalProperties": False}


def unknown_arguments(arguments: Mapping[str, Any], schema: Schema) -> list[str]:
    """One line for each argument the tool does not take. The schema's properties are the argument
    model's fields under their aliases: exactly the names its validation accepts."""
    names = list(schema.get("properties", {}))
    return [_unknown((key,), names) for key in arguments if key not in names]


def explain_invalid(error: ValidationError, schema: Schema) -> list[str]:
    """One line for each argument (or nested value) that failed validation, in the order pydantic
    found them; a value that failed several ways (the members of a union) gets the first."""
    lines: dict[_Path, str] = {}
    for detail in error.errors():
        path, line = _explain(detail, schema)
        lines.setdefault(path, line)
    return list(lines.values())


def _explain(detail: Any, schema: Schema) -> tuple[_Path, str]:
    kind: str = detail["type"]
    loc: _Path = tuple(detail["loc"])
    if kind == "extra_forbidden" and loc:
        parent_path, parent = _walk(schema, loc[:-1])
        path = (*parent_path, loc[-1])
        return path, _unknown(path, list(parent.get("properties", {})))
    path, node = _walk(schema, loc)
    name = _dotted(path) or "the arguments"
    got = detail.get("input")
    ctx = detail.get("ctx") or {}
    if kind == "missing":
        return path, f"{name} is required; pass {_expected(node)}{_about(node)}"
    if kind in _BOUND_ERRORS:
        return path, (
            f"{name} must be {_range(node, ctx)} (got {_shown(got)}); "
            f"pass {_kind(node)} such as {_json(_example(node, ctx))}"
        )
    if kind == "string_too_short":
        least = ctx.get("min_length", 1)
        if least <= 1:
            return path, f"{name} must not be empty; pass {_expected(node)}{_about(node)}"
        return path, (
            f"{name} must be at least {least:,} characters (got {len(str(got)):,}); pass a longer string"
        )
    if kind == "string_too_long":
        return path, (
            f"{name} must be at most {ctx.get('max_length', 0):,} characters (got {len(str(got)):,}); "
            "pass a shorter string"
        )
    if kind == "too_short":
        least = ctx.get("min_length", 1)
        return path, (
            f"{name} must have at least {_items(least)} (got {ctx.get('actual_length', 0):,}); "
            f"pass {_expected(node)}{_about(node)}"
        )
    if kind == "too_long":
        return path, (
            f"{name} must have at most {_items(ctx.get('max_length', 0))} (got {ctx.get('actual_length', 0):,}); "
            "pass fewer, over several calls if need be"
        )
    if kind in ("literal_error", "enum"):
        choices = [str(c) for c in node.get("enum", [])]
        return path, (
            f"{name} must be one of {', '.join(_json(c) for c in choices)} (got {_shown(got)}); "
            f"pass {_json(_closest(str(got), choices) or node.get('default') or choices[0])}"
            if choices
            else f"{name}: {_lowered(detail['msg'])} (got {_shown(got)})"
        )
    if kind in _TYPE_ERRORS:
        wanted = _KINDS[_TYPE_ERRORS[kind]][0]
        return path, f"{name} must be {wanted} (got {_shown(got)}); pass {_instead(node, got)}"
    return path, f"{name}: {_lowered(detail['msg'])} (got {_shown(got)})"


def _unknown(path: _Path, names: Sequence[str]) -> str:
    key = str(path[-1])
    parent = _dotted(path[:-1])
    full = _dotted(path)
    close = _closest(key, names)
    if close is not None:
        return f"unknown argument {full!r}; did you mean {_dotted((*path[:-1], close))!r}?"
    where = f"{parent} takes" if parent else "this tool takes"
    return f"unknown argument {full!r}; {where} {', '.join(names) or 'no arguments'}"


def _closest(word: str, names: Sequence[str]) -> str | None:
    lowered = {name.lower(): name for name in names}
    found = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[found[0]] if found else None


def _walk(schema: Schema, loc: _Path) -> tuple[_Path, Schema]:
    """The path of `loc` through the schema (arguments, object keys, list indexes) and the schema of
    the value there. Parts that name a union member, not a value, are skipped."""
    defs = schema.get("$defs", {})
    node = _resolve(schema, defs, None)
    path: list[str | int] = []
    for part in loc:
        node = _resolve(node, defs, part)
        if isinstance(part, int) and node.get("type") == "array":
            node = _resolve(node.get("items", {}), defs, None)
            path.append(part)
        elif isinstance(part, str) and part in node.get("properties", {}):
            node = _resolve(node["properties"][part], defs, None)
            path.append(part)
        elif isinstance(part, str) and node.get("type") == "object" and "properties" not in node:
            extra = node.get("additionalProperties")
            node = _resolve(extra if isinstance(extra, Mapping) else {}, defs, None)
            path.append(part)
    return tuple(path), node


def _resolve(node: Schema, defs: Schema, part: str | int | None) -> Schema:
    """`node` with its $ref followed and, if it is a union, the member `part` can index into (the
    first that is not null when `part` is None); the outer description and default are kept."""
    if "$ref" in node:
        target = defs.get(str(node["$ref"]).rsplit("/", 1)[-1], {})
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    options = [_resolve(o, defs, None) for o in node.get("anyOf", ()) if o.get("type") != "null"]
    if not options:
        return node
    chosen = options[0]
    for option in options:
        if isinstance(part, int) and option.get("type") == "array":
            chosen = option
            break
        if isinstance(part, str) and part in option.get("properties", {}):
            chosen = option
            break
    return {**chosen, **{k: v for k, v in node.items() if k != "anyOf"}}


def _dotted(path: _Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _kind(node: Schema) -> str:
    return _KINDS.get(str(node.get("type")), ("a value", "values"))[0]


def _expected(node: Schema) -> str:
    """What a value here is, e.g. 'a list of strings' or 'one of any, all'."""
    if "enum" in node:
        return "one of " + ", ".join(_json(c) for c in node["enum"])
    if node.get("type") == "array" and isinstance(node.get("items"), Mapping) and node["items"].get("type"):
        return "a list of " + _KINDS.get(str(node["items"]["type"]), ("", "values"))[1]
    return _kind(node)


def _about(node: Schema) -> str:
    """The first sentence of the value's description, after a colon ('' without one)."""
    description = str(node.get("description") or "").strip()
    if not description:
        return ""
    sentence = description.split(". ", 1)[0].rstrip(".")
    return ": " + _lowered(sentence)


def _instead(node: Schema, got: Any) -> str:
    """What to pass in place of a value of the wrong type."""
    if node.get("type") == "array" and isinstance(got, str | int | float) and not isinstance(got, bool):
        return f"a list such as [{_json(got)}]"
    if node.get("type") == "object" and node.get("properties"):
        return "an object with keys from " + ", ".join(node["properties"])
    if node.get("type") in ("integer", "number"):
        return f"{_kind(node)} such as {_json(_example(node, {}))}"
    return _expected(node) + _about(node)


def _range(node: Schema, ctx: Mapping[str, Any]) -> str:
    low, high = node.get("minimum", ctx.get("ge")), node.get("maximum", ctx.get("le"))
    above, below = node.get("exclusiveMinimum", ctx.get("gt")), node.get("exclusiveMaximum", ctx.get("lt"))
    if low is not None and high is not None:
        return f"between {_number(low)} and {_number(high)}"
    rules = []
    if low is not None:
        rules.append(f"at least {_number(low)}")
    if above is not None:
        rules.append(f"greater than {_number(above)}")
    if high is not None:
        rules.append(f"at most {_number(high)}")
    if below is not None:
        rules.append(f"less than {_number(below)}")
    return " and ".join(rules) or "in range"


def _example(node: Schema, ctx: Mapping[str, Any]) -> float:
    """A value to suggest: the default, else the middle of the range, else its one bound."""
    default = node.get("default")
    if isinstance(default, int | float) and not isinstance(default, bool):
        return default
    low, high = node.get("minimum", ctx.get("ge")), node.get("maximum", ctx.get("le"))
    if low is not None and high is not None:
        middle = (low + high) / 2
        return int(middle) if node.get("type") == "integer" else middle
    return next((bound for bound in (low, high) if bound is not None), 1)


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, float) and not value.is_integer():
        return f"{value:g}"
    return f"{int(value):,}"


def _items(count: int) -> str:
    return f"{count:,} item" + ("" if count == 1 else "s")


def _shown(value: Any) -> str:
    """The refused value, short enough for one line."""
    if isinstance(value, str) and len(value) > 40:
        return f"a {len(value):,}-character string"
    if isinstance(value, list | tuple) and len(value) > 5:
        return f"a list of {len(value):,} items"
    if isinstance(value, Mapping) and value:
        return "an object"
    text = _json(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _json(value: Any) -> str:
    """A value as the caller would write it in the call's JSON."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def _lowered(text: str) -> str:
    """`text` with its first letter lower-cased, unless it starts an acronym or a name like 'MCP'."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]
