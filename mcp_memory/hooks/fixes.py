"""Whether a command that worked is a fix of one that failed: another try at the same act.

No language model: the two command lines are read as an engineer would.

- **Wrappers** come off first: variable assignments and `env`, `sudo`, `time`, `nohup`, a leading
  `cd DIR &&`, the runners of a project's environment (`uv run`, `poetry run`, `pipx run`,
  `pdm run`, `hatch run`, `pipenv run`, `bundle exec`, `npx`, `pnpm exec`/`dlx`, `yarn dlx`,
  `bunx`, `python -m`), and the containers (`docker compose exec SVC`, `docker exec CTR`,
  `kubectl exec POD --`). The same command under another wrapper is a fix (`pytest tests/x.py`, then
  `uv run pytest tests/x.py`).
- **One act, another tool**: adding packages (`npm install zod` / `pnpm add zod` / `yarn add zod` /
  `bun add zod`; `pip install X` / `uv add X` / `uv pip install X` / `poetry add X`; `apt install`,
  `brew install`, ...) is one act per ecosystem; two commands adding a common package are one try.
- **The same program** (a typo of it counts: `gti`, `pytset`) with the same subcommand or first
  targets (a path with the same file name counts: `tests/test_api.py`, `tests/api/test_api.py`, as
  does a typo), only flags changed (`--force`, `-j4`, `--no-cache`). Another subcommand or target
  is another act (`git push` then `git status`, `pytest a.py` then `pytest
  b.py`), not a fix.
- **Another program, the same arguments** (`python3 x.py` / `python x.py`).

The identical command again is never a fix of its own failure: whatever fixed it happened between.
"""

from __future__ import annotations

import re

__all__ = ["is_fix"]

_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
#: Runners whose next words are the command they run (after their own flags).
_RUNNERS: dict[tuple[str, ...], int] = {
    ("uv", "run"): 2, ("poetry", "run"): 2, ("pipx", "run"): 2, ("pdm", "run"): 2, ("hatch", "run"): 2,
    ("pipenv", "run"): 2, ("rye", "run"): 2, ("bundle", "exec"): 2, ("pnpm", "exec"): 2, ("pnpm", "dlx"): 2,
    ("yarn", "dlx"): 2, ("yarn", "exec"): 2, ("bun", "x"): 2, ("npm", "exec"): 2, ("npx",): 1, ("bunx",): 1,
    ("sudo",): 1, ("time",): 1, ("nohup",): 1, ("command",): 1, ("exec",): 1,
}  # fmt: skip
#: Containers: the runner, then its flags, then one name (the service, container or pod).
_CONTAINERS = (
    ("docker", "compose", "exec"),
    ("docker-compose", "exec"),
    ("docker", "exec"),
    ("kubectl", "exec"),
)
_PYTHONS = frozenset({"python", "python3", "py"})

#: Adding packages, by ecosystem: (program, verb...) -> the act.
_ADDS: dict[tuple[str, ...], str] = {
    ("npm", "install"): "js", ("npm", "i"): "js", ("npm", "add"): "js", ("pnpm", "add"): "js",
    ("pnpm", "install"): "js", ("pnpm", "i"): "js", ("yarn", "add"): "js", ("bun", "add"): "js",
    ("bun", "install"): "js", ("pip", "install"): "py", ("pip3", "install"): "py",
    ("uv", "pip", "install"): "py", ("uv", "add"): "py", ("poetry", "add"): "py", ("pdm", "add"): "py",
    ("conda", "install"): "py", ("mamba", "install"): "py", ("pipx", "install"): "py",
    ("apt", "install"): "os", ("apt-get", "install"): "os", ("brew", "install"): "os",
    ("dnf", "install"): "os", ("yum", "install"): "os", ("apk", "add"): "os", ("pacman", "-s"): "os",
    ("cargo", "add"): "rust", ("cargo", "install"): "rust", ("go", "get"): "go", ("go", "install"): "go",
}  # fmt: skip
_VERSION = re.compile(r"(?:\[[^\]]*\])?(?:[=<>!~^@].*)?$")


