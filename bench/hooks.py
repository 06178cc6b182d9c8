"""Client hook latency: whole-process wall time of `mcp-memory hook claude-code <event>`, as Claude
Code runs it, next to a bare `python -c pass` measured in the same run.

    uv run python bench/hooks.py [--memories 10000] [--runs 40] [--engines sqlite,postgres] [--server]

A fresh database of --memories memories (LoCoMo dialog turns and the agent-memory dev set, varied to
reach the count; kinds decision, convention, preference, lesson, fact; two projects; a few pinned)
stored through the batch service. Then, each run a new process fed a recorded payload:

- SessionStart (source startup), one new session each run;
- UserPromptSubmit, prompts cycling through ones that name stored things and ones that do not;
- PostToolUse, the usual case: a Bash command that worked with no failure before it;
- PostToolUseFailure: a failing command recorded;
- a fix (a command that works after a similar one failed, which stores a lesson through the memory
  services): reported, not part of the goals (it happens once per fix, not per call).

Goals (issue 17): UserPromptSubmit and PostToolUse p95 <= bare + 120 ms, SessionStart p95 <= bare +
400 ms. Absolute times drift with the machine's load; the differences to bare are the figures. With
`--engines sqlite,postgres` the same memories are also stored in a team database on a local Postgres
(bench/pg_server.py) and the hooks run there as a member role, interleaved with the SQLite runs.
With `--server` each engine is measured twice, interleaved: without a server, and with a running
`mcp-memory serve` (the real model, loaded) on the same database, which the prompt hook asks for
the prompt's hybrid search over its local socket (issue 27); the memories are stored with vectors.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import anyio

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "bench"
KINDS = ("decision", "convention", "preference", "lesson", "fact", "fact", "note")
PROMPTS = (
    "which package manager for the frontend, pnpm or npm?",
    "please refactor the login form",
    "why does the airflow DAG sync fail on the KubernetesExecutor",
    "thanks, that looks good",
    "what did Caroline say about the adoption agency",
    "run the release build for android",
    "fix the flaky checkout test",
    "what port does the API gateway use in staging",
)


def _texts(count: int) -> list[str]:
    base: list[str] = []
    locomo = SHARED / "locomo-dev.json"
    if locomo.exists():
        for sample in json.loads(locomo.read_text()):
            conv = sample["conversation"]
            for key, turns in conv.items():
                if key.startswith("session_") and isinstance(turns, list):
                    base += [f"{t['speaker']}: {t['text']}" for t in turns]
    agentmem = SHARED / "agentmem-dev.json"
    if agentmem.exists():
        base += [m["content"] for m in json.loads(agentmem.read_text())["memories"]]
    if not base:
        base = [
            f"Service {n} listens on port {8000 + n} and logs to /var/log/service{n}.log" for n in range(500)
        ]
    out = []
    for n in range(count):
        text = base[n % len(base)]
        out.append(text if n < len(base) else f"{text} (variant {n // len(base)})")
    return out


async def _build(settings: Any, count: int, vectors: bool = False) -> None:
    from mcp_memory.services.app import open_app
    from mcp_memory.services.memories.batch import batch_store
    from mcp_memory.services.memories.pins import set_pinned

    rng = random.Random(17)
    async with open_app(settings) as app:
        if vectors:
            await app.load_model()
        texts = _texts(count)
        for start in range(0, len(texts), 1000):
            items = [
                {
                    "content": t,
                    "kind": rng.choice(KINDS),
                    "project": rng.choice(("shop", "shop", "global", "other")),
                    "importance": round(rng.random(), 2),
                }
                for t in texts[start : start + 1000]
            ]
            results = await batch_store(app, items)
            if start == 0:
                for r in results[:5]:
                    if r.id:
                        await set_pinned(app, r.id, True)


def _time(argv: list[str], stdin: str, env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(argv, input=stdin, capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{argv} failed: {done.stderr}")
    return elapsed, done.stdout


def _payload(event: str, session: str, cwd: Path, **extra: Any) -> str:
    return json.dumps({"session_id": session, "transcript_path": str(cwd / "t.jsonl"), "cwd": str(cwd),
                       "hook_event_name": event, **extra})  # fmt: skip


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--memories", type=int, default=10_000, help="memories in the database (default 10,000)"
    )
    parser.add_argument("--runs", type=int, default=40, help="processes per event (default 40)")
    parser.add_argument(
        "--engines", default="sqlite", help="comma-separated: sqlite, postgres (default sqlite)"
    )
    parser.add_argument(
        "--server", action="store_true", help="also measure each engine with a running server to ask"
    )
    args = parser.parse_args()
    bases = [e.strip() for e in args.engines.split(",") if e.strip()]
    engines = [*bases, *(f"{e} + server" for e in bases if args.server)]
    # Installed packages carry their bytecode (or write it on first run); a checkout run with
    # PYTHONDONTWRITEBYTECODE (as here) would compile every module in every hook process instead.
    import compileall

    compileall.compile_dir(str(ROOT / "mcp_memory"), quiet=1)
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        folder = Path(tmp)
        checkout = folder / "shop"
        (checkout / ".git").mkdir(parents=True)
        envs = {name: _engine_env(name, folder, args.memories, stack, args.server) for name in bases}
        for name in bases if args.server else ():
            envs[f"{name} + server"] = _with_server(envs[name], folder / f"{name}-server", stack)
        # The console script, as a client runs it once the package is installed (`python -m` would
        # add runpy's start-up).
        script = Path(sys.executable).with_name("mcp-memory-local")
        hook = [
            str(script) if script.exists() else sys.executable,
            *([] if script.exists() else ["-m", "mcp_memory"]),
            "hook",
            "claude-code",
        ]
        events = ("session-start", "prompt", "tool", "failure", "fix")
        bare: list[float] = []
        times: dict[str, dict[str, list[float]]] = {name: {event: [] for event in events} for name in engines}
        injected = dict.fromkeys(engines, 0)
        for n in range(args.runs):
            # Interleaved, so that load on the machine falls on every figure alike.
            bare.append(_time([sys.executable, "-c", "pass"], "", envs[engines[0]])[0])
            for name in engines:
                injected[name] += _one_round(
                    hook, n, f"{engines.index(name)}-{n}", checkout, envs[name], times[name]
                )
    bare50, bare95 = _p(bare, 0.5), _p(bare, 0.95)
    for name in engines:
        _report(name, args, times[name], injected[name], bare, bare50, bare95)


def _with_server(env: dict[str, str], data_dir: Path, stack: ExitStack) -> dict[str, str]:
    """`env` with a data directory of its own, where a server of the same database runs (started
    here, stopped with `stack`), its model loaded and answering on its socket."""
    from mcp_memory.config import Settings
    from mcp_memory.local_socket import ask

    served = {**env, "MCP_MEMORY_DATA_DIR": str(data_dir), "MCP_MEMORY_PROJECT": "shop"}
    data_dir.mkdir()
    server = subprocess.Popen(
        [sys.executable, "-m", "mcp_memory", "serve"], stdin=subprocess.PIPE, env=served
    )
    stack.callback(server.wait, 60)
    stack.callback(server.stdin.close)  # type: ignore[union-attr]
    settings = Settings.load(served)
    request = {"op": "search", "query": "pnpm frontend", "project": "shop", "limit": 3, "min_relevance": 0.3}
    deadline = time.monotonic() + 300
    while ask(settings, request, seconds=5) is None:
        if time.monotonic() > deadline or server.poll() is not None:
            raise SystemExit("the server did not answer on its socket")
        time.sleep(0.5)
    return served


def _engine_env(name: str, folder: Path, count: int, stack: ExitStack, vectors: bool) -> dict[str, str]:
    """The hook processes' environment for engine `name`, its database filled with `count` memories
    (with their vectors when `vectors`)."""
    from mcp_memory.config import Settings

    env = {k: v for k, v in os.environ.items() if not k.startswith("MCP_MEMORY_")}
    env.update(MCP_MEMORY_DATA_DIR=str(folder / name), MCP_MEMORY_LOG_LEVEL="ERROR")
    (folder / name).mkdir()
    if name == "postgres":
        sys.path.insert(0, str(ROOT / "bench"))
        from pg_server import analyze, local_postgres

        url = stack.enter_context(local_postgres())()
        settings = Settings.load(env={}, database_url=url, data_dir=folder / name, project="shop")
        anyio.run(_build, settings, count, vectors)
        analyze(url)
        env["MCP_MEMORY_DATABASE_URL"] = url
        return env
    db = folder / name / "memory.db"
    settings = Settings.load(env={}, db_path=db, data_dir=folder / name, project="shop")
    anyio.run(_build, settings, count, vectors)
    env["MCP_MEMORY_DB"] = str(db)
    return env


def _one_round(
    hook: list[str], n: int, tag: str, checkout: Path, env: dict[str, str], times: dict[str, list[float]]
) -> bool:
    """Run each measured hook once (round `n`; `tag` makes its sessions and commands its own);
    whether the prompt injected memories."""
    elapsed, _ = _time(
        [*hook, "session-start"], _payload("SessionStart", f"start-{tag}", checkout, source="startup"), env
    )
    times["session-start"].append(elapsed)
    prompt = PROMPTS[n % len(PROMPTS)]
    elapsed, out = _time(
        [*hook, "user-prompt-submit"],
        _payload("UserPromptSubmit", f"prompt-{tag}", checkout, prompt=prompt),
        env,
    )
    times["prompt"].append(elapsed)
    worked = {"stdout": "ok", "stderr": "", "interrupted": False, "isImage": False}
    elapsed, _ = _time([*hook, "post-tool-use"], _payload("PostToolUse", f"tool-{tag}", checkout, tool_name="Bash",
                       tool_input={"command": f"ls -la src/{tag}"}, tool_response=worked), env)  # fmt: skip
    times["tool"].append(elapsed)
    elapsed, _ = _time([*hook, "post-tool-use-failure"], _payload("PostToolUseFailure", f"fix-{tag}", checkout, tool_name="Bash",
                       tool_input={"command": f"npm run build:{tag}"}, error="Exit code 1\nnpm ERR! missing script"), env)  # fmt: skip
    times["failure"].append(elapsed)
    elapsed, _ = _time([*hook, "post-tool-use"], _payload("PostToolUse", f"fix-{tag}", checkout, tool_name="Bash",
                       tool_input={"command": f"pnpm run build:{tag}"}, tool_response=worked), env)  # fmt: skip
    times["fix"].append(elapsed)
    return bool(out.strip())


def _report(
    name: str,
    args: argparse.Namespace,
    times: dict[str, list[float]],
    injected: int,
    bare: list[float],
    bare50: float,
    bare95: float,
) -> None:
    print(f"Hooks on {name} at {args.memories:,} memories, {args.runs} processes each (ms, whole process)")
    print("| hook | p50 | p95 | p95 - bare p95 | goal |")
    print("|---|---|---|---|---|")
    print(f"| bare `python -c pass` | {bare50:.0f} | {bare95:.0f} | | |")
    goals = {"session-start": ("SessionStart", 400), "prompt": ("UserPromptSubmit", 120), "tool": ("PostToolUse (worked)", 120),
             "failure": ("PostToolUseFailure (recorded)", 120), "fix": ("PostToolUse completing a fix (stores a lesson)", None)}  # fmt: skip
    for key, (label, goal) in goals.items():
        p50, p95 = _p(times[key], 0.5), _p(times[key], 0.95)
        verdict = "" if goal is None else f"<= +{goal} {'met' if p95 - bare95 <= goal else 'NOT met'}"
        print(f"| {label} | {p50:.0f} | {p95:.0f} | +{p95 - bare95:.0f} | {verdict} |")
    print(
        f"prompts that injected memories: {injected} of {args.runs} (median of bare {statistics.median(bare) * 1000:.0f} ms)"
    )
    print()


if __name__ == "__main__":
    main()
