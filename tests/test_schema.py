"""Compacting advertised schemas keeps their meaning."""

from __future__ import annotations

from mcp_memory.mcp.schema import compact_schema


def test_titles_go_and_nullable_optionals_fold() -> None:
    """Titles are dropped and anyOf [X, null] with default null becomes X, keeping its description."""
    schema = {
        "title": "args",
        "type": "object",
        "properties": {
            "title": {"title": "Title", "type": "string"},
            "tags": {
                "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}],
                "default": None,
                "description": "labels",
                "title": "Tags",
            },
            "mode": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": "x"},
        },
        "required": ["title"],
    }
    assert compact_schema(schema) == {
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}, "description": "labels"},
            "mode": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": "x"},
        },
        "required": ["title"],
    }


def test_output_schemas_keep_their_nulls() -> None:
    """With fold_optional=False a nullable field stays nullable (clients validate results), written
    compactly; required lists and null defaults go."""
    schema = {
        "properties": {
            "h": {
                "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}],
                "default": None,
            },
            "s": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "S"},
            "m": {"type": "object", "additionalProperties": True},
        },
        "required": ["s"],
    }
    assert compact_schema(schema, fold_optional=False) == {
        "properties": {
            "h": {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}]},
            "s": {"type": ["string", "null"]},
            "m": {"type": "object"},
        }
    }
