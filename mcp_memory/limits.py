"""Size limits (every one is defined here, and README lists them) and input normalization, for tools
and CLI alike.

Every check raises before anything is written, so refused input changes nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from mcp_memory.errors import Argument, InvalidInput, LimitExceeded, Operation

TYPE_CHECKING = False  # typing is not imported at run time: a hook process starts faster
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "MAX_CONTENT_BYTES",
    "MAX_IDS",
    "MAX_KIND_LENGTH",
    "MAX_LIMIT",
    "MAX_METADATA_BYTES",
    "MAX_QUERY_CHARS",
    "MAX_TAGS",
    "MAX_TAG_LENGTH",
    "clean_content",
    "clean_ids",
    "clean_kind",
    "clean_metadata",
    "clean_query",
    "clean_tags",
    "user_path",
]

MAX_CONTENT_BYTES = 1_000_000
MAX_TAGS = 50
MAX_TAG_LENGTH = 64
MAX_METADATA_BYTES = 16_384
MAX_KIND_LENGTH = 32
MAX_QUERY_CHARS = 4_000
MAX_IDS = 1_000
MAX_LIMIT = 100
MAX_BATCH = 1_000
MAX_SELECTED = 100_000
MAX_PROJECT_NAME = 200
MAX_PIN_NOTE = 500
MIN_TOKEN_BUDGET = 50
MAX_TOKEN_BUDGET = 100_000
MAX_GRAPH_NAME = 200
MAX_GRAPH_TYPE = 64
MAX_OBSERVATION = 2_000
MAX_GRAPH_ITEMS = 1_000
MAX_GRAPH_DEPTH = 5
MAX_GRAPH_NODES = 500
MAX_EPISODE_TEXT = 10_000
MAX_EPISODE_STEPS = 500
MAX_LIFECYCLE_RULES = 50
#: Paths given to tools: longer is refused before any file system call.
MAX_PATH_LENGTH = 4_096
#: What one import through a tool may read: files in a folder walk, bytes in all, seconds of walking.
#: (The command line has no such caps: the user chose the path.)
MAX_IMPORT_FILES = 2_000
MAX_IMPORT_BYTES = 64 * 1024 * 1024
MAX_IMPORT_SECONDS = 10.0
#: Consolidation's default cosine similarity for a merge. Safe this low because a merge also needs
#: the merged text's facts to be contained in the survivor's (`services/memories/fact_containment.py`):
#: on the fixture in bench/consolidation.py, 0.90 merges 0 look-alikes and 0.86 of restatements.
MERGE_SIMILARITY = 0.90

_KIND = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")


def user_path(text: str) -> Path:
    """A path given by a user, with ~ expanded; '~nobody/x' or a NUL byte is bad input, not a crash."""
    if "\x00" in text:
        raise InvalidInput("the path contains a NUL character; give a plain file path.")
    try:
        return Path(text.strip()).expanduser()
    except RuntimeError as exc:  # ~user where the user does not exist
        raise InvalidInput(
            f"cannot expand {text.strip()!r}: {exc} Give a full path or one starting with ~/."
        ) from exc


def clean_content(content: str) -> str:
    """Content without surrounding whitespace; refused when empty or over 1 MB."""
    text = content.strip()
    if not text:
        raise InvalidInput("content is empty; give the text to remember as ", Argument("content"), ".")
    size = len(text.encode("utf-8"))
    if size > MAX_CONTENT_BYTES:
        raise LimitExceeded(
            f"content is {size:,} bytes, over the limit of {MAX_CONTENT_BYTES:,}; store a summary, or split it "
            "into several memories."
        )
    return text


def clean_tags(tags: Iterable[str] | None) -> list[str]:
    """Tags lower-cased and trimmed, duplicates dropped, order kept; at most 50 of 64 characters."""
    result: list[str] = []
    for raw in tags or ():
        if not isinstance(raw, str):
            raise InvalidInput(f"tag {raw!r} is not a string; tags are short words like 'auth' or 'bug'.")
        tag = " ".join(raw.strip().lower().split())
        if not tag:
            raise InvalidInput("a tag is empty; drop it or give it a name.")
        if len(tag) > MAX_TAG_LENGTH:
            raise LimitExceeded(
                f"tag {tag[:20]!r}… is {len(tag)} characters; tags hold at most {MAX_TAG_LENGTH}."
            )
        if tag not in result:
            result.append(tag)
    if len(result) > MAX_TAGS:
        raise LimitExceeded(f"{len(result)} tags given; at most {MAX_TAGS} per memory.")
    return result


def clean_kind(kind: str | None, default: str = "note") -> str:
    """A kind such as note, fact, decision, preference, lesson: lower-case letters, digits, - and _."""
    if kind is None:
        return default
    value = kind.strip().lower()
    if not value or len(value) > MAX_KIND_LENGTH or not _KIND.match(value):
        raise InvalidInput(
            f"kind {kind!r} is not valid; use a short lower-case word such as note, fact, decision, "
            f"preference or lesson (letters, digits, - and _, at most {MAX_KIND_LENGTH} characters)."
        )
    return value


def clean_metadata(metadata: Mapping[str, Any] | None) -> str:
    """Metadata as compact JSON text, at most 16 KB."""
    if metadata is None:
        return "{}"
    if not isinstance(metadata, Mapping):
        raise InvalidInput('metadata must be a JSON object, for example {"source": "review"}.')
    try:
        text = json.dumps(dict(metadata), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            f"metadata cannot be stored as JSON ({exc}); use strings, numbers, lists and objects."
        ) from exc
    size = len(text.encode("utf-8"))
    if size > MAX_METADATA_BYTES:
        raise LimitExceeded(
            f"metadata is {size:,} bytes as JSON, over the limit of {MAX_METADATA_BYTES:,}; keep large text in content."
        )
    return text


def clean_query(query: str) -> str:
    """A search query, trimmed; refused when empty or over 4,000 characters."""
    text = query.strip()
    if not text:
        raise InvalidInput(
            "query is empty; describe what you are looking for, e.g. 'database migration decision'."
        )
    if len(text) > MAX_QUERY_CHARS:
        raise LimitExceeded(
            f"query is {len(text):,} characters; at most {MAX_QUERY_CHARS:,}. Shorten it to the key terms."
        )
    return text


def clean_ids(ids: Iterable[str]) -> list[str]:
    """Ids as given, duplicates dropped; between 1 and 1,000."""
    result = list(dict.fromkeys(str(i).strip() for i in ids))
    if not result:
        raise InvalidInput(
            "no ids given; ",
            Operation("memory_search"),
            " and ",
            Operation("memory_recent"),
            " return ids like 'm_12'.",
        )
    if len(result) > MAX_IDS:
        raise LimitExceeded(f"{len(result)} ids given; at most {MAX_IDS:,} per call.")
    return result
