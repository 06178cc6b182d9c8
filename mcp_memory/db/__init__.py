"""The SQLite file: connections, extension loading, pragmas and schema migrations."""

from mcp_memory.db.connection import Database, Reader, SqliteLibrary, choose_sqlite
from mcp_memory.db.migrations import LATEST_SCHEMA_VERSION

__all__ = ["LATEST_SCHEMA_VERSION", "Database", "Reader", "SqliteLibrary", "choose_sqlite"]
