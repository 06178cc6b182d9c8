#!/usr/bin/env bash
# Real clients: build the wheel and sdist, install the wheel with uvx in a clean environment, answer
# one stdio `initialize` through it offline; install from the clone with `uv tool install` (the
# README's steps before publication) and run the installed server and CLI with the network off; then
# drive a stdio session through the uvx-installed command with the MCP Inspector's CLI mode: list
# tools, store, search, read a resource, list prompts.
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

echo "+ uv build --out-dir $work/dist"
uv build --quiet --out-dir "$work/dist"
wheel=$(ls "$work"/dist/mcp_memory_local-*.whl)
ls "$work"/dist/mcp_memory_local-*.tar.gz > /dev/null
echo "ok   uv build makes the wheel and the sdist"
passed=$((passed + 1))

echo "+ uvx --isolated --from $wheel mcp-memory-local --help"
uvx --isolated --from "$wheel" mcp-memory-local --help > /dev/null
echo "ok   uvx installs the built wheel in a clean environment and runs mcp-memory-local"
passed=$((passed + 1))

echo "+ initialize over stdio through uvx --offline"
MCP_MEMORY_DB="$work/init.db" python3 - "$wheel" <<'PY'
import json, subprocess, sys
proc = subprocess.Popen(
    ["uvx", "--offline", "--from", sys.argv[1], "mcp-memory-local"],
    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
)
request = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "ci", "version": "1"}}}
out, _ = proc.communicate((json.dumps(request) + "\n").encode(), timeout=120)
reply = json.loads(out.decode().splitlines()[0])
assert reply["result"]["serverInfo"]["name"] == "mcp-memory", reply
PY
echo "ok   the wheel answers initialize over stdio, offline"
passed=$((passed + 1))

echo "+ uv tool install . (the README's install from a clone), then the network off"
UV_TOOL_DIR="$work/tools" UV_TOOL_BIN_DIR="$work/bin" uv tool install --quiet .
offline=()
if unshare -n true 2>/dev/null; then
    offline=(unshare -n --)  # a network namespace with no interfaces: nothing reaches the index
else
    echo "     (unshare -n is not allowed here; the installed command runs with the network on)"
fi
"${offline[@]}" env MCP_MEMORY_DATA_DIR="$work/installed" python3 - "$work/bin/mcp-memory-local" <<'PY'
import json, subprocess, sys
proc = subprocess.Popen([sys.argv[1]], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
def send(message):
    proc.stdin.write(json.dumps(message) + "\n")
    proc.stdin.flush()
    return json.loads(proc.stdout.readline()) if "id" in message else None
hello = send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "ci", "version": "1"}}})
assert hello["result"]["serverInfo"]["name"] == "mcp-memory", hello
send({"jsonrpc": "2.0", "method": "notifications/initialized"})
stored = send({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
    "name": "memory_store", "arguments": {"content": "Stored by the tool installed from a clone"}}})
assert stored["result"]["structuredContent"]["status"] == "created", stored
proc.stdin.close()
proc.wait(timeout=60)
PY
"${offline[@]}" env MCP_MEMORY_DATA_DIR="$work/installed" "$work/bin/mcp-memory" stats --json | check \
    "uv tool install from the clone: the server stores and the CLI reads it with the network off" \
    "data['memories'] == 1"

# The plugin's own launch (.mcp.json and hooks/launch.sh), from this checkout, its environment made.
"${offline[@]}" env CLAUDE_PLUGIN_ROOT="$PWD" uv run --project "$PWD" --no-dev --quiet mcp-memory-local --version > /dev/null
echo '{"hook_event_name": "SessionStart", "session_id": "ci", "cwd": "/tmp"}' \
    | "${offline[@]}" env MCP_MEMORY_DATA_DIR="$work/installed" sh hooks/launch.sh hook claude-code SessionStart > /dev/null
echo "ok   the plugin's server command and hook launcher start from the checkout with the network off"
passed=$((passed + 1))

echo "+ npm install @modelcontextprotocol/inspector"
npm install --prefix "$work/inspector" --no-audit --no-fund --loglevel=error @modelcontextprotocol/inspector@2.12.0 > /dev/null
inspector="$work/inspector/node_modules/.bin/mcp-inspector"
env_args=(-e "MCP_MEMORY_DB=$work/memory.db" -e "MCP_MEMORY_LOG_LEVEL=WARNING")
if [ -n "${SSL_CERT_FILE:-}" ]; then env_args+=(-e "SSL_CERT_FILE=$SSL_CERT_FILE"); fi
# --offline: the session runs the built wheel's environment that uvx installed above.
run() { "$inspector" --cli "${env_args[@]}" uvx --offline --from "$wheel" mcp-memory-local "$@" 2>/dev/null; }

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
