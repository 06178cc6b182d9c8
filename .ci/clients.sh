#!/usr/bin/env bash
# Real clients: install the package with uvx, then drive a stdio session through the uvx-installed
# command with the MCP Inspector's CLI mode: list tools, store, search, read a resource, list prompts.
set -euo pipefail
shopt -s lastpipe  # `... | check` runs check in this shell, so it can count
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0

check() {  # check NAME PYTHON-EXPRESSION-ON-`data` < JSON
    local name=$1 expression=$2
    if python3 -c "import json, sys; data = json.load(sys.stdin); sys.exit(0 if ($expression) else 1)"; then
        echo "ok   $name"
        passed=$((passed + 1))
    else
        echo "FAIL $name" >&2
        exit 1
    fi
}

echo "+ uvx --from . mcp-memory --help"
uvx --from . mcp-memory --help > /dev/null
echo "ok   uvx installs mcp-memory and runs it"
passed=$((passed + 1))

echo "+ npm install @modelcontextprotocol/inspector"
npm install --prefix "$work/inspector" --no-audit --no-fund --loglevel=error @modelcontextprotocol/inspector@2.12.0 > /dev/null
inspector="$work/inspector/node_modules/.bin/mcp-inspector"
env_args=(-e "MCP_MEMORY_DB=$work/memory.db" -e "MCP_MEMORY_LOG_LEVEL=WARNING")
if [ -n "${SSL_CERT_FILE:-}" ]; then env_args+=(-e "SSL_CERT_FILE=$SSL_CERT_FILE"); fi
# --offline: the session runs the environment `uvx --from . mcp-memory --help` installed above.
run() { "$inspector" --cli "${env_args[@]}" uvx --offline --from . mcp-memory "$@" 2>/dev/null; }

run --method tools/list | check "inspector: tools/list has the 35 catalogue tools" \
    "len(data['tools']) == 35 and {'memory_store', 'memory_search', 'graph_query'} <= {t['name'] for t in data['tools']}"
run --method tools/call --tool-name memory_store --tool-arg 'content=The Inspector stored this memory in CI' \
    --tool-arg 'tags=["ci"]' | check "inspector: memory_store" \
    "not data['isError'] and data['structuredContent']['status'] == 'created'"
run --method tools/call --tool-name memory_search --tool-arg 'query=inspector memory' | check "inspector: memory_search finds it" \
    "not data['isError'] and data['structuredContent']['results'][0]['content'] == 'The Inspector stored this memory in CI'"
run --method resources/read --uri memory://stats | check "inspector: resources/read memory://stats" \
    "json.loads(data['contents'][0]['text'])['memories'] == 1"
run --method prompts/list | check "inspector: prompts/list" \
    "{p['name'] for p in data['prompts']} == {'recall', 'save_lessons'}"
echo "clients: $passed passed, 0 failed"
