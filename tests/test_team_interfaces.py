"""The interfaces on a shared Postgres: the command line and the MCP server, run by two members with
MCP_MEMORY_DATABASE_URL, store, find and keep private as the services do; what only the SQLite file
has (backup, reindex, the index repair) says what to do instead."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from mcp import Client

from mcp_memory.mcp.server import build_server
from mcp_memory.storage.postgres.team import add_member, setup_team
from tests.conftest import FAKE_DIM, fake_loader, make_settings, wait_for_model
from tests.postgres import PostgresServer, run_cli, team_database


@pytest.fixture
def team_urls(postgres: PostgresServer) -> dict[str, str]:
    """A team database for the bundled model's vectors, with members alice and bob: URL by role."""
    return team_database(postgres, 384)


def _cli(tmp_path: Path, url: str, *argv: str) -> subprocess.CompletedProcess[str]:
    return run_cli(tmp_path, *argv, url=url)


@pytest.mark.e2e
def test_the_command_line_on_a_team_database(tmp_path: Path, team_urls: dict[str, str]) -> None:
    """Alice stores a team and a private memory from the command line; Bob's search finds the first
    and not the second, her own finds both; stats and doctor answer; backup, reindex and the
    repair refuse with what to do instead."""
    alice, bob = team_urls["alice"], team_urls["bob"]
    stored = _cli(tmp_path, alice, "store", "the deploy runs from the ci-release branch", "-t", "deploy")
    assert stored.returncode == 0, stored.stderr
    assert "in the shared database at" in stored.stdout
    assert "(team)" in stored.stdout
    assert "alice-pw" not in stored.stdout
    private = _cli(
        tmp_path,
        alice,
        "store",
        "my own note: the staging password rotates on fridays",
        "--visibility",
        "private",
    )
    assert private.returncode == 0, private.stderr
    bob_found = json.loads(
        _cli(
            tmp_path, bob, "--json", "search", "deploy branch staging fridays", "--min-relevance", "0"
        ).stdout
    )
    bob_texts = [r["content"] for r in bob_found["results"]]
    assert "the deploy runs from the ci-release branch" in bob_texts
    assert not any("fridays" in t for t in bob_texts)
    alice_found = json.loads(
        _cli(tmp_path, alice, "--json", "search", "staging fridays", "--min-relevance", "0").stdout
    )
    assert any("fridays" in r["content"] for r in alice_found["results"])
    stats = json.loads(_cli(tmp_path, bob, "--json", "stats").stdout)
    assert stats["memories"] == 1
    doctor = _cli(tmp_path, bob, "doctor", "--no-model")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "held to it" in doctor.stdout
    for argv, words in (
        (("backup", str(tmp_path / "copy.db")), "pg_dump"),
        (("reindex",), "setting up a database for the new model"),
        (("doctor", "--repair", "--no-model"), "kept by the database itself"),
    ):
        refused = _cli(tmp_path, alice, *argv)
        assert refused.returncode == 1, argv
        assert words in refused.stderr, (argv, refused.stderr)


@pytest.mark.anyio
async def test_the_mcp_server_on_a_team_database(tmp_path: Path, postgres: PostgresServer) -> None:
    """Two MCP servers, one per member, on one team database: a private memory stored through one
    server's memory_store is found by its owner's memory_search and not by the other's."""
    database = postgres.new_database()
    admin = postgres.url(database)
    setup_team(admin, FAKE_DIM)
    clients = {}
    for name in ("alice", "bob"):
        add_member(admin, name, f"{name}-pw")
        settings = make_settings(tmp_path / name, database_url=postgres.url(database, name, f"{name}-pw"))
        clients[name] = build_server(settings, loader=fake_loader())
    async with Client(clients["alice"], mode="legacy") as alice, Client(clients["bob"], mode="legacy") as bob:
        await wait_for_model(alice)
        await wait_for_model(bob)
        stored = await alice.call_tool(
            "memory_store", {"content": "the launch codename is BLUEFIN", "visibility": "private"}
        )
        assert not stored.is_error, stored.content
        shared = await alice.call_tool("memory_store", {"content": "the launch is planned for march"})
        assert not shared.is_error
        query = {"query": "launch codename march", "min_relevance": 0}
        theirs = (await bob.call_tool("memory_search", query)).structured_content
        mine = (await alice.call_tool("memory_search", query)).structured_content
        assert theirs is not None
        assert mine is not None
        assert [r["content"] for r in theirs["results"]] == ["the launch is planned for march"]
        assert "the launch codename is BLUEFIN" in [r["content"] for r in mine["results"]]
        # Each result says who may read it and who stored it.
        shown = {r["content"]: (r.get("visibility"), r.get("created_by")) for r in mine["results"]}
        assert shown["the launch codename is BLUEFIN"] == ("private", "alice")
        assert shown["the launch is planned for march"] == ("team", "alice")
        assert theirs["results"][0]["created_by"] == "alice"


def test_team_setup_and_add_on_the_command_line(tmp_path: Path, postgres: PostgresServer) -> None:
    """`team setup` then `team add` as the administrator: the new member's password is printed once
    with their URL and .pgpass line; adding them again keeps the password and says so; the admin's
    password is never printed."""
    admin = postgres.url(postgres.new_database(), "postgres", "admin-secret")
    name = f"member_{os.urandom(4).hex()}"  # roles are the whole server's: a name no test used
    setup = _cli(tmp_path, admin, "team", "setup")
    assert setup.returncode == 0, setup.stderr
    assert "applied schema steps 1" in setup.stdout
    added = _cli(tmp_path, admin, "team", "add", name)
    assert added.returncode == 0, added.stderr
    assert f"Added member {name} with password " in added.stdout
    assert f"Their URL: postgresql://{name}@" in added.stdout
    assert f":{name}:" in added.stdout.split("~/.pgpass line (chmod 600): ", 1)[1]
    again = _cli(tmp_path, admin, "team", "add", name)
    assert f"Updated member {name} (password unchanged)" in again.stdout
    assert "with password" not in again.stdout
    assert "admin-secret" not in setup.stdout + added.stdout + again.stdout
