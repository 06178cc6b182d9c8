"""Argument types the tools share: the annotation is the schema (type, limits, description)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from mcp_memory.limits import MAX_IDS, MAX_LIMIT, MAX_TAG_LENGTH, MAX_TAGS

__all__ = [
    "Filter",
    "Ids",
    "Kind",
    "Limit",
    "MemoryId",
    "OptionalIds",
    "Project",
    "Since",
    "Tags",
    "Until",
    "Visibility",
    "filter_mapping",
]

Tags = Annotated[
    list[str] | None,
    Field(
        description=f"Short labels such as 'auth' or 'bug' (at most {MAX_TAGS}, {MAX_TAG_LENGTH} chars each)."
    ),
]
Project = Annotated[
    str | None,
    Field(
        description="Project scope. Omit for the current project plus global memories; a name for that project "
        "plus global ones; 'global' for global memories only; '*' for all projects."
    ),
]
Visibility = Annotated[
    Literal["team", "private"] | None,
    Field(
        description="On a shared team database: 'team' (every member reads it; the default) or 'private' "
        "(you alone). Ignored on a local store, where every memory is yours."
    ),
]
NewVisibility = Annotated[
    Literal["team", "private"] | None,
    Field(
        description="On a shared team database: share it with every member ('team') or keep it to "
        "yourself ('private'; only its owner may). Ignored on a local store."
    ),
]
Kind = Annotated[
    str | None,
    Field(description="Kind of memory, e.g. note, fact, decision, preference, lesson, snippet."),
]
Since = Annotated[
    str | None,
    Field(
        description="Only memories created at or after this time: ISO 8601 or e.g. 'yesterday', '3 days ago'."
    ),
]
Until = Annotated[
    str | None,
    Field(description="Only memories created before this time (a day counts whole): ISO 8601 or relative."),
]
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT, description=f"Number of results, 1 to {MAX_LIMIT}.")]
Ids = Annotated[list[str], Field(min_length=1, max_length=MAX_IDS, description="Memory ids such as 'm_12'.")]


MemoryId = Annotated[str, Field(description="A memory id such as 'm_12'.")]
OptionalIds = Annotated[
    list[str] | None, Field(max_length=MAX_IDS, description="Memory ids; or use `filter` instead.")
]


class Filter(BaseModel):
    """Which memories: at least one criterion."""

    model_config = ConfigDict(extra="forbid")
    tags: list[str] | None = Field(default=None, description="Any of these tags (all, with tag_mode).")
    tag_mode: Literal["any", "all"] = "any"
    kind: str | None = None
    project: str | None = Field(default=None, description="A project, 'global' or '*'.")
    since: str | None = Field(default=None, description="Created at or after (ISO 8601 or relative).")
    until: str | None = Field(default=None, description="Created before.")

    def as_mapping(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


def filter_mapping(flt: Filter | None) -> dict[str, Any] | None:
    """A tool's optional filter as the services take it."""
    return None if flt is None else flt.as_mapping()
