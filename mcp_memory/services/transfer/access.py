"""Where export and import may write and read.

A tool's arguments may have been written by an attacker (a web page or README the agent read), so
through MCP tools files are only touched inside folders the user chose: the client's MCP roots (or
the server's working directory when the client sends none), the data directory (relative export
paths land in its `exports/` folder) and the database's folder. Never a hidden path component
(`.ssh`, `.config`, `.bashrc`, ...), never `..`, never through a symlink that leaves those folders,
never over a file that is not one of our own exports, and reading is capped in files, bytes and time.

The command line is typed by the user, who may name any path (`FileAccess.anywhere()`); even there a
file is replaced only when asked to (`--overwrite`).
"""

from __future__ import annotations

import json
import os
import stat
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mcp_memory.errors import Argument, InvalidInput, LimitExceeded
from mcp_memory.limits import (
    MAX_IMPORT_BYTES,
    MAX_IMPORT_FILES,
    MAX_IMPORT_SECONDS,
    MAX_PATH_LENGTH,
    user_path,
)
from mcp_memory.services.app import App

__all__ = ["FileAccess", "WalkResult", "is_our_export", "tool_access", "user_access"]

_CLI_HINT = "The command line can use any path you type: `mcp-memory {verb} PATH`."


def is_our_export(path: Path) -> bool:
    """Whether `path` starts like one of our exports: the jsonl header record or the markdown title."""
    try:
        with path.open("rb") as handle:
            first = handle.readline(4096)
    except OSError:
        return False
    if first.startswith(b"# mcp-memory export"):
        return True
    try:
        header = json.loads(first)
    except ValueError:
        return False
    return (
        isinstance(header, dict) and header.get("type") == "header" and header.get("format") == "mcp-memory"
    )


