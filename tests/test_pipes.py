"""The stdio transport's pipes (`mcp_memory.mcp.pipes`): the wire carries only protocol messages,
the descriptors are given back as they were, and a stdin that is not a pipe falls back to the SDK's
transport."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from tests.processes import server_env

_ECHO = textwrap.dedent(
    """
    import asyncio, os, subprocess, sys
    from mcp_memory.mcp import pipes
    from mcp_memory.mcp.pipes import stdio_pipes

    pipes._LINE_LIMIT = 300_000

    async def main():
        async with stdio_pipes() as pipes:
            assert pipes is not None
            lines, writer = pipes
            print("stray print", flush=True)
            os.write(1, b"stray write\\n")
            subprocess.run([sys.executable, "-c", "print('stray child')"], check=True)
            async for line in lines:
                await writer.write("echo " + line)
                await writer.flush()
        print("after", flush=True)

    asyncio.run(main())
    """
)


def test_only_protocol_lines_reach_the_wire_and_the_descriptors_are_restored() -> None:
    """Prints, raw writes to fd 1 and a child's output go to stderr while serving; what the
    transport writes reaches stdout; afterwards fd 1 is the wire again and stdin is blocking again
    (it is shared with whoever started the server: a terminal left non-blocking breaks the shell)."""
    read_end, write_end = os.pipe()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-c", _ECHO],
            stdin=read_end,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        big = (
            b"y" * 1_000_000 + b"\n"
        )  # over the limit set in the script: dropped whole, then reading goes on
        data = b"one\n" + "tw\u00f6 \u2603\n".encode() + b"x" * 200_000 + b"\n" + big + b"last\n"
        done = write_end

        def feed() -> None:  # beside the reading below: the child echoes while it reads
            with open(done, "wb", closefd=True) as pipe:
                pipe.write(data)

        feeder = threading.Thread(target=feed)
        feeder.start()
        write_end = -1
        out, err = proc.communicate(timeout=60)
        feeder.join()
        assert proc.returncode == 0, err.decode()
        assert out.decode().splitlines() == [
            "echo one",
            "echo tw\u00f6 \u2603",
            "echo " + "x" * 200_000,
            "echo (a request line over the size limit was dropped)",
            "echo last",
            "after",
        ]
        assert all(stray in err.decode() for stray in ("stray print", "stray write", "stray child"))
        assert os.get_blocking(read_end)  # the same open pipe the server read
    finally:
        os.close(read_end)
        if write_end != -1:
            os.close(write_end)


def test_a_server_whose_stdin_is_a_file_answers_through_the_sdk_transport(tmp_path: Path) -> None:
    """asyncio cannot watch a regular file: the server serves it with the SDK's own transport (which
    ends the session at the file's end, so only `initialize` is asked)."""
    init = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": init},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
    ]
    requests = tmp_path / "requests.jsonl"
    requests.write_text("".join(json.dumps(m) + "\n" for m in messages))
    with requests.open("rb") as stdin:
        done = subprocess.run(
            [sys.executable, "-m", "mcp_memory"],
            stdin=stdin,
            capture_output=True,
            env=server_env(tmp_path / "memory.db"),
            timeout=120,
        )
    answers = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [a["id"] for a in answers] == [1], done.stderr.decode()
    assert answers[0]["result"]["serverInfo"]["name"] == "mcp-memory"
    assert done.returncode == 0
