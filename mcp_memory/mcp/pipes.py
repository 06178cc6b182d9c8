"""stdin and stdout as asyncio pipes, for the SDK's stdio transport.

The SDK's `stdio_server` reads each line and writes each message through `anyio.wrap_file`: a
blocking file in a worker thread, so every request costs a thread hop to read it and two (write,
flush) to answer. Here the event loop reads and writes the pipes itself (non-blocking file
descriptors), and the SDK keeps everything else: parsing, validation and the session. Profiled on
`memory_get`, the hops were the largest part of the server's time per call.

Like the SDK, the wire is served from private duplicates of fd 0 and 1 while fd 0 is pointed at the
null device and fd 1 at stderr, so a stray `print` or a child process cannot corrupt the protocol;
both are restored on exit, and so is the descriptors' blocking mode (a terminal left non-blocking
would break the shell that started us).

Where asyncio cannot use the descriptors as pipes (a regular file on stdin, Windows), `stdio_pipes`
yields None and the caller uses the SDK's own transport.
"""

from __future__ import annotations

import asyncio
import os
import stat
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

__all__ = ["PipeLines", "PipeWriter", "stdio_pipes"]

#: A request line may be this long (a large import or a long memory fits many times over).
_LINE_LIMIT = 256 * 1024 * 1024
#: What the SDK is handed for a line over the limit: not JSON, so it is refused like any malformed
#: line, and the server reads on (the SDK's own transport would hold the whole line in memory).
_OVERSIZED = "(a request line over the size limit was dropped)\n"


class PipeLines:
    """The lines of a pipe, as the SDK's transport iterates a text file (`async for line in ...`)."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader

    def __aiter__(self) -> PipeLines:
        return self

    async def __anext__(self) -> str:
        try:
            line = await self._reader.readline()
        except ValueError:  # a line over the limit: drop the rest of it too
            await self._skip_rest()
            return _OVERSIZED
        if not line:
            raise StopAsyncIteration
        return line.decode("utf-8", errors="replace")

    async def _skip_rest(self) -> None:
        while True:
            try:
                tail = await self._reader.readline()
            except ValueError:
                continue
            if not tail or tail.endswith(b"\n"):
                return


class PipeWriter:
    """A pipe written as the SDK's transport writes a text file (`write`, then `flush`)."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer

    async def write(self, text: str) -> None:
        self._writer.write(text.encode("utf-8"))

    async def flush(self) -> None:
        # Waits only while the client is not reading and the pipe's buffer is full.
        await self._writer.drain()

    def close(self) -> None:
        with suppress(Exception):
            self._writer.close()


def _usable(fd: int) -> bool:
    """Whether asyncio can watch the descriptor (a pipe, socket or terminal, not a regular file)."""
    if sys.platform == "win32":  # pragma: no cover - the proactor loop has no pipe support for fds
        return False
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISCHR(mode)


@asynccontextmanager
async def stdio_pipes() -> AsyncIterator[tuple[PipeLines, PipeWriter] | None]:
    """Claim fd 0 and 1 and yield them as (lines, writer), or None when they are not pipes (then
    nothing is changed and the caller should use the SDK's transport)."""
    if not (_usable(0) and _usable(1)):
        yield None
        return
    import fcntl

    sys.stdout.flush()
    wire_in = fcntl.fcntl(0, fcntl.F_DUPFD_CLOEXEC, 3)
    wire_out = fcntl.fcntl(1, fcntl.F_DUPFD_CLOEXEC, 3)
    blocking = (os.get_blocking(wire_in), os.get_blocking(wire_out))
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    loop = asyncio.get_running_loop()
    writer: PipeWriter | None = None
    incoming: asyncio.BaseTransport | None = None
    try:
        reader = asyncio.StreamReader(limit=_LINE_LIMIT, loop=loop)
        incoming, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader, loop=loop),
            os.fdopen(wire_in, "rb", buffering=0, closefd=False),
        )
        transport, protocol = await loop.connect_write_pipe(
            asyncio.streams.FlowControlMixin, os.fdopen(wire_out, "wb", buffering=0, closefd=False)
        )
        writer = PipeWriter(asyncio.StreamWriter(transport, protocol, None, loop))
        yield PipeLines(reader), writer
    finally:
        if incoming is not None:
            incoming.close()
        if writer is not None:
            writer.close()
        await asyncio.sleep(0)  # let the transports let go of the descriptors
        os.dup2(wire_in, 0)
        os.dup2(wire_out, 1)
        for fd, was_blocking in zip((wire_in, wire_out), blocking, strict=True):
            with suppress(OSError):
                os.set_blocking(fd, was_blocking)
            with suppress(OSError):
                os.close(fd)
