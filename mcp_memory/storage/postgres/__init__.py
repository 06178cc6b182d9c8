"""The second storage engine: a shared Postgres with pgvector, for a user's several machines and for a
team (`MCP_MEMORY_DATABASE_URL`).

What only Postgres has lives here, beside the SQLite modules of `mcp_memory.storage`: the schema
with its row-level security policies (`schema`), the team's roles (`team`), and connecting
(`connect`). Privacy is the engine's: each member connects as their own role, and the policies decide
which rows that role can see, so no query of ours (or a member's own SQL) reads another member's
private memories.

Needs the `postgres` extra (`psycopg`, `psycopg-pool`, `pgvector`); nothing else in the package
imports this subpackage unless a database URL is set.
"""
