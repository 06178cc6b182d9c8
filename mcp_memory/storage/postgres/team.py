"""Setting up a shared Postgres for a team, and adding its members: run with an administrator's
connection (the CLI's `team setup` and `team add`), never by the server.

Setup creates the pgvector extension, mcp-memory's schema, the members' group role and the tables
with their row-level security policies (`schema`), each step recorded with its checksum. A member is
a login role in that group: they connect as themselves, and the policies decide what they see.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

from mcp_memory.errors import DatabaseError, InvalidInput
from mcp_memory.storage.postgres.connect import SCHEMA, connect, psycopg_module
from mcp_memory.storage.postgres.schema import MIGRATIONS, checksum, group_role, migration_sql

__all__ = [
    "Member",
    "PostgresFacts",
    "SetupReport",
    "add_member",
    "applied_versions",
    "postgres_facts",
    "setup_team",
]

_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True, slots=True)
class SetupReport:
    """What `setup_team` did: the steps it applied now, and the schema version the database is at."""

    applied: tuple[int, ...]
    version: int
    dimension: int


@dataclass(frozen=True, slots=True)
class Member:
    """A member role made by `add_member`; `password` is set when it was generated here."""

    name: str
    created: bool
    password: str | None


def applied_versions(conn: Any) -> dict[int, str]:
    """The schema steps recorded in the database, with their checksums (empty before setup)."""
    exists = conn.execute("SELECT to_regclass(%s)", (f"{SCHEMA}.schema_migrations",)).fetchone()[0]
    if exists is None:
        return {}
    rows = conn.execute(f"SELECT version, checksum FROM {SCHEMA}.schema_migrations").fetchall()
    return {int(r[0]): str(r[1]) for r in rows}


def _prepare(conn: Any, group: str) -> None:
    sql = psycopg_module().sql
    _create_vector_extension(conn)
    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(SCHEMA)))
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (group,)).fetchone()
    if exists is None:
        conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(group)))
    conn.execute(
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(SCHEMA), sql.Identifier(group))
    )
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {SCHEMA}.schema_migrations (version INTEGER PRIMARY KEY, "
        "name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at DOUBLE PRECISION NOT NULL)"
    )
    conn.execute(
        sql.SQL("GRANT SELECT ON {}.schema_migrations TO {}").format(
            sql.Identifier(SCHEMA), sql.Identifier(group)
        )
    )


def _create_vector_extension(conn: Any) -> None:
    """pgvector in the database, or an error saying how to get it where the role may not create it
    (a managed service's administrator is rarely a superuser)."""
    installed = conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'").fetchone()
    if installed:
        return
    psycopg = psycopg_module()
    try:
        with conn.transaction():
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    except psycopg.errors.InsufficientPrivilege as exc:
        raise DatabaseError(
            "this role may not create the pgvector extension; enable it first (your provider's "
            "dashboard, or `CREATE EXTENSION vector;` as a superuser in this database), then run "
            "`mcp-memory team setup` again. Nothing was changed."
        ) from exc
    except psycopg.errors.FeatureNotSupported as exc:
        raise DatabaseError(
            f"this Postgres has no pgvector extension to install ({exc}); use a server with pgvector "
            "0.8 or newer. Nothing was changed."
        ) from exc


def setup_team(admin_url: str, dimension: int, model: tuple[str, str] | None = None) -> SetupReport:
    """Create (or bring up to date) mcp-memory's schema in the database at `admin_url`, for vectors of
    `dimension` numbers; with `model` (its name and file checksum), record it as the team's model
    (otherwise the first member to store a memory records theirs). Safe to run again: applied steps
    are checked against their checksums and skipped, a recorded model is kept. The connection must
    be allowed to create extensions, schemas and roles."""
    applied: list[int] = []
    with connect(admin_url) as conn:
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('mcp-memory setup'))")
        group = group_role(conn.info.dbname)
        _prepare(conn, group)
        recorded = applied_versions(conn)
        for migration in MIGRATIONS:
            text = migration_sql(migration, dimension, group)
            if migration.version in recorded:
                if recorded[migration.version] != checksum(text):
                    raise DatabaseError(
                        f"schema step {migration.version} ({migration.name}) recorded in the database "
                        "does not match this version's definition (or was made for another vector "
                        "dimension); it was changed by another tool."
                    )
                continue
            conn.execute(f"SET LOCAL search_path = {SCHEMA}, public")
            conn.execute(text)
            conn.execute(
                f"INSERT INTO {SCHEMA}.schema_migrations(version, name, checksum, applied_at) "
                "VALUES (%s, %s, %s, %s)",
                (migration.version, migration.name, checksum(text), time.time()),
            )
            applied.append(migration.version)
        conn.execute(
            f"INSERT INTO {SCHEMA}.meta(key, value) VALUES ('vector_dimension', %s) ON CONFLICT (key) DO NOTHING",
            (str(dimension),),
        )
        if model is not None:
            conn.execute(f"SELECT {SCHEMA}.record_vector_model(%s, %s, %s)", (model[0], dimension, model[1]))
    return SetupReport(tuple(applied), max(m.version for m in MIGRATIONS), dimension)


