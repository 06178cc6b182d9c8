"""Team memory on Postgres: the schema, the members, and privacy enforced by the engine, checked as
two member roles through raw SQL (what a member could type in psql)."""

from __future__ import annotations

import time
from typing import Any

import psycopg
import pytest

from mcp_memory.errors import DatabaseError, InvalidInput
from mcp_memory.storage.postgres.connect import describe_url
from mcp_memory.storage.postgres.schema import MIGRATIONS
from mcp_memory.storage.postgres.team import add_member, applied_versions, setup_team
from tests.postgres import PostgresServer

DIMENSION = 4
PRIVATE_TEXT = "the private launch codename is BLUEFIN"


@pytest.fixture
def team(postgres: PostgresServer) -> dict[str, str]:
    """A fresh database set up for a team, with members alice and bob: its name, and URLs by role."""
    database = postgres.new_database()
    admin = postgres.url(database)
    setup_team(admin, DIMENSION)
    add_member(admin, "alice", "alice-pw")
    add_member(admin, "bob", "bob-pw")
    return {
        "database": database,
        "admin": admin,
        "alice": postgres.url(database, "alice", "alice-pw"),
        "bob": postgres.url(database, "bob", "bob-pw"),
    }


def _as(url: str) -> Any:
    return psycopg.connect(url, autocommit=True, options="-c search_path=mcp_memory,public")


def _store(url: str, content: str, visibility: str, tags: tuple[str, ...] = ()) -> int:
    now = time.time()
    with _as(url) as conn:
        memory_id = conn.execute(
            "INSERT INTO memories(content, content_hash, created_at, updated_at, visibility, embedding) "
            "VALUES (%s, md5(%s), %s, %s, %s, %s::vector) RETURNING id",
            (content, content, now, now, visibility, "[1,0,0,0]"),
        ).fetchone()[0]
        for tag in tags:
            conn.execute("INSERT INTO memory_tags(memory_id, tag) VALUES (%s, %s)", (memory_id, tag))
        conn.execute(
            "INSERT INTO memory_versions(memory_id, version, content, tags, kind, importance, metadata, "
            "valid_from, replaced_at, replaced_by, changed) VALUES (%s, 1, %s, '[]', 'note', 0.5, '{}', %s, %s, 'update', '[]')",
            (memory_id, content, now, now),
        )
        entity = conn.execute(
            "INSERT INTO entities(name, type, created_at, updated_at) VALUES (%s, 'project', %s, %s) "
            "ON CONFLICT (lower(name)) DO UPDATE SET updated_at = excluded.updated_at RETURNING id",
            ("launch", now, now),
        ).fetchone()[0]
        conn.execute("INSERT INTO memory_entities(memory_id, entity_id) VALUES (%s, %s)", (memory_id, entity))
    return int(memory_id)


#: Every table of the schema and the columns that could hold a memory's words.
_TEXT_READS = {
    "memories": "SELECT content || ' ' || tags_text || ' ' || search::text FROM memories",
    "memory_tags": "SELECT tag FROM memory_tags",
    "memory_versions": "SELECT content FROM memory_versions",
    "memory_entities": "SELECT memory_id::text FROM memory_entities",
    "episodes": "SELECT task || coalesce(lesson, '') FROM episodes",
    "episode_steps": "SELECT action FROM episode_steps",
}


def test_setup_twice_applies_nothing_new(team: dict[str, str]) -> None:
    """Setting up a database again finds every step recorded with its checksum and applies none."""
    again = setup_team(team["admin"], DIMENSION)
    assert again.applied == ()
    with psycopg.connect(team["admin"]) as conn:
        assert set(applied_versions(conn)) == {m.version for m in MIGRATIONS}


