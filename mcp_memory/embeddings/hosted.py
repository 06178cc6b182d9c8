"""The embedding model in a helper process of its own, so that unloading it gives all its memory back.

Unloading a model inside the server leaves ONNX Runtime, tokenizers and fastembed loaded: a server
went from 211 MiB to 152 after unloading, against 75 before it first loaded (bench/idle.py). Hosted
in a child process, the model's memory goes when the child exits, and the server returns to its
idle size. The long-lived server uses this (`load_hosted_embedder`); short commands load in-process.

The child (`python -m mcp_memory.embeddings.hosted`) loads the model with `load_embedder` and serves
two channels (Unix socket pairs), one per lane of `EmbeddingService` (single texts, batches), each on
a thread of its own, so a search's query never waits behind an import's batch. A request is a JSON
list of texts; the answer is one status byte and the vectors' float32 bytes back to back (or the
error's text). The child's stdout is closed (the parent's is the MCP protocol channel); its stderr
is the server's. It runs in a session of its own, so a Ctrl-C in the terminal reaches only the
server, and it exits when the server closes the channels or dies. Not on Windows (no fd
passing through `subprocess`): there the model loads in-process.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mcp_memory.config import Settings
from mcp_memory.errors import ModelUnavailable

__all__ = ["EarlyHost", "HostedEmbedder", "hosting_supported", "load_hosted_embedder"]

_OK = b"\x00"
#: What a waiting model process is sent to go on and load the model.
_GO = b"g"
_ERROR = b"\x01"
_HEADER = struct.Struct("<I")


def hosting_supported() -> bool:
    """Whether the model can live in a child process here."""
    return os.name == "posix" and hasattr(socket, "socketpair")


def _send(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(_HEADER.pack(len(payload)) + payload)


def _receive(sock: socket.socket) -> bytes:
    header = _exactly(sock, _HEADER.size)
    return _exactly(sock, _HEADER.unpack(header)[0])


def _exactly(sock: socket.socket, size: int) -> bytes:
    chunks = []
    left = size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the channel")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class HostedEmbedder:
    """The `Embedder` protocol over a child process holding the model. Thread-safe: one lock per
    channel; single texts use the first channel, batches the second."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        channels: tuple[socket.socket, socket.socket],
        info: dict[str, Any],
    ) -> None:
        self._process = process
        self._channels = channels
        self._locks = (threading.Lock(), threading.Lock())
        self.model_id = str(info["model_id"])
        self.dim = int(info["dim"])
        self.checksum = str(info["checksum"])
        self.workers = int(info.get("workers", 1))
        #: How long loading the model took in the child (monotonic seconds around `load_embedder`).
        self.load_seconds = float(info["load_seconds"]) if "load_seconds" in info else None
        self.pid = process.pid

    def embed(self, texts: Sequence[str]) -> list[bytes]:
        if not texts:
            return []
        lane = 0 if len(texts) == 1 else 1
        with self._locks[lane]:
            try:
                _send(self._channels[lane], json.dumps(list(texts)).encode())
                reply = _receive(self._channels[lane])
            except (OSError, EOFError) as exc:
                raise ModelUnavailable(
                    f"the embedding process stopped ({exc}); it starts again on the next call"
                ) from exc
        if reply[:1] != _OK:
            raise ModelUnavailable(reply[1:].decode(errors="replace"))
        size = self.dim * 4
        body = reply[1:]
        if len(body) != size * len(texts):
            raise ModelUnavailable(f"the embedding process answered {len(body)} bytes for {len(texts)} texts")
        return [body[i * size : (i + 1) * size] for i in range(len(texts))]

    @property
    def alive(self) -> bool:
        """Whether the child process is still running."""
        return self._process.poll() is None

    def close(self) -> None:
        """Stop the child: it exits when its channels close."""
        for channel in self._channels:
            with contextlib.suppress(OSError):
                channel.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def __del__(self) -> None:  # the service drops its reference when it unloads the model
        if self._process.poll() is None:
            self.close()


@dataclass
class _Spawned:
    """A model process that has been started and not yet greeted."""

    process: subprocess.Popen[bytes]
    channels: tuple[socket.socket, socket.socket]

    def discard(self) -> None:
        for channel in self.channels:
            with contextlib.suppress(OSError):
                channel.close()
        with contextlib.suppress(OSError):
            self.process.kill()
        self.process.wait()


