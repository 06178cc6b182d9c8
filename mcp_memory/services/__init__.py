"""The memory services, by feature family: what the interfaces (MCP tools, the CLI, client hooks) call.

`app` opens the database and the embedding service once per process; every service function takes
the `App`. Services may import storage, embeddings and the foundations, never an interface.
"""
