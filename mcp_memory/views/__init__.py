"""Views: what a result looks like to the caller, shared by the interfaces so they cannot drift.

Each view turns a service result into the structured output an MCP tool returns (a pydantic model,
which is also the tool's output schema) and the readable text beside it; the command line's `--json`
prints the same structured output. May import the services and the foundations; imported by the
interfaces (`mcp`, `cli`), never by a service.
"""
