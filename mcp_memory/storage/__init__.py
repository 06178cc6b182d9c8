"""Storage: the SQLite file (connections, extension loading, pragmas, migrations), the vector, code and
keyword indexes, the filters shared by queries, and backup.

Knows nothing of tools, the CLI or the services; may import only the foundations.
"""

from mcp_memory.storage.connection import Database, Reader, SqliteLibrary, choose_sqlite
from mcp_memory.storage.migrations import LATEST_SCHEMA_VERSION
from mcp_memory.storage.query import QuerySource

__all__ = ["LATEST_SCHEMA_VERSION", "Database", "QuerySource", "Reader", "SqliteLibrary", "choose_sqlite"]
