"""The storage seam: SQL text lives in `mcp_memory/storage/` and nowhere else."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "mcp_memory"

_STATEMENT = re.compile(
    r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|WITH|PRAGMA|DROP|ALTER|REPLACE|BEGIN|COMMIT|ROLLBACK|"
    r"SAVEPOINT|RELEASE|VACUUM|ANALYZE|ATTACH|DETACH|REINDEX)\b"
)
_CLAUSE = re.compile(r"\b(FROM|INTO|SET|TABLE|WHERE|VALUES|INDEX|VIEW|TRIGGER)\b")
_BARE = re.compile(r"^\s*(PRAGMA|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|VACUUM|ANALYZE)\b")

#: Modules outside storage/ that still hold SQL, with how many statements: the seam issue moves them
#: into storage/ family by family. A count may only go down; a module not named here holds none.
NOT_YET_MOVED: dict[str, int] = {}


def _looks_like_sql(text: str) -> bool:
    return bool(_STATEMENT.match(text)) and bool(_CLAUSE.search(text) or _BARE.match(text))


def sql_statements(source: str) -> list[tuple[int, str]]:
    """The line and start of each string literal (f-strings by their literal parts) in `source`
    that reads as an SQL statement: an SQL keyword first and a clause keyword, in capitals as this
    code base writes them (so prose such as "select the memories from ..." is not one)."""
    found = []
    tree = ast.parse(source)
    parts = {id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values}
    for node in ast.walk(tree):
        if id(node) in parts:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        elif isinstance(node, ast.JoinedStr):
            text = "".join(
                v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
            )
        else:
            continue
        if _looks_like_sql(text):
            found.append((node.lineno, " ".join(text.split())[:60]))
    return found


def _outside_storage() -> dict[str, list[tuple[int, str]]]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith("storage/"):
            continue
        statements = sql_statements(path.read_text(encoding="utf-8"))
        if statements:
            found[relative] = statements
    return found


def test_no_sql_outside_storage() -> None:
    """No module outside storage/ holds more SQL statements than the seam's list of modules still to
    move allows (none, for a module not on the list)."""
    over = {
        module: statements
        for module, statements in _outside_storage().items()
        if len(statements) > NOT_YET_MOVED.get(module, 0)
    }
    assert not over, (
        "SQL outside mcp_memory/storage/ (put it behind a typed function in a storage module): "
        + "; ".join(f"{m}: {s}" for m, s in over.items())
    )


def test_the_list_of_modules_to_move_only_shrinks() -> None:
    """Each count on the list is the module's real count, so a module that lost SQL must lower it."""
    found = {module: len(statements) for module, statements in _outside_storage().items()}
    stale = {m: (n, found.get(m, 0)) for m, n in NOT_YET_MOVED.items() if found.get(m, 0) < n}
    assert not stale, f"lower these counts (listed, found): {stale}"


def test_the_check_sees_a_service_running_sql() -> None:
    """The detector finds a query a service would run, in a plain string and in an f-string (once),
    and leaves prose that starts with an SQL word alone."""
    source = (
        "async def f(db, table):\n"
        "    await db.execute('SELECT id FROM memories WHERE deleted_at IS NULL')\n"
        "    await db.execute(f'DELETE FROM {table} WHERE id = ?', (1,))\n"
        "    note = 'Select the memories you want, from the list'\n"
        "    other = 'update the tags when the fact changes'\n"
    )
    assert [line for line, _ in sorted(sql_statements(source))] == [2, 3]