def test_an_older_schema_is_refused_until_setup_adds_the_missing_steps(
    postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A team database set up by an older mcp-memory: members are told to have it set up again,
    which applies only the new steps and keeps what is stored; then superseding works."""
    import anyio

    from mcp_memory.storage.postgres import team as team_module
    from mcp_memory.storage.postgres.database import PgDatabase

    database = postgres.new_database()
    admin = postgres.url(database)
    monkeypatch.setattr(team_module, "MIGRATIONS", MIGRATIONS[:1])
    setup_team(admin, DIMENSION)
    add_member(admin, "erin", "erin-pw")
    kept = _store(postgres.url(database, "erin", "erin-pw"), "kept across the upgrade", "team")
    monkeypatch.undo()
    erin = postgres.url(database, "erin", "erin-pw")
    with pytest.raises(DatabaseError, match="team setup"):
        anyio.run(PgDatabase.open, erin)
    again = setup_team(admin, DIMENSION)
    assert list(again.applied) == [m.version for m in MIGRATIONS[1:]]
    with _as(erin) as conn:
        conn.execute("UPDATE memories SET superseded_by = id WHERE id = %s", (kept,))
        row = conn.execute("SELECT content, superseded_by FROM memories WHERE id = %s", (kept,)).fetchone()
    assert row == ("kept across the upgrade", kept)


def test_setup_refuses_a_changed_dimension(team: dict[str, str]) -> None:
    """A second setup for vectors of another size is refused instead of mixing two schemas."""
    with pytest.raises(DatabaseError, match="does not match"):
        setup_team(team["admin"], DIMENSION + 1)


def test_a_private_memory_is_invisible_to_another_member_in_every_table(team: dict[str, str]) -> None:
    """Bob reads no byte of Alice's private memory through any table (content, tags, keyword vector,
    history, graph links), while both see the team's memories."""
    private = _store(team["alice"], PRIVATE_TEXT, "private", tags=("bluefin",))
    shared = _store(team["alice"], "the team builds with ninja", "team", tags=("build",))
    with _as(team["bob"]) as conn:
        seen = " ".join(
            str(row[0]) for sql in _TEXT_READS.values() for row in conn.execute(sql).fetchall()
        ).lower()
        ids = {row[0] for row in conn.execute("SELECT id FROM memories").fetchall()}
    assert "bluefin" not in seen
    assert str(private) not in seen.split()
    assert "ninja" in seen
    assert ids == {shared}
    with _as(team["alice"]) as conn:
        assert {row[0] for row in conn.execute("SELECT id FROM memories").fetchall()} == {private, shared}


def test_another_member_cannot_change_or_delete_a_private_memory(team: dict[str, str]) -> None:
    """Bob's update and delete of Alice's private memory touch no row, and his tag on it is refused."""
    private = _store(team["alice"], PRIVATE_TEXT, "private")
    with _as(team["bob"]) as conn:
        assert conn.execute("UPDATE memories SET content = 'x' WHERE id = %s", (private,)).rowcount == 0
        assert conn.execute("DELETE FROM memories WHERE id = %s", (private,)).rowcount == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO memory_tags(memory_id, tag) VALUES (%s, 'mine')", (private,))
    with _as(team["alice"]) as conn:
        assert (
            conn.execute("SELECT content FROM memories WHERE id = %s", (private,)).fetchone()[0]
            == PRIVATE_TEXT
        )


def test_only_the_owner_makes_a_memory_private_and_no_one_changes_its_owner(team: dict[str, str]) -> None:
    """A member may edit a team memory but not make someone else's private, claim it, or pose as its
    creator."""
    shared = _store(team["alice"], "the team builds with ninja", "team")
    with _as(team["bob"]) as conn:
        assert (
            conn.execute(
                "UPDATE memories SET content = 'ninja 1.12', updated_by = 'bob' WHERE id = %s", (shared,)
            ).rowcount
            == 1
        )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE memories SET visibility = 'private' WHERE id = %s", (shared,))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE memories SET owner = 'bob' WHERE id = %s", (shared,))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "INSERT INTO memories(content, content_hash, created_at, updated_at, owner) "
                "VALUES ('forged', 'h', 0, 0, 'alice')"
            )
    with _as(team["alice"]) as conn:
        row = conn.execute(
            "SELECT owner, created_by, updated_by FROM memories WHERE id = %s", (shared,)
        ).fetchone()
    assert row == ("alice", "alice", "bob")


def test_the_statistics_views_hide_private_rows(team: dict[str, str]) -> None:
    """After ANALYZE, Bob's pg_stats shows no values of the memories table, which has row-level
    security, so the planner's statistics leak no private words."""
    for n in range(30):
        _store(team["alice"], f"{PRIVATE_TEXT} {n}", "private")
    with psycopg.connect(team["admin"], autocommit=True) as conn:
        conn.execute("ANALYZE mcp_memory.memories")
    with _as(team["bob"]) as conn:
        rows = conn.execute(
            "SELECT most_common_vals::text FROM pg_stats WHERE tablename IN ('memories', 'memory_versions')"
        ).fetchall()
    assert all("bluefin" not in str(r[0]).lower() for r in rows)