@dataclass(frozen=True, slots=True)
class WalkResult:
    """The files a folder walk found, and what it passed over and why."""

    files: tuple[Path, ...]
    skipped: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FileAccess:
    """The folders a caller may read and write in (`None`: anywhere, the command line), where relative
    export paths go, and the caps on reading."""

    folders: tuple[Path, ...] | None
    exports_dir: Path
    workspace: Path
    max_files: int | None = None
    max_bytes: int | None = None
    max_seconds: float | None = None

    @classmethod
    def anywhere(cls, data_dir: Path, cwd: Path) -> FileAccess:
        """The command line: any path the user types; relative paths from the working directory."""
        return cls(None, data_dir / "exports", cwd)

    @classmethod
    def within(cls, roots: Sequence[Path], *, data_dir: Path, database: Path | None, cwd: Path) -> FileAccess:
        """MCP tools: the client's roots (else `cwd`), the data directory and the database's folder.
        The filesystem root and the home folder itself are never a workspace: a client started
        from `/` or `~` does not open the whole disk or the whole home to its tools."""
        home = Path.home().resolve()
        candidates = [Path(r).expanduser().resolve() for r in roots] or [cwd.resolve()]
        workspaces = [p for p in candidates if p != Path(p.anchor) and (roots or p != home)]
        folders = [*workspaces, data_dir.expanduser().resolve()]
        if database is not None:
            folders.append(database.expanduser().resolve().parent)
        unique = tuple(dict.fromkeys(folders))
        return cls(
            unique,
            data_dir.expanduser().resolve() / "exports",
            workspaces[0] if workspaces else data_dir.expanduser().resolve() / "exports",
            MAX_IMPORT_FILES,
            MAX_IMPORT_BYTES,
            MAX_IMPORT_SECONDS,
        )

    @property
    def restricted(self) -> bool:
        return self.folders is not None

    def _refuse(self, message: str, verb: str) -> InvalidInput:
        assert self.folders is not None
        allowed = ", ".join(str(f) for f in self.folders)
        return InvalidInput(
            f"{message} Tools read and write files only in: {allowed}. {_CLI_HINT.format(verb=verb)}"
        )

    def _given(self, text: str, base: Path, verb: str) -> Path:
        if not text or not text.strip():
            raise InvalidInput(
                f"path is empty; give a file path such as {'memories.jsonl' if verb == 'export' else '~/notes'}."
            )
        if len(text) > MAX_PATH_LENGTH:
            raise LimitExceeded(f"the path is {len(text):,} characters; at most {MAX_PATH_LENGTH:,}.")
        path = user_path(text)
        if self.restricted and ".." in path.parts:
            raise self._refuse(f"{text.strip()!r} contains '..'; name the file directly.", verb)
        if self.restricted:
            # Hidden names as written, not only as resolved: a link named `.x` is refused too. The
            # allowed folder a path starts with may itself be hidden (~/.local/share/...).
            below = path.parts if not path.is_absolute() else self._below_allowed(path)
            hidden = [p for p in below if p.startswith(".")]
            if hidden:
                raise self._refuse(f"{text.strip()!r} goes through the hidden name {hidden[0]!r}.", verb)
        return path if path.is_absolute() else base / path

    def _below_allowed(self, path: Path) -> tuple[str, ...]:
        """The parts of an absolute `path` below the allowed folder it is written under (all of its
        parts when it is written under none)."""
        for folder in sorted(self.folders or (), key=lambda f: len(f.parts), reverse=True):
            if path.is_relative_to(folder):
                return path.relative_to(folder).parts
        return path.parts[1:]

    def _inside(self, path: Path, verb: str) -> Path:
        """`path` with symlinks resolved, checked to lie in an allowed folder with no hidden part."""
        try:
            resolved = path.resolve()
        except (OSError, RuntimeError) as exc:  # a symlink loop, a name too long for the system
            raise InvalidInput(f"cannot resolve {str(path)[:200]!r}: {exc}.") from exc
        if self.folders is None:
            return resolved
        for folder in self.folders:
            if resolved == folder or resolved.is_relative_to(folder):
                hidden = [p for p in resolved.relative_to(folder).parts if p.startswith(".")]
                if hidden:
                    raise self._refuse(f"{path} goes through the hidden name {hidden[0]!r}.", verb)
                return resolved
        raise self._refuse(f"{path} is outside the folders tools may use.", verb)

    def write_target(self, text: str, *, overwrite: bool) -> Path:
        """Where an export may be written: checked, and never over a file unless `overwrite` (and,
        through tools, only over one of our own exports)."""
        try:
            return self._write_target(text, overwrite=overwrite)
        except OSError as exc:  # a name too long for the file system, a folder we may not read ...
            raise InvalidInput(f"cannot use the path {text.strip()[:200]!r}: {exc.strerror or exc}.") from exc

    def _write_target(self, text: str, *, overwrite: bool) -> Path:
        given = self._given(text, self.exports_dir, "export")
        target = self._inside(given, "export")
        if target.is_dir() or target == self.exports_dir or (self.folders and target in self.folders):
            raise InvalidInput(f"{target} is a folder; give a file name such as memories.jsonl.")
        if given.is_symlink():
            raise InvalidInput(
                f"{given} is a symbolic link; export writes a plain file. Choose another name."
            )
        if target.exists():
            if not target.is_file():
                raise InvalidInput(f"{target} is not a regular file.")
            if not overwrite:
                raise InvalidInput(
                    f"{target} already exists; pass ",
                    Argument("overwrite", True),
                    " to replace it, or choose another path.",
                )
            if self.restricted and not is_our_export(target):
                raise self._refuse(
                    f"{target} exists and is not an mcp-memory export, so it is not replaced.", "export"
                )
        parent = target.parent
        if parent.exists() and not parent.is_dir():
            raise InvalidInput(f"{parent} is not a folder; choose another path.")
        if (
            not parent.is_dir()
            and self.restricted
            and not (parent == self.exports_dir or parent.is_relative_to(self.exports_dir))
        ):
            raise InvalidInput(
                f"the folder {parent} does not exist; create it first or export into {self.exports_dir}."
            )
        return target

    def read_target(self, text: str, *, folder: bool) -> Path:
        """The file (or, with `folder`, the folder) an import may read, checked."""
        try:
            return self._read_target(text, folder=folder)
        except OSError as exc:
            raise InvalidInput(f"cannot use the path {text.strip()[:200]!r}: {exc.strerror or exc}.") from exc

    def _read_target(self, text: str, *, folder: bool) -> Path:
        given = self._given(text, self.workspace, "import")
        source = self._inside(given, "import")
        if not source.exists():
            raise InvalidInput(f"{source} does not exist.")
        if folder:
            if not source.is_dir():
                raise InvalidInput(f"{source} is not a folder; give the folder that holds your .md notes.")
            return source
        if not stat.S_ISREG(source.stat().st_mode):
            raise InvalidInput(f"{source} is not a regular file; import reads files only.")
        size = source.stat().st_size
        if self.max_bytes is not None and size > self.max_bytes:
            raise LimitExceeded(
                f"{source} is {size:,} bytes; tools import at most {self.max_bytes:,}. "
                + _CLI_HINT.format(verb="import")
            )
        return source

    def walk(self, folder: Path, suffixes: Iterable[str]) -> WalkResult:
        """Regular files below `folder` with one of `suffixes`, in sorted order: hidden names and
        symlinks passed over (reported), within the caps on files, bytes and time."""
        wanted = tuple(s.lower() for s in suffixes)
        started = time.monotonic()
        files: list[Path] = []
        skipped: list[str] = []
        total = 0
        for top, dirs, names in os.walk(folder, followlinks=False):
            here = Path(top)
            for name in sorted(dirs):
                if name.startswith("."):
                    dirs.remove(name)
                elif (here / name).is_symlink():
                    skipped.append(f"{(here / name).relative_to(folder)}: a symbolic link, not followed")
            dirs.sort()
            for name in sorted(names):
                if name.startswith(".") or not name.lower().endswith(wanted):
                    continue
                path = here / name
                relative = path.relative_to(folder)
                mode = path.lstat().st_mode
                if not stat.S_ISREG(mode):
                    skipped.append(f"{relative}: not a regular file")
                    continue
                if self.max_files is not None and len(files) >= self.max_files:
                    skipped.append(f"{relative} and the rest: over {self.max_files:,} files")
                    return WalkResult(tuple(files), tuple(skipped))
                size = path.lstat().st_size
                if self.max_bytes is not None and total + size > self.max_bytes:
                    skipped.append(f"{relative} and the rest: over {self.max_bytes:,} bytes in all")
                    return WalkResult(tuple(files), tuple(skipped))
                if self.max_seconds is not None and time.monotonic() - started > self.max_seconds:
                    skipped.append(f"{relative} and the rest: the walk took over {self.max_seconds:g} s")
                    return WalkResult(tuple(files), tuple(skipped))
                total += size
                files.append(path)
        return WalkResult(tuple(files), tuple(skipped))


def tool_access(app: App, roots: Sequence[Path] = ()) -> FileAccess:
    """What MCP tools may touch: the client's roots (else the working directory), the data directory
    and the database's folder."""
    database = None if str(app.settings.db_path) == ":memory:" else app.settings.database
    return FileAccess.within(roots, data_dir=app.settings.data_dir, database=database, cwd=app.settings.cwd)


def user_access(app: App) -> FileAccess:
    """What the command line may touch: any path the user types."""
    return FileAccess.anywhere(app.settings.data_dir.expanduser(), app.settings.cwd)
