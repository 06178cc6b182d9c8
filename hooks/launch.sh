#!/bin/sh
# Starts mcp-memory from the Claude Code plugin's folder (this file's parent's parent). Once the
# folder has its environment (`uv run` below makes it on first use, as does the plugin's server),
# that environment's command runs directly: no uv resolution and no package index on every hook.
root=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
for command in "$root/.venv/bin/mcp-memory-local" "$root/.venv/Scripts/mcp-memory-local.exe"; do
    if [ -x "$command" ]; then
        exec "$command" "$@"
    fi
done
exec uv run --project "$root" --no-dev --quiet mcp-memory-local "$@"