def add_member(admin_url: str, name: str, password: str | None = None) -> Member:
    """A login role `name` in the members' group, with `password` (one is generated when None and
    the role is new). A role that exists already is added to the group, and its password changed
    only when one is given."""
    if not _ROLE_NAME.match(name):
        raise InvalidInput(
            f"member name {name!r} is not a plain role name; use lower-case letters, digits and _ "
            "(at most 63), starting with a letter, e.g. 'alice'."
        )
    sql = psycopg_module().sql
    with connect(admin_url) as conn:
        if not applied_versions(conn):
            raise DatabaseError(
                "this database has no mcp-memory schema yet; run `mcp-memory team setup` first."
            )
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone() is not None
        generated = None
        if not exists and password is None:
            password = generated = secrets.token_urlsafe(18)
        role = sql.Identifier(name)
        if password is not None:
            # The server is sent the password's SCRAM verifier, never the password: a statement log
            # or pg_stat_statements on the server keeps nothing a member could log in with.
            verifier = conn.pgconn.encrypt_password(password.encode(), name.encode(), b"scram-sha-256")
            secret = sql.Literal(verifier.decode())
            verb = (
                "CREATE ROLE {} LOGIN PASSWORD {}" if not exists else "ALTER ROLE {} WITH LOGIN PASSWORD {}"
            )
            conn.execute(sql.SQL(verb).format(role, secret))
        elif not exists:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(role))
        group = sql.Identifier(group_role(conn.info.dbname))
        if conn.info.server_version >= 160000:
            # A member holds the group's privileges but may not become it (`SET ROLE`): as the group
            # they would store rows every member owns, and change memories under no one's name.
            conn.execute(sql.SQL("GRANT {} TO {} WITH INHERIT TRUE, SET FALSE").format(group, role))
        else:
            conn.execute(sql.SQL("GRANT {} TO {}").format(group, role))
        conn.execute(
            sql.SQL("ALTER ROLE {} SET search_path = {}, public").format(role, sql.Identifier(SCHEMA))
        )
    return Member(name, not exists, generated)


@dataclass(frozen=True, slots=True)
class PostgresFacts:
    """What `mcp-memory doctor` checks of a shared database, as the connecting member sees it."""

    role: str
    bypasses_policies: bool
    schema_version: int
    pgvector: str | None
    policies_on: bool


async def postgres_facts(source: Any) -> PostgresFacts:
    """The facts of the database `source` reads (a `PgDatabase`), in one trip."""
    (role,), (version,), (vector,), (policies,) = await source.fetch_many(
        [
            (
                # A superuser, a role exempt from row security, or the tables' owner (row security
                # is not forced on them) reads every row.
                "SELECT current_user, (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user) "
                "OR pg_has_role(current_user, (SELECT relowner FROM pg_class "
                "WHERE oid = to_regclass('memories')), 'USAGE')",
                (),
            ),
            ("SELECT coalesce(max(version), 0) FROM schema_migrations", ()),
            ("SELECT (SELECT extversion FROM pg_extension WHERE extname = 'vector')", ()),
            ("SELECT relrowsecurity FROM pg_class WHERE oid = to_regclass('memories')", ()),
        ]
    )
    return PostgresFacts(str(role[0]), bool(role[1]), int(version[0]), vector[0], bool(policies[0]))
