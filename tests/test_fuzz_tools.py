"""Property-based: every tool's published input schema, driven with valid and invalid arguments through
the MCP client. No call crashes; every rejected call is an isError result that says what was wrong,
and changes nothing in the database."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client

from mcp_memory.mcp.server import build_server
from tests.conftest import db_digest, fake_loader, make_settings, wait_for_model

ROOT = Path(__file__).resolve().parent.parent
TOOLS = {t["name"]: t for t in json.loads((ROOT / "tools.json").read_text())["tools"]}
# The generic message the SDK gives for an exception the tool did not anticipate: a crash.
CRASH = "Error executing tool {name}"

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)


def from_schema(schema: dict[str, Any], defs: dict[str, Any] | None = None) -> st.SearchStrategy[Any]:
    """Values valid for the subset of JSON Schema the tools publish (types, enums, bounds, lengths,
    arrays, objects, anyOf, $ref)."""
    defs = defs if defs is not None else schema.get("$defs", {})
    if "$ref" in schema:
        return from_schema(defs[schema["$ref"].rsplit("/", 1)[1]], defs)
    if "anyOf" in schema:
        return st.one_of([from_schema(option, defs) for option in schema["anyOf"]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([from_schema({**schema, "type": k}, defs) for k in kind])
    if kind == "string":
        return st.text(min_size=schema.get("minLength", 0), max_size=min(schema.get("maxLength", 60), 60))
    if kind == "integer":
        return st.integers(schema.get("minimum", -1000), schema.get("maximum", 1000))
    if kind == "number":
        return st.floats(schema.get("minimum", -1e6), schema.get("maximum", 1e6), allow_nan=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        items = from_schema(schema.get("items", {}), defs) if schema.get("items") else JSON_VALUES
        return st.lists(
            items,
            min_size=schema.get("minLength", schema.get("minItems", 0)),
            max_size=min(schema.get("maxItems", 4), 4),
        )
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {k: from_schema(v, defs) for k, v in properties.items() if k in required},
            optional={k: from_schema(v, defs) for k, v in properties.items() if k not in required},
        )
    return JSON_VALUES


def invalid_arguments(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects using the tool's argument names (and a stray one) with values of any JSON type."""
    names = [*schema.get("properties", {}), "not_an_argument"]
    return st.dictionaries(st.sampled_from(names), JSON_VALUES, max_size=5)


def arguments(name: str) -> st.SearchStrategy[dict[str, Any]]:
    schema = TOOLS[name]["inputSchema"]
    return from_schema(schema) | invalid_arguments(schema)


@pytest.fixture
def fuzz_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[BlockingPortal, Client, Path]]:
    """A client whose event loop runs in another thread, so Hypothesis can drive it synchronously."""
    # Exports may only write inside home or the data directory: keep both in the temp folder.
    monkeypatch.setenv("HOME", str(tmp_path))
    settings_ = make_settings(tmp_path)
    server = build_server(settings_, loader=fake_loader())
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(Client(server, mode="legacy")) as client,
    ):
        portal.call(wait_for_model, client)
        for text in ("alpha note about deploys", "beta note about billing", "gamma note about tests"):
            portal.call(client.call_tool, "memory_store", {"content": text, "tags": ["seed"]})
        yield portal, client, settings_.database


@pytest.mark.parametrize("name", sorted(TOOLS))
def test_tool_never_crashes_and_rejections_change_nothing(
    name: str, fuzz_client: tuple[BlockingPortal, Client, Path]
) -> None:
    """Random valid and invalid arguments for one tool: success, or a clear isError with no change."""
    portal, client, database = fuzz_client

    # In CI the examples are derandomized (the same every run), so a landing never hinges on luck;
    # locally each run explores new ones.
    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=bool(os.environ.get("CI")),
    )
    @given(args=arguments(name))
    def check(args: dict[str, Any]) -> None:
        before = db_digest(database)
        result = portal.call(client.call_tool, name, args)
        text = " ".join(getattr(block, "text", "") for block in result.content)
        if result.is_error:
            assert text.strip() != CRASH.format(name=name), f"{name} crashed on {args!r}"
            assert len(text) > len(CRASH.format(name=name)) + 5, f"{name}: no reason given for {args!r}"
            assert db_digest(database) == before, f"{name} changed the database while refusing {args!r}"
        else:
            assert result.structured_content is not None, name

    check()
