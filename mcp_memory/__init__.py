"""mcp-memory: long-term memory for AI coding agents, served over MCP stdio from one SQLite file.

The folders are the layers, and imports only go down (import-linter contracts in pyproject.toml;
docs/ARCHITECTURE.md draws them):

- interfaces: `mcp` (the stdio server and its tools), `cli` (the command line);
- `views`: results as callers see them (a tool's structured output and text, the CLI's --json);
- `services`: the memory services by feature family, over one `App` per process;
- `storage` (the SQLite file and its indexes) and `embeddings` (the model), side by side;
- foundations, the modules here: `config` (settings), `errors`, `limits`, `logs`, `timeparse`,
  `projects`, `concurrently`, `process_tuning` (glibc's malloc and the GIL's switch interval),
  `relevance` (the relevance scale and its floor), `previews` (text shortened for display, never
  inside a redaction marker).
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
