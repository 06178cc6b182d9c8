"""Team memory on a shared Postgres: setting the database up and adding members, run by an
administrator from the command line (`mcp-memory team setup`, `mcp-memory team add`)."""

from __future__ import annotations

from mcp_memory.config import DEFAULT_MODEL, Settings
from mcp_memory.embeddings.model import DEFAULT_MODEL_SHA256, model_dimension
from mcp_memory.errors import InvalidInput
from mcp_memory.storage.postgres.team import Member, SetupReport, add_member, setup_team

__all__ = ["Member", "SetupReport", "add_team_member", "set_up_team"]


def _admin_url(url: str | None) -> str:
    if not url or not url.startswith(("postgresql://", "postgres://")):
        raise InvalidInput(
            "pass the administrator's connection URL, e.g. --database-url "
            "postgresql://admin@db.example.com/memory (a role that may create extensions and roles)."
        )
    return url


def set_up_team(settings: Settings, admin_url: str | None) -> SetupReport:
    """Create or update the schema at `admin_url` for the vectors of the configured model, recorded as
    the team's model (every member's server must use it)."""
    name = settings.embedding_model
    checksum = DEFAULT_MODEL_SHA256 if name == DEFAULT_MODEL else ""
    return setup_team(_admin_url(admin_url), model_dimension(name), (name, checksum))


def add_team_member(admin_url: str | None, name: str, password: str | None) -> Member:
    """A member role `name` (password generated when none is given)."""
    return add_member(_admin_url(admin_url), name, password)
