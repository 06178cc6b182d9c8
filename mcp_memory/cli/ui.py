"""Terminal output for the CLI: colour and tables when writing to a terminal, plain text when piped;
a progress bar on stderr for long work. No dependency: the CLI stays quick to start."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import TextIO

__all__ = ["Progress", "Spinner", "color_enabled", "paint", "table"]

_CODES = {"bold": "1", "dim": "2", "green": "32", "yellow": "33", "red": "31", "cyan": "36", "magenta": "35"}


def color_enabled(stream: TextIO | None = None) -> bool:
    """Colour only on a terminal, and never with NO_COLOR set or TERM=dumb."""
    stream = stream or sys.stdout
    return (
        hasattr(stream, "isatty")
        and stream.isatty()
        and "NO_COLOR" not in os.environ
        and os.environ.get("TERM") != "dumb"
    )


def paint(text: str, *styles: str, stream: TextIO | None = None) -> str:
    """`text` wrapped in ANSI styles when colour is enabled for `stream`."""
    if not styles or not color_enabled(stream):
        return text
    return f"\x1b[{';'.join(_CODES[s] for s in styles)}m{text}\x1b[0m"


def table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    """Columns aligned to their widest cell (the last column is left ragged)."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i < len(cells) - 1 else c
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    out = [paint(line(headers), "bold")] + [line(r) for r in rows]
    return "\n".join(out)


class Progress:
    """A callable `(done, total)` drawing a bar on stderr when stderr is a terminal; silent otherwise."""

    def __init__(self, label: str, *, enabled: bool | None = None) -> None:
        self.label = label
        self.enabled = color_enabled(sys.stderr) if enabled is None else enabled
        self._last = 0.0
        self._drawn = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        width = 30
        filled = int(width * done / total) if total else width
        sys.stderr.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        sys.stderr.flush()
        self._drawn = True
        if done >= total:
            self.finish()

    def finish(self) -> None:
        if self._drawn:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self._drawn = False


def progress_for(label: str, quiet: bool) -> Callable[[int, int], None] | None:
    """A progress bar, or None when output must stay clean (--json)."""
    return None if quiet else Progress(label)


class Spinner:
    """A line on stderr that turns while something slow runs, shown only on a terminal and only once
    the work has taken over `after` seconds (a quick command shows nothing). `tick` is called
    periodically with whether the work is still going; `stop` clears the line."""

    _FRAMES = "|/-\\"

    def __init__(self, label: str, *, after: float = 1.0, stream: TextIO | None = None) -> None:
        self.label = label
        self.after = after
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.shown = False
        self._frame = 0

    @property
    def enabled(self) -> bool:
        return hasattr(self.stream, "isatty") and self.stream.isatty()

    def tick(self) -> None:
        if not self.enabled or time.monotonic() - self.started < self.after:
            return
        self.shown = True
        frame = self._FRAMES[self._frame % len(self._FRAMES)]
        self._frame += 1
        seconds = time.monotonic() - self.started
        self.stream.write(f"\r{frame} {self.label} ({seconds:.0f} s)")
        self.stream.flush()

    def stop(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
