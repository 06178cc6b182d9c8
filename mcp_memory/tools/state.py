"""What the server's lifespan yields to the tools."""

from __future__ import annotations

from mcp_memory.app import App

__all__ = ["ServerState"]


class ServerState:
    """The App, plus what the server learned from the client."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.roots_checked = False
