"""Secret redaction: content, tags and metadata values are scanned on every write (tools, CLI,
importers, hooks), and each secret found is replaced by a marker naming its kind, e.g.
`[REDACTED:github-token]`. Text inside `<private>...</private>` is never stored: it becomes
`[PRIVATE]`. On by default; MCP_MEMORY_REDACT_SECRETS=false turns the secret scan off (private blocks
are always dropped).

Covered (after the rule sets of gitleaks, detect-secrets and trufflehog; the rules are in
`secret_rules`, the checks on their values in `secret_checks`): private key blocks; AWS access key
ids and secret keys, also written after the id; provider tokens (GitHub, GitLab, OpenAI, Anthropic,
Slack, Stripe, Google, npm, PyPI, SendGrid, Twilio, Hugging Face, DigitalOcean, Shopify, Atlassian);
JWTs; passwords in URLs, connection strings, JDBC/ODBC/query parameters and libpq key=value;
`Authorization` headers; Azure keys and SAS signatures; service-account JSON keys; `*_PASSWORD= /
*_TOKEN= / *_SECRET= / *_API_KEY=` assignments; the password flags of the tools that take one
(`mysql -p`, `sshpass -p`, `docker login -p`, `redis-cli -a`, `curl -u user:pass`, ...); and a
password or token stated in prose. Look-alikes are left alone: placeholders and references
(`<password>`, `$API_KEY`, `${{ secrets.X }}`, `os.environ["PW"]`, `changeme`), ports and prompts,
hashes, UUIDs, ids, dates, paths, URLs without a password, publishable keys, words.
"""

from __future__ import annotations

import bisect
import re

from mcp_memory.services.memories.secret_rules import compiled_rules, may_hold_secrets

__all__ = ["PRIVATE_MARKER", "Redaction", "drop_private", "redact", "redact_value"]


class Redaction:
    """A text after redaction, how many things were replaced and of which kinds. (A plain class: the
    hooks import this module, and `dataclasses` would cost each hook process 20-30 ms.)"""

    __slots__ = ("count", "kinds", "text")

    def __init__(self, text: str, count: int, kinds: tuple[str, ...]) -> None:
        self.text = text
        self.count = count
        self.kinds = kinds

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Redaction) and (self.text, self.count, self.kinds) == (
            other.text,
            other.count,
            other.kinds,
        )

    def __hash__(self) -> int:
        return hash((self.text, self.count, self.kinds))

    def __repr__(self) -> str:
        return f"Redaction(text={self.text!r}, count={self.count}, kinds={self.kinds})"


def _marker(kind: str) -> str:
    return f"[REDACTED:{kind}]"


_MARKERS = re.compile(r"\[REDACTED:[a-z0-9-]+\]|\[PRIVATE\]")


class _Markers:
    """Where the markers already in a text lie, so that no rule takes part of one for a value (the
    tail of `[REDACTED:secret-in-prose]` reads like a password)."""

    __slots__ = ("ends", "starts")

    def __init__(self, text: str) -> None:
        spans = [m.span() for m in _MARKERS.finditer(text)] if "[" in text else []
        self.starts = [s for s, _ in spans]
        self.ends = [e for _, e in spans]

    def overlap(self, start: int, end: int) -> bool:
        # Markers do not overlap one another: only the last one starting before `end` can reach `start`.
        i = bisect.bisect_left(self.starts, end) - 1
        return i >= 0 and self.ends[i] > start


_PRIVATE = re.compile(r"<private>[\s\S]*?(?:</private>|$)", re.IGNORECASE)
PRIVATE_MARKER = "[PRIVATE]"


def drop_private(text: str) -> Redaction:
    """`text` with every `<private>...</private>` block (an unclosed one runs to the end) replaced by
    `[PRIVATE]`."""
    found = len(_PRIVATE.findall(text))
    if not found:
        return Redaction(text, 0, ())
    return Redaction(_PRIVATE.sub(PRIVATE_MARKER, text), found, ("private",))


def redact(text: str, *, secrets: bool = True) -> Redaction:
    """`text` without its private blocks and (unless `secrets` is False) with every secret replaced by
    a marker; how many were replaced and which kinds."""
    private = drop_private(text)
    text = private.text
    count = private.count
    kinds: list[str] = list(private.kinds)
    if not secrets or not may_hold_secrets(text):
        return Redaction(text, count, tuple(kinds))
    markers = _Markers(text)
    for kind, pattern, group, check in compiled_rules():
        pieces: list[str] = []
        last = 0
        for match in pattern.finditer(text):
            start, end = match.span(group)
            if start < 0 or markers.overlap(start, end):
                continue
            value = text[start:end]
            if check is not None and not check(value):
                continue
            pieces += [text[last:start], _marker(kind)]
            last = end
            count += 1
            if kind not in kinds:
                kinds.append(kind)
        if pieces:
            text = "".join(pieces) + text[last:]
            markers = _Markers(text)
    return Redaction(text, count, tuple(kinds))


def redact_value(value: object, *, secrets: bool = True) -> tuple[object, int]:
    """A JSON value (metadata) with every string in it redacted, keys kept; and how many were replaced."""
    if isinstance(value, str):
        result = redact(value, secrets=secrets)
        return result.text, result.count
    if isinstance(value, list):
        parts = [redact_value(v, secrets=secrets) for v in value]
        return [v for v, _ in parts], sum(n for _, n in parts)
    if isinstance(value, dict):
        items = {k: redact_value(v, secrets=secrets) for k, v in value.items()}
        return {k: v for k, (v, _) in items.items()}, sum(n for _, n in items.values())
    return value, 0
