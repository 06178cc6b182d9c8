"""Secret redaction: content is scanned on store and update, and each secret found is replaced by a
marker naming its kind, e.g. `[REDACTED:github-token]`. On by default; MCP_MEMORY_REDACT_SECRETS=false
turns it off.

Covered: private key blocks; AWS access key ids and secret keys; GitHub, OpenAI, Anthropic, Slack,
Stripe and Google API keys; JWTs; passwords in URLs; and generic `password=` / `api_key:` style
assignments. Look-alikes are left alone: placeholders, environment lookups and code references
(`password = os.environ["PW"]`), short ids, publishable keys.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Redaction", "redact"]


@dataclass(frozen=True, slots=True)
class Redaction:
    text: str
    count: int
    kinds: tuple[str, ...]


def _marker(kind: str) -> str:
    return f"[REDACTED:{kind}]"


def _mixed(value: str) -> bool:
    """Looks generated: letters and digits together (real keys), unlike words joined by dashes."""
    return bool(re.search(r"\d", value)) and bool(re.search(r"[A-Za-z]", value))


_PLACEHOLDER = re.compile(
    r"^(?:none|null|nil|true|false|undefined|empty|redacted|\*+|x+|\.+|<[^>]*>|\{\{.*\}\}|\$\{.*\}|\$[A-Z_]+|"
    r"your[_-].*|my[_-].*|example.*|placeholder.*|changeme|secret|password|\[REDACTED:[a-z-]+\])$",
    re.IGNORECASE,
)
_CODE_REFERENCE = re.compile(r"^(?:os\.|process\.env|env\.|settings\.|config\.|self\.|getenv|\w+\(|\w+\[)")

# (kind, pattern, group to replace (0 = whole match), extra check on the replaced text)
_RULES: list[tuple[str, re.Pattern[str], int, Callable[[str], bool] | None]] = [
    (
        "private-key",
        re.compile(
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
        ),
        0,
        None,
    ),
    ("anthropic-key", re.compile(r"\bsk-ant-(?:api|admin|oat)\d{2}-[A-Za-z0-9_-]{40,}"), 0, None),
    ("openai-key", re.compile(r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,}"), 0, _mixed),
    (
        "github-token",
        re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b"),
        0,
        None,
    ),
    (
        "aws-access-key-id",
        re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\b"),
        0,
        None,
    ),
    (
        "aws-secret-key",
        re.compile(
            r"(?i)\baws_?secret_?(?:access_?)?key\b[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])"
        ),
        1,
        None,
    ),
    ("slack-token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), 0, _mixed),
    (
        "slack-webhook",
        re.compile(r"https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]+"),
        0,
        None,
    ),
    ("stripe-key", re.compile(r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{24,}\b"), 0, None),
    ("google-api-key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])"), 0, None),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), 0, None),
    (
        "url-password",
        re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]+:([^\s@/]+)@"),
        1,
        lambda v: not _PLACEHOLDER.match(v),
    ),
    (
        "password",
        re.compile(
            r"(?i)\b(?:[a-z0-9]+[_-])*(?:password|passwd|pwd|passphrase|secret|secret[_-]?key|api[_-]?key|apikey|access[_-]?token|"
            r"auth[_-]?token|client[_-]?secret|private[_-]?key)\b[\"']?\s*[:=]\s*([\"']?)([^\s\"'`,;]{6,})\1"
        ),
        2,
        lambda v: not _PLACEHOLDER.match(v) and not _CODE_REFERENCE.match(v),
    ),
]


def redact(text: str) -> Redaction:
    """`text` with every secret replaced by a marker, and how many and which kinds were found."""
    count = 0
    kinds: list[str] = []
    for kind, pattern, group, check in _RULES:
        pieces: list[str] = []
        last = 0
        for match in pattern.finditer(text):
            start, end = match.span(group)
            value = text[start:end]
            if start < 0 or "[REDACTED:" in value or (check is not None and not check(value)):
                continue
            pieces += [text[last:start], _marker(kind)]
            last = end
            count += 1
            if kind not in kinds:
                kinds.append(kind)
        if pieces:
            text = "".join(pieces) + text[last:]
    return Redaction(text, count, tuple(kinds))