def test_the_keyword_functions_answer_only_what_the_caller_may_read(team: dict[str, str]) -> None:
    """The schema's keyword functions (which run as the schema's owner, so the GIN index serves
    them) see the team's rows and the caller's own private ones: Bob's count of a word only Alice's
    private memory holds is 0, hers is 1; the live counts and the matches differ by her private
    memory; text given as a stem is only ever a stem; an outsider may not call them."""
    _store(team["alice"], PRIVATE_TEXT, "private")
    _store(team["alice"], "the team builds with ninja", "team")
    counts = "SELECT stem, n FROM visible_stem_counts(ARRAY['bluefin', 'ninja', 'x'' OR 1=1 --'])"
    with _as(team["bob"]) as conn:
        assert dict(conn.execute(counts).fetchall()) == {"bluefin": 0, "ninja": 1, "x' OR 1=1 --": 0}
        assert conn.execute("SELECT visible_live_count()").fetchone()[0] == 1
        matches = (
            "SELECT id FROM visible_keyword_matches(to_tsquery('bluefin | ninja'), to_tsquery('bluefin'))"
        )
        assert len(conn.execute(matches).fetchall()) == 1  # the team memory only
    with _as(team["alice"]) as conn:
        assert len(conn.execute(matches).fetchall()) == 2
        assert dict(conn.execute(counts).fetchall())["bluefin"] == 1
        assert conn.execute("SELECT visible_live_count()").fetchone()[0] == 2
    with psycopg.connect(team["admin"], autocommit=True) as conn:
        conn.execute("CREATE ROLE outsider LOGIN PASSWORD 'outsider-pw'")
    database = team["database"]
    outsider = team["admin"].replace("postgres:@", "outsider:outsider-pw@", 1)
    assert database in outsider
    with _as(outsider) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("SELECT mcp_memory.visible_live_count()").fetchone()


def test_the_keyword_functions_ignore_a_members_temporary_tables(team: dict[str, str]) -> None:
    """A member's temporary table named `memories` (searched before the schema for unqualified
    names) does not stand in for ours inside the functions that run as the schema's owner; a stem
    with a backslash or a quote is counted, not parsed; the applied steps are setup's alone."""
    _store(team["alice"], "the team builds with ninja", "team")
    with _as(team["bob"]) as conn:
        conn.execute("CREATE TEMP TABLE memories (id BIGINT, deleted_at FLOAT, visibility TEXT, owner TEXT)")
        assert conn.execute("SELECT visible_live_count()").fetchone()[0] == 1
        stems = "SELECT stem, n FROM visible_stem_counts(ARRAY[E'a\\\\b', 'o''brien', 'ninja'])"
        assert dict(conn.execute(stems).fetchall()) == {"a\\b": 0, "o'brien": 0, "ninja": 1}
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO mcp_memory.schema_migrations VALUES (2, 'x', 'y', 0)")


def test_a_member_name_must_be_a_plain_role_name(team: dict[str, str]) -> None:
    """A name that would need quoting is refused with what to use instead, and no role is made."""
    with pytest.raises(InvalidInput, match="plain role name"):
        add_member(team["admin"], 'bob"; DROP TABLE memories; --')


def test_a_new_member_gets_a_generated_password_that_works(
    team: dict[str, str], postgres: PostgresServer
) -> None:
    """Adding a member without a password generates one, and the member can log in with it."""
    member = add_member(team["admin"], "carol")
    assert member.created
    assert member.password
    with _as(postgres.url(team["database"], "carol", member.password)) as conn:
        assert conn.execute("SELECT current_user").fetchone()[0] == "carol"


def test_an_unreachable_database_is_one_clear_error_without_the_password() -> None:
    """Connecting to a server that is not there fails within the timeout with a message naming the
    host, not the password, and saying nothing was changed."""
    url = "postgresql://alice:hunter2@127.0.0.1:1/memory"
    with pytest.raises(DatabaseError) as caught:
        setup_team(url, DIMENSION)
    message = str(caught.value)
    assert "unreachable" in message
    assert "nothing was changed" in message
    assert "hunter2" not in message
    assert describe_url(url) in message