def _unwrap(words: list[str]) -> list[str]:
    """The command a line runs, without its wrappers (the module's note)."""
    while words:
        if _ASSIGNMENT.match(words[0]) or words[0] == "env":
            words = words[1:]
        elif words[0] == "cd" and "&&" in words:
            words = words[words.index("&&") + 1 :]
        elif len(words) > 2 and words[0] in _PYTHONS and words[1] == "-m":
            words = words[2:]
        elif (size := _runner(words)) is not None:
            words = _after_flags(words[size:])
        elif (size := _container(words)) is not None:
            rest = _after_flags(words[size:])[1:]  # the service, container or pod
            words = rest[1:] if rest[:1] == ["--"] else rest
        else:
            return words
    return words


def _runner(words: list[str]) -> int | None:
    for size in (2, 1):
        if tuple(words[:size]) in _RUNNERS and len(words) > size:
            return size
    return None


def _container(words: list[str]) -> int | None:
    for prefix in _CONTAINERS:
        if tuple(words[: len(prefix)]) == prefix:
            return len(prefix)
    return None


def _after_flags(words: list[str]) -> list[str]:
    """`words` from the first that is not a flag (a flag's value is not told apart: rare here)."""
    while words and words[0].startswith("-") and words[0] != "--":
        words = words[1:]
    return words


def _act(words: list[str]) -> tuple[str, frozenset[str]] | None:
    """('js', packages) for a command that adds packages, and so on; None for any other."""
    lowered = [w.lower() for w in words]
    for size in (3, 2):
        kind = _ADDS.get(tuple(lowered[:size]))
        if kind is not None:
            names = frozenset(
                _VERSION.sub("", w) if not w.startswith("@") else "@" + _VERSION.sub("", w[1:])
                for w in lowered[size:]
                if not w.startswith("-")
            )
            return kind, frozenset(n for n in names if n)
    return None


def _close(a: str, b: str) -> bool:
    """The same word, or a typo of it: one letter changed, added, dropped or two swapped (words of
    three letters or more)."""
    if a == b:
        return True
    if min(len(a), len(b)) < 3 or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


_FILE = re.compile(r"/|\.\w{1,5}$")


def _same_target(a: str, b: str) -> bool:
    """The same subcommand or target: equal, a typo of it, or a path to a file of the same name (or
    a typo of a long one: `test_apu.py`; `a.py` and `b.py` are two files)."""
    if a == b:
        return True
    if _FILE.search(a) or _FILE.search(b):
        name_a, name_b = (w.rstrip("/").rsplit("/", 1)[-1] for w in (a, b))
        return name_a == name_b or _typo_in_name(name_a, name_b)
    return _close(a, b)


def _typo_in_name(a: str, b: str) -> bool:
    """One part of a file name mistyped (`test_apu.py`), the others equal; a one-letter part that
    differs (`test_a.py`, `test_b.py`) names another file."""
    parts_a, parts_b = re.split(r"[_.-]", a), re.split(r"[_.-]", b)
    if len(parts_a) != len(parts_b):
        return False
    diff = [(x, y) for x, y in zip(parts_a, parts_b, strict=True) if x != y]
    return len(diff) == 1 and min(len(diff[0][0]), len(diff[0][1])) >= 3 and _close(*diff[0])


def is_fix(failed: str, worked: str) -> bool:
    """Whether `worked` is another try at what `failed` did (the module's note)."""
    raw_a, raw_b = failed.split(), worked.split()
    if not raw_a or not raw_b or raw_a == raw_b:
        return False
    a, b = _unwrap(raw_a), _unwrap(raw_b)
    if not a or not b:
        return False
    if a == b:  # the same command under another wrapper, in another folder or with other variables
        return True
    act_a, act_b = _act(a), _act(b)
    if act_a is not None and act_b is not None:
        # Both add a common package, or both install what the project lists (no package named).
        return act_a[0] == act_b[0] and (bool(act_a[1] & act_b[1]) or not (act_a[1] or act_b[1]))
    if _close(a[0], b[0]):
        return _same_program_fix(a[1:], b[1:])
    return len(a) > 1 and a[1:] == b[1:]


def _same_program_fix(a: list[str], b: list[str]) -> bool:
    """Arguments of one program: the same targets, only flags changed."""
    targets_a = [w for w in a if not w.startswith("-")]
    targets_b = [w for w in b if not w.startswith("-")]
    if bool(targets_a) != bool(targets_b):  # a target given to one only: another act, or a narrower one
        return False
    # The same targets, each one (or a corrected one) on both sides: only flags changed.
    return all(any(_same_target(x, y) for y in targets_b) for x in targets_a) and all(
        any(_same_target(y, x) for x in targets_a) for y in targets_b
    )
