"""Knowledge-graph extraction without a language model: code identifiers, file paths, URLs, package
names and capitalised names found in memories become entities linked to the memories that mention
them (`graph_build`)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mcp_memory.limits import MAX_GRAPH_NAME as MAX_NAME
from mcp_memory.services.app import App
from mcp_memory.services.memories.store import Memory, load_memories, resolve_id
from mcp_memory.storage import graph as graph_rows
from mcp_memory.storage.filters import build_filter
from mcp_memory.storage.ids import rowid_of
from mcp_memory.storage.query import Transaction

__all__ = ["BuildResult", "build_graph", "extract_entities"]

_URL = re.compile(r"\bhttps?://[^\s<>()\"'`]+[^\s<>()\"'`.,;:!?]")
_PATH = re.compile(
    r"(?<![\w/.-])(?:\.{0,2}/)?(?:[\w.-]+/)+[\w.-]+\.[A-Za-z0-9]{1,8}\b|(?<![\w/.-])[\w-]+\.(?:py|js|ts|tsx|jsx|rs|go|java|rb|php|c|h|cpp|hpp|cs|kt|swift|md|json|ya?ml|toml|ini|cfg|sql|sh|css|html|txt|lock)\b"
)
_PACKAGE = re.compile(
    r"\b(?:pip install|uv add|poetry add|npm install|npm i|yarn add|pnpm add|cargo add|go get|gem install)\s+((?:[@\w./-]+(?:==[\w.]+)?\s*)+)"
)
_IMPORT = re.compile(r"^\s*(?:from\s+([\w.]+)\s+import|import\s+([\w.]+))", re.MULTILINE)
_CAMEL = re.compile(r"\b[A-Za-z]*[a-z][A-Z][A-Za-z0-9]*\b|\b[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)+\b")
_SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
_CALL = re.compile(r"\b([A-Za-z_][\w.]*)\(\)")
_BACKTICK = re.compile(r"`([^`\n]{2,60})`")
_CAPITALISED = re.compile(r"\b[A-Z][a-zA-Z0-9]+(?:\s+[A-Z][a-zA-Z0-9]+){0,3}\b")
_COMMON = frozenset(
    [
        "I",
        "A",
        "An",
        "The",
        "This",
        "That",
        "These",
        "Those",
        "We",
        "You",
        "He",
        "She",
        "It",
        "They",
        "My",
        "Our",
        "Your",
        "Their",
        "His",
        "Her",
        "Its",
        "If",
        "When",
        "While",
        "But",
        "And",
        "Or",
        "So",
        "Then",
        "Also",
        "Yes",
        "No",
        "Not",
        "Do",
        "Does",
        "Did",
        "Is",
        "Are",
        "Was",
        "Were",
        "Be",
        "Been",
        "Have",
        "Has",
        "Had",
        "Can",
        "Could",
        "Should",
        "Would",
        "Will",
        "Use",
        "Run",
        "Make",
        "Add",
        "See",
        "Note",
        "Todo",
        "Fix",
        "Always",
        "Never",
        "Maybe",
        "Please",
        "Thanks",
        "Hi",
        "Hello",
        "Ok",
        "Okay",
        "Oh",
        "Wow",
        "Yeah",
        "Sure",
        "Just",
        "Now",
        "Today",
        "Yesterday",
        "Tomorrow",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
        "What",
        "Why",
        "How",
        "Where",
        "Who",
        "Which",
        "After",
        "Before",
    ]
)


def extract_entities(text: str) -> dict[str, str]:
    """Names worth a graph node in a text, with a type: url, file, package, identifier or name."""
    found: dict[str, str] = {}

    def add(name: str, type_: str) -> None:
        name = name.strip().strip(".,;:")
        if 2 <= len(name) <= MAX_NAME and name.lower() not in (k.lower() for k in found):
            found[name] = type_

    for match in _URL.findall(text):
        add(match, "url")
    without_urls = _URL.sub(" ", text)
    for match in _PATH.findall(without_urls):
        add(match, "file")
    for match in _PACKAGE.finditer(without_urls):
        for package in match.group(1).split():
            add(package.split("==")[0], "package")
    for match in _IMPORT.finditer(without_urls):
        add((match.group(1) or match.group(2)).split(".")[0], "package")
    for match in _BACKTICK.findall(without_urls):
        if re.fullmatch(r"[\w.:/-]+(?:\(\))?", match):
            add(match.rstrip("()"), "identifier")
    for pattern in (_CALL, _CAMEL, _SNAKE):
        for match in pattern.findall(without_urls):
            add(match if isinstance(match, str) else match[0], "identifier")
    for match in _CAPITALISED.findall(without_urls):
        words = match.split()
        while words and words[0] in _COMMON:
            words = words[1:]
        if words and (len(words) > 1 or len(words[0]) > 2):
            add(" ".join(words), "name")
    return found


@dataclass(frozen=True, slots=True)
class BuildResult:
    memories: int
    entities_created: int
    links: int


async def build_graph(
    app: App, *, ids: Sequence[str] | None = None, project: str | None = None
) -> BuildResult:
    """Extract entities (identifiers, file paths, URLs, packages, capitalised names) from memories and
    link each memory to the entities it mentions. Without ids: every memory in the project scope. A
    private memory on a shared Postgres is linked only to entities the team's graph has already."""
    if ids:
        rowids = [resolve_id(i) for i in ids]
        found = await load_memories(app.db, rowids)
        memories: Iterable[Memory] = [found[r] for r in rowids if r in found]
    else:
        which = build_filter(default_project=app.default_project, project=project)
        loaded = await load_memories(app.db, await graph_rows.memory_rowids(app.db, which))
        memories = loaded.values()
    extracted = [(rowid_of(m.id), m.visibility == "private", extract_entities(m.content)) for m in memories]
    now = time.time()

    async def work(conn: Transaction) -> BuildResult:
        created = links = 0
        for rowid, private, names in extracted:
            for name, type_ in names.items():
                if private:
                    # The graph's entities are the team's: a name only a private memory mentions
                    # stays out of it (it would be the private text, readable by every member).
                    # Its links to entities the team has are private like the memory.
                    found = await graph_rows.entity_id(conn, name)
                    if found is None:
                        continue
                    entity_id = found
                else:
                    entity_id, new = await graph_rows.ensure_entity(conn, name, type_, now)
                    created += new
                links += await graph_rows.link_memory_entity(conn, rowid, entity_id)
        return BuildResult(len(extracted), created, links)

    return await app.db.write(work)