def test_the_team_commands_set_up_a_database_and_add_a_member(postgres: PostgresServer) -> None:
    """`mcp-memory team setup` and `team add` work on a fresh database, say what they did, and a
    second setup says it is up to date."""
    import json
    import subprocess
    import sys

    database = postgres.new_database()
    admin = postgres.url(database)

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "mcp_memory", *argv],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    first = run("team", "setup", "--database-url", admin)
    assert first.returncode == 0, first.stderr
    assert "applied schema steps 1" in first.stdout
    assert "already up to date" in run("team", "setup", "--database-url", admin).stdout
    added = run("--json", "team", "add", "dana", "--database-url", admin)
    assert added.returncode == 0, added.stderr
    member = json.loads(added.stdout)
    assert member["name"] == "dana"
    with _as(postgres.url(database, "dana", member["password"])) as conn:
        assert conn.execute("SELECT count(*) FROM memories").fetchone()[0] == 0
    refused = run("team", "add", "dana", "--database-url", "not-a-url")
    assert refused.returncode == 1
    assert "give a postgresql:// URL" in refused.stderr


def test_a_member_of_one_team_holds_nothing_in_another_teams_database(
    team: dict[str, str], postgres: PostgresServer
) -> None:
    """Roles are the whole server's: Alice, a member of the first team's database, can read none of a
    second team's database on the same server (each database has its own members' group), and
    becomes able to only when she is added to it."""
    other = postgres.new_database()
    other_admin = postgres.url(other)
    setup_team(other_admin, DIMENSION)
    add_member(other_admin, "erin", "erin-pw")
    _store(postgres.url(other, "erin", "erin-pw"), "the second team's roadmap", "team")
    alice_there = postgres.url(other, "alice", "alice-pw")
    with _as(alice_there) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("SELECT content FROM mcp_memory.memories").fetchall()
    add_member(other_admin, "alice")
    with _as(alice_there) as conn:
        assert conn.execute("SELECT content FROM memories").fetchall() == [("the second team's roadmap",)]


def test_group_roles_are_plain_names_one_per_database() -> None:
    """Each database's group role is a plain identifier; names that fold alike still differ."""
    from mcp_memory.storage.postgres.schema import group_role

    assert group_role("memory") == "mcp_memory_members_memory"
    folded = {group_role("Team-A"), group_role("team_a"), group_role("team-a")}
    assert len(folded) == 3
    assert all(len(name) <= 63 and name.replace("_", "").isalnum() for name in folded)
    assert len(group_role("x" * 63)) <= 63


def test_a_members_url_and_pgpass_line_from_the_admin_url() -> None:
    """`team add` prints the member's URL (the admin's without its credentials) and a .pgpass line
    libpq reads (':' and '\\' escaped; any host for a Unix socket)."""
    from mcp_memory.storage.postgres.connect import member_url, pgpass_line

    url = member_url("postgresql://admin:pw@db.example.com:6543/memory?sslmode=require", "alice")
    assert url == "postgresql://alice@db.example.com:6543/memory?sslmode=require"
    assert pgpass_line(url, "a:b\\c") == "db.example.com:6543:memory:alice:a\\:b\\\\c"
    socket = member_url("postgresql://postgres@/memory?host=/tmp/pg", "bob")
    assert socket == "postgresql://bob@/memory?host=/tmp/pg"
    assert pgpass_line(socket, "pw") == "*:5432:memory:bob:pw"


def test_doctor_tells_a_role_that_reads_every_row_from_a_member(team: dict[str, str]) -> None:
    """The administrator who set the database up owns its tables (and here is a superuser): the
    facts doctor reports say it bypasses the row policies; a member is held to them."""
    import anyio

    from mcp_memory.storage.postgres.database import PgDatabase
    from mcp_memory.storage.postgres.team import postgres_facts

    async def facts(url: str) -> bool:
        db = await PgDatabase.open(url)
        try:
            return (await postgres_facts(db)).bypasses_policies
        finally:
            await db.close()

    assert anyio.run(facts, team["admin"]) is True
    assert anyio.run(facts, team["alice"]) is False


