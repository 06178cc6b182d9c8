"""What the server's lifespan yields to the tools, and what resources and prompts read."""

from __future__ import annotations

from pathlib import Path

from mcp_memory.errors import DatabaseError
from mcp_memory.services.app import App

__all__ = ["ServerState"]


class ServerState:
    """The App once the lifespan has opened it, plus what the server learned from the client."""

    def __init__(self, app: App | None = None) -> None:
        self._app = app
        self.roots_checked = False
        #: The folders the client sent as its MCP roots (file:// only); empty when it sent none.
        self.roots: list[Path] = []

    @property
    def app(self) -> App:
        if self._app is None:
            raise DatabaseError("the server is still starting; try again in a moment.")
        return self._app

    def attach(self, app: App | None) -> None:
        self._app = app
