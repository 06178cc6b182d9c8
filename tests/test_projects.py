"""Which project a memory belongs to by default, and what a project argument covers."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcp_memory.errors import InvalidInput
from mcp_memory.projects import project_from_path, project_from_root_uri, scope_for, stored_project
from mcp_memory.services.app import App


def test_project_is_the_git_repository_name(tmp_path: Path) -> None:
    """Inside a git repository, the project is the repository folder's name, from any subfolder."""
    repo = tmp_path / "billing-api"
    (repo / ".git").mkdir(parents=True)
    (repo / "src" / "deep").mkdir(parents=True)
    assert project_from_path(repo / "src" / "deep") == "billing-api"
    assert project_from_root_uri((repo / "src").as_uri()) == "billing-api"


def test_outside_a_repository_the_folder_name_is_used(tmp_path: Path) -> None:
    """Without git, the working folder's own name is the project."""
    folder = tmp_path / "notes"
    folder.mkdir()
    assert project_from_path(folder) == "notes"


def test_home_and_root_mean_global() -> None:
    """A server started in the home folder or at / (desktop clients) stores global memories."""
    assert project_from_path(Path("/")) == ""
    assert project_from_path(Path.home()) == "" or (Path.home() / ".git").exists()


def test_non_file_roots_are_ignored() -> None:
    """Only file:// roots name a project."""
    assert project_from_root_uri("https://example.com/repo") is None


def test_stored_and_searched_scopes() -> None:
    """Storing takes one project or global; reading covers project plus global, global, or all."""
    assert stored_project(None, "app") == "app"
    assert stored_project("global", "app") == ""
    assert stored_project("other", "app") == "other"
    with pytest.raises(InvalidInput, match="only works in searches"):
        stored_project("*", "app")
    assert scope_for(None, "app").projects == ("app", "")
    assert scope_for(None, "").projects == ("",)
    assert scope_for("other", "app").projects == ("other", "")
    assert scope_for("global", "app").projects == ("",)
    assert scope_for("*", "app").projects is None


@pytest.mark.anyio
async def test_an_empty_answer_says_where_the_memories_are(app: App) -> None:
    """A search or listing scoped to the current project that finds nothing names the projects that
    hold matches and how to reach them; with project='*' they are found."""
    from mcp_memory.services.memories.scope_hints import listing_hint
    from mcp_memory.services.memories.store import recent_memories, store_memory
    from mcp_memory.services.search.hybrid import search_memories

    for text in ("deploys use blue green switching", "the deploy bot posts to #ops", "billing runs nightly"):
        await store_memory(app, text, project="webapp")
    await store_memory(app, "deploy notes for the api", project="api")
    found = await search_memories(app, "deploy", mode="keyword")
    assert found.hits == ()
    assert found.notice is not None
    assert "no matches in 'proj'" in str(found.notice)
    assert "2 in project webapp, 1 in project api" in str(found.notice)
    assert "project='*'" in str(found.notice)
    everywhere = await search_memories(app, "deploy", mode="keyword", project="*")
    assert {"deploys use blue green switching", "deploy notes for the api"} <= {
        h.memory.content for h in everywhere.hits
    }
    assert await recent_memories(app) == []
    hint = await listing_hint(app)
    assert hint is not None
    assert "3 in project webapp, 1 in project api" in str(hint)
    assert await listing_hint(app, project="*") is None
