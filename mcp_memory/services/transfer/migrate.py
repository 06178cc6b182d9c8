"""`mcp-memory migrate`: copy a whole store from one engine to the other, the SQLite file into a shared
Postgres (`--to URL`) or a Postgres database into a file (`--from URL --to PATH`).

What moves is what an export holds (memories with their tags, metadata, pins, times, deletion and
archive state; their versions; the knowledge graph and memory links; episodes with steps; lifecycle
rules), read in one snapshot of the source and written in one transaction into the target, so the
target has all of it or none. The exported vectors are kept when the target's model is the one that
made them (no re-embedding); memories without one are embedded after. Nothing is redacted again:
the text was redacted when it was first stored, and a migration is the user's own data moving.

Running it again adds nothing already there (the import's rules, `restore`), so a second run after
the last clients have stopped picks up what they wrote during the first. Memories keep their order;
a shared Postgres numbers them itself. On Postgres they are owned by the role of the URL, with the
visibility asked for: private by default, since a personal store holds what its owner never meant
for a team.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mcp_memory.config import Settings
from mcp_memory.errors import InvalidInput
from mcp_memory.services.app import App
from mcp_memory.services.transfer.exporting import export_records
from mcp_memory.services.transfer.importing import ImportResult, restore_export
from mcp_memory.storage.query import POSTGRES

__all__ = [
    "Migrated",
    "Store",
    "check_ends",
    "configured_store",
    "copy_store",
    "default_source",
    "parse_store",
    "store_settings",
]

_URL_SCHEMES = ("postgresql://", "postgres://")


@dataclass(frozen=True, slots=True)
class Store:
    """One end of a migration: a Postgres URL or a SQLite file."""

    url: str | None = None
    path: Path | None = None

    def describe(self) -> str:
        if self.url is not None:
            from mcp_memory.storage.postgres.connect import describe_url

            return describe_url(self.url)
        return str(self.path)


def parse_store(text: str) -> Store:
    """A `postgresql://` URL, or else the path of a SQLite file."""
    if text.startswith(_URL_SCHEMES):
        return Store(url=text)
    if "://" in text:
        raise InvalidInput(
            f"{text.split('://', 1)[0]}:// is not a database this migrates; give a postgresql:// URL "
            "or the path of a SQLite file."
        )
    return Store(path=Path(text).expanduser().resolve())


def configured_store(settings: Settings) -> Store:
    """The store the settings open: the shared Postgres of `database_url`, else the SQLite file."""
    if settings.database_url:
        return Store(url=settings.database_url)
    return Store(path=settings.database.resolve())


def default_source(settings: Settings, target: Store) -> Store:
    """What a migration copies when not told: into Postgres, this machine's SQLite file (even with
    MCP_MEMORY_DATABASE_URL already set to the target); into a file, the configured store."""
    if target.url is not None:
        return Store(path=settings.database.resolve())
    return configured_store(settings)


def store_settings(settings: Settings, store: Store) -> Settings:
    """`settings` opening `store` instead of the configured database."""
    if store.url is not None:
        return settings.replace(database_url=store.url)
    return settings.replace(database_url=None, db_path=store.path)


def check_ends(source: Store, target: Store) -> None:
    """Refuse a migration that would copy a store into itself, or whose source file is missing."""
    if source == target:
        raise InvalidInput(
            f"the source and the target are the same store ({source.describe()}); name the other "
            "one with --to (or --from)."
        )
    if source.path is not None and not source.path.is_file():
        raise InvalidInput(f"there is no database file at {source.path}; give the file with --from.")
    if target.path is not None and target.path.is_dir():
        raise InvalidInput(f"{target.path} is a folder; give the path of a database file with --to.")


@dataclass(frozen=True, slots=True)
class Migrated:
    """What a migration wrote into the target (and found there already); `result.vectors_kept`
    memories came with a vector the target could keep."""

    source: str
    target: str
    result: ImportResult
    visibility: str | None  # None on a SQLite target


async def copy_store(source: App, target: App, *, visibility: str) -> Migrated:
    """Copy everything in `source` into `target` (both open; the target's model is loaded first, so
    the source's vectors can be kept when the two models agree)."""
    await target.ensure_model()
    records = await export_records(source, include_vectors=True)
    result = await restore_export(target, list(enumerate(records, start=1)), visibility=visibility)
    return Migrated(
        source=_where(source),
        target=_where(target),
        result=result,
        visibility=visibility if target.db.dialect == POSTGRES else None,
    )


def _where(app: App) -> str:
    return configured_store(app.settings).describe()