def _spawn(settings: Settings, *, wait: bool = False) -> _Spawned:
    """Start the model's process (`wait`: it starts its interpreter, then waits for `_GO` before it
    imports the runtime and loads the model)."""
    ours, theirs = zip(*(socket.socketpair() for _ in range(2)), strict=True)
    options = {
        "wait": wait,
        "data_dir": str(settings.data_dir),
        "embedding_model": settings.embedding_model,
        "embedding_threads": settings.embedding_threads,
        "sqlite": settings.sqlite,
        "log_level": settings.log_level,
    }
    fds = [s.fileno() for s in theirs]
    process = subprocess.Popen(  # noqa: S603 - our own module with our own interpreter
        [sys.executable, "-m", "mcp_memory.embeddings.hosted", json.dumps(options), *map(str, fds)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        pass_fds=fds,
        close_fds=True,
        # Out of the terminal's process group: Ctrl-C is the server's to handle (it exits quietly
        # with 130), and this process follows when the channels close, not with a traceback.
        start_new_session=True,
    )
    for s in theirs:
        s.close()
    return _Spawned(process, (ours[0], ours[1]))


def _greet(spawned: _Spawned) -> HostedEmbedder:
    """Wait until the process has loaded the model (blocking)."""
    process, ours = spawned.process, spawned.channels
    try:
        hello = _receive(ours[0])
    except (OSError, EOFError) as exc:
        spawned.discard()
        raise ModelUnavailable(f"the embedding process exited before loading the model ({exc})") from exc
    if hello[:1] != _OK:
        for s in ours:
            s.close()
        process.wait()
        raise ModelUnavailable(hello[1:].decode(errors="replace"))
    return HostedEmbedder(process, ours, json.loads(hello[1:]))


def load_hosted_embedder(settings: Settings) -> HostedEmbedder:
    """Start the model's process and wait until it has loaded the model (blocking: run it in a
    worker thread). Raises ModelUnavailable with the child's reason when it cannot load."""
    return _greet(_spawn(settings))


class EarlyHost:
    """A model process started as the server starts, before the server imports the MCP SDK: its
    interpreter starts beside the SDK's import, then it waits, and it loads the model only when the
    server first calls it as a loader (`Settings -> Embedder`), after `initialize` is answered, so
    the model's import never competes with the handshake (on two busy cores it slowed `initialize`:
    bench/handshake.py). The first call takes that process; later ones (after an idle unload) start
    a new one. `discard` stops it if it was never taken."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._spawned: _Spawned | None = _spawn(settings, wait=True)
        self._sent = False
        self._lock = threading.Lock()

    def __call__(self, settings: Settings) -> HostedEmbedder:
        with self._lock:
            spawned, self._spawned = self._spawned, None
        if spawned is None or settings is not self._settings:
            if spawned is not None:
                spawned.discard()
            return load_hosted_embedder(settings)
        try:
            self._go(spawned)
        except OSError as exc:
            spawned.discard()
            raise ModelUnavailable(f"the embedding process exited before loading the model ({exc})") from exc
        return _greet(spawned)

    def _go(self, spawned: _Spawned) -> None:
        if not self._sent:
            self._sent = True
            spawned.channels[0].sendall(_GO)

    def discard(self) -> None:
        """Stop the process if no load took it."""
        with self._lock:
            spawned, self._spawned = self._spawned, None
        if spawned is not None:
            spawned.discard()


def _serve(channel: socket.socket, embedder: Any) -> None:
    while True:
        try:
            texts = json.loads(_receive(channel))
        except (OSError, EOFError):
            return
        try:
            vectors = embedder.embed(texts)
            reply = _OK + b"".join(vectors)
        except Exception as exc:  # the server reports it; the process keeps serving
            reply = _ERROR + f"{type(exc).__name__}: {exc}".encode()
        try:
            _send(channel, reply)
        except OSError:
            return


def _main(argv: Sequence[str]) -> int:
    options = json.loads(argv[0])
    channels = [socket.socket(fileno=int(fd)) for fd in argv[1:3]]
    from mcp_memory.embeddings.model import load_embedder
    from mcp_memory.logs import configure_logging
    from mcp_memory.process_tuning import tune_malloc, tune_threads

    tune_malloc()
    tune_threads()
    configure_logging(options.get("log_level") or "INFO")
    wait = bool(options.pop("wait", False))
    settings = Settings(**{k: v for k, v in options.items() if v is not None})
    if wait and channels[0].recv(1) != _GO:  # the server closed the channels: it never needed us
        return 0
    started = time.monotonic()
    try:
        embedder = load_embedder(settings)
    except Exception as exc:
        message = str(exc) if isinstance(exc, ModelUnavailable) else f"{type(exc).__name__}: {exc}"
        _send(channels[0], _ERROR + message.encode())
        return 1
    info = {
        "model_id": embedder.model_id,
        "dim": embedder.dim,
        "checksum": embedder.checksum,
        "workers": getattr(embedder, "workers", 1),
        "load_seconds": time.monotonic() - started,
    }
    _send(channels[0], _OK + json.dumps(info).encode())
    batches = threading.Thread(target=_serve, args=(channels[1], embedder), daemon=True)
    batches.start()
    _serve(channels[0], embedder)  # until the server closes the channels or exits
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
