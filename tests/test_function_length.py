"""Short functions: none in `mcp_memory/` is longer than a page (80 lines, `def` to its last line)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "mcp_memory"

#: Lines from a function's `def` to its last line, docstring and nested functions included.
LIMIT = 80

#: Functions still over the limit, with their length, in modules other work is rewriting (the hooks,
#: services/transfer/, the tool modules, views/, cli/commands.py, cli/run.py): each is split there.
#: A length may only go down; a function not named here has at most LIMIT lines.
NOT_YET_SPLIT: dict[str, int] = {}


def function_lengths(source: str) -> dict[str, int]:
    """Each function and method in `source` by its qualified name (`Class.method`, `outer.inner`),
    with its length in lines from its `def` (after any decorators) to its last line."""
    lengths: dict[str, int] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = prefix + child.name
                lengths[name] = (child.end_lineno or child.lineno) - child.lineno + 1
                visit(child, name + ".")
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return lengths


def _package_lengths() -> dict[str, int]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        for name, length in function_lengths(path.read_text(encoding="utf-8")).items():
            found[f"{relative}: {name}"] = length
    return found


def test_no_function_is_longer_than_a_page() -> None:
    """No function or method in the package is longer than LIMIT lines, except those on the list
    still to split, which are no longer than the list says."""
    over = {
        name: length for name, length in _package_lengths().items() if length > NOT_YET_SPLIT.get(name, LIMIT)
    }
    assert not over, f"functions over {LIMIT} lines (split them into named helpers): " + "; ".join(
        f"{name} ({length})" for name, length in sorted(over.items())
    )


def test_the_list_of_functions_to_split_only_shrinks() -> None:
    """Each length on the list is the function's real length, so a function made shorter (or split,
    or gone) must lower its entry or leave the list."""
    found = _package_lengths()
    stale = {
        name: (length, found.get(name))
        for name, length in NOT_YET_SPLIT.items()
        if found.get(name, 0) < length
    }
    assert not stale, f"lower these lengths, or drop the entries at {LIMIT} or less (listed, found): {stale}"


def test_the_check_measures_from_def_to_the_last_line() -> None:
    """A function's length runs from its `def` (not its decorator) to its last line, docstring
    included; methods and nested functions are measured on their own under qualified names."""
    source = (
        "import functools\n"
        "@functools.cache\n"
        "def top():\n"
        '    """Doc."""\n'
        "    def inner():\n"
        "        return 1\n"
        "    return inner\n"
        "class Box:\n"
        "    async def method(self):\n"
        "        pass\n"
    )
    assert function_lengths(source) == {"top": 5, "top.inner": 2, "Box.method": 2}