def test_only_setup_and_the_schemas_function_write_which_model_made_the_vectors(
    postgres: PostgresServer,
) -> None:
    """Setup records the team's model; a member can neither change, add nor delete a `meta` row (a
    changed model or size would stop every member's search), and the function that records a model
    keeps the one recorded and refuses vectors of another size."""
    database = postgres.new_database()
    admin = postgres.url(database)
    setup_team(admin, DIMENSION, ("team-model", "abc"))
    add_member(admin, "erin", "erin-pw")
    erin = postgres.url(database, "erin", "erin-pw")
    with _as(erin) as conn:
        for statement in (
            "UPDATE meta SET value = 'other-model' WHERE key = 'embedding_model'",
            "DELETE FROM meta WHERE key = 'embedding_model'",
            "INSERT INTO meta(key, value) VALUES ('vec_table', 'x')",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
        conn.execute("SELECT record_vector_model('other-model', %s, '')", (DIMENSION,))
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="do not fit"):
            conn.execute("SELECT record_vector_model('other-model', %s, '')", (DIMENSION + 1,))
        recorded = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    assert recorded["embedding_model"] == "team-model"
    assert recorded["embedding_dim"] == str(DIMENSION)
    assert recorded["vec_table"] == "memory_vectors"
    setup_team(admin, DIMENSION, ("yet-another", ""))
    with _as(erin) as conn:
        assert (
            conn.execute("SELECT value FROM meta WHERE key = 'embedding_model'").fetchone()[0] == "team-model"
        )


def test_a_member_cannot_act_as_the_group_role(team: dict[str, str]) -> None:
    """`SET ROLE` to the members' group is refused: as the group, a member would store rows that
    every member owns and change memories under no one's name."""
    with _as(team["admin"]) as conn:
        group = conn.execute(
            "SELECT rolname FROM pg_roles WHERE rolname LIKE 'mcp_memory_members_%%' "
            "AND pg_has_role('alice', oid, 'USAGE')"
        ).fetchone()[0]
    with _as(team["alice"]) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(f'SET ROLE "{group}"')


def test_history_is_written_once_and_a_shared_memory_keeps_its_private_past(team: dict[str, str]) -> None:
    """No member rewrites or deletes a version (even of a team memory); a memory Alice shares after a
    private edit shows Bob only what was written once it was the team's, while Alice sees it all; a
    hard delete still takes its versions with it."""
    memory = _store(team["alice"], PRIVATE_TEXT, "private")  # version 1 recorded while private
    with _as(team["alice"]) as conn:
        conn.execute("UPDATE memories SET visibility = 'team', version = 2 WHERE id = %s", (memory,))
        now = time.time()
        conn.execute(
            "INSERT INTO memory_versions(memory_id, version, content, tags, kind, importance, metadata, "
            "valid_from, replaced_at, replaced_by, changed, visibility) VALUES "
            "(%s, 2, 'shared wording', '[]', 'note', 0.5, '{}', %s, %s, 'update', '[]', 'private')",
            (memory, now, now),
        )
    with _as(team["bob"]) as conn:
        seen = conn.execute(
            "SELECT version, content FROM memory_versions WHERE memory_id = %s", (memory,)
        ).fetchall()
        assert seen == [(2, "shared wording")]  # the trigger, not the client, sets a version's visibility
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE memory_versions SET content = 'forged' WHERE memory_id = %s", (memory,))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM memory_versions WHERE memory_id = %s", (memory,))
    with _as(team["alice"]) as conn:
        versions = conn.execute(
            "SELECT version, content FROM memory_versions WHERE memory_id = %s ORDER BY version", (memory,)
        ).fetchall()
        assert versions == [(1, PRIVATE_TEXT), (2, "shared wording")]
        conn.execute("DELETE FROM memories WHERE id = %s", (memory,))
    with _as(team["admin"]) as conn:
        left = conn.execute(
            "SELECT count(*) FROM mcp_memory.memory_versions WHERE memory_id = %s", (memory,)
        ).fetchone()[0]
    assert left == 0


def test_a_members_password_reaches_the_server_only_as_a_verifier(
    team: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No statement `team add` sends holds the password (a statement log on the server would keep
    it): the role gets a SCRAM verifier computed here, and the member logs in with the password."""
    sent: list[str] = []
    execute = psycopg.Connection.execute

    def recording(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(query.as_string(self) if hasattr(query, "as_string") else str(query))
        return execute(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Connection, "execute", recording)
    add_member(team["admin"], "dave", "dave-secret-pw")
    add_member(team["admin"], "alice", "alice-new-pw")
    monkeypatch.undo()
    assert any("SCRAM-SHA-256$" in statement for statement in sent)
    assert not [s for s in sent if "dave-secret-pw" in s or "alice-new-pw" in s]
    with _as(team["alice"].replace("alice:alice-pw@", "dave:dave-secret-pw@", 1)) as conn:
        assert conn.execute("SELECT current_user").fetchone()[0] == "dave"
