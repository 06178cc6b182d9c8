"""The viewer's security rules, in front of every request (an ASGI middleware):

- It answers only as 127.0.0.1 or localhost on its own port: any other Host header is refused (a
  DNS-rebinding page that points its own name at 127.0.0.1 gets nothing).
- Nothing without the one-time token printed at start: the page itself takes it in its URL
  (`/?token=...`), every API call in the `X-MCP-Memory-Token` header. Never a cookie, which another
  site's form could ride; a plain form or a cross-site `fetch` cannot set that header without a CORS
  preflight, which is never granted (no CORS headers at all).
- A request carrying an Origin other than the viewer's own is refused, whatever it asks.
- Every answer says: no framing, no referrer, no caching, no sniffing, and a content security policy
  that runs only the page's own script (a nonce per page).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

__all__ = ["TOKEN_HEADER", "Guard"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: The header API calls carry the token in.
TOKEN_HEADER = "x-mcp-memory-token"  # noqa: S105 - a header name, not a secret
_SAFE_HEADERS = [
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]


class Guard:
    """Refuses every request that breaks a rule of the module's list; adds the safe headers to the rest."""

    def __init__(self, app: ASGIApp, *, token: str, port: int) -> None:
        self._app = app
        self._token = token.encode()
        self.port = port

    def _hosts(self) -> set[bytes]:
        return {f"127.0.0.1:{self.port}".encode(), f"localhost:{self.port}".encode()}

    def _origins(self) -> set[bytes]:
        return {b"http://" + host for host in self._hosts()}

    def _refusal(self, scope: Scope) -> tuple[int, str] | None:
        headers: dict[bytes, bytes] = {}
        for name, value in scope.get("headers", []):
            headers.setdefault(bytes(name).lower(), bytes(value))
        if headers.get(b"host") not in self._hosts():
            return (
                421,
                f"this viewer answers only at http://127.0.0.1:{self.port}/ (the Host header was another)",
            )
        origin = headers.get(b"origin")
        if origin is not None and origin not in self._origins():
            return 403, "requests from another site's page are refused"
        path = str(scope.get("path", ""))
        if path == "/":
            given = parse_qs(bytes(scope.get("query_string", b"")).decode("latin-1")).get("token", [""])[0]
            if scope.get("method") != "GET" or not hmac.compare_digest(given.encode(), self._token):
                return 403, "open the URL `mcp-memory ui` printed, with its token"
            return None
        if not path.startswith("/api/"):
            return 404, "not found"
        if not hmac.compare_digest(headers.get(TOKEN_HEADER.encode(), b""), self._token):
            return 403, f"API calls need the {TOKEN_HEADER} header with the viewer's token"
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._app(scope, receive, send)
            return
        if scope["type"] != "http":  # no websockets
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            status, reason = refusal
            body = json.dumps({"error": reason}).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [(b"content-type", b"application/json"), *_SAFE_HEADERS],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return

        async def safe_send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_SAFE_HEADERS]
            await send(message)

        await self._app(scope, receive, safe_send)
