"""Client hooks: the third interface beside the MCP server and the command line.

Claude Code and Cursor run a hook as a short process fed one JSON event on stdin. A hook cannot reach
a stdio server, so it opens the same SQLite file itself:

- `payload`: the events of both clients, normalised (`HookEvent`);
- `db`: the database through the standard library's sqlite3 (no MCP SDK, no pydantic, no embedding
  model, no aiosqlite on the prompt path), with the same busy timeout as the server;
- `recall`: what enters the agent's context: the session-start block, and the few memories relevant
  to a prompt (keyword evidence only, on search's relevance scale and floor);
- `capture`: what failed and what then worked, with no language model: failing commands become
  episode steps, a later similar command that works becomes a `lesson` memory (through the memory
  services, so redaction, deduplication and history are the server's own);
- `install`: the hook entries for Claude Code's settings and Cursor's hooks.json, and the rules file;
- `run`: the entry point (`mcp-memory hook <client> <event>`): never blocks or fails the client.

Hooks may import the foundations, `services` (capture only, off the prompt path) and `storage`'s
plain-SQL helpers; never the MCP interface or the CLI.
"""
