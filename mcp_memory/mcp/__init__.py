"""Interface: the stdio MCP server (server, its stdio pipes, tool adapters, argument refusals, resources,
prompts, manifest).

Each tool is a thin adapter over one service call. May import the services, storage, embeddings and
the foundations; never the other interfaces (`cli`, `hooks`).
"""
