"""Secret redaction: content, tags and metadata values are scanned on every write (tools, CLI,
importers, hooks), and each secret found is replaced by a marker naming its kind, e.g.
`[REDACTED:github-token]`. Text inside `<private>...</private>` is never stored: it becomes
`[PRIVATE]`. On by default; MCP_MEMORY_REDACT_SECRETS=false turns the secret scan off (private blocks
are always dropped).

Covered (after the rule sets of gitleaks, detect-secrets and trufflehog): private key blocks; AWS
access key ids and secret keys; GitHub, GitLab, OpenAI, Anthropic, Slack, Stripe, Google, npm, PyPI,
SendGrid, Twilio, Hugging Face, DigitalOcean, Shopify and Atlassian tokens; JWTs; passwords in URLs
and connection strings; `Authorization: Bearer|Basic` headers; `.npmrc` `_authToken`; Azure account
keys and SAS signatures; service-account JSON `private_key`/`private_key_id`; generic
`*_PASSWORD= / *_TOKEN= / *_SECRET= / *_API_KEY=` assignments (shell, `.env`, YAML, JSON, flags); and a
random-looking string right after a secret word in prose ("the secret key is ..."). Look-alikes are
left alone: placeholders, environment and template references (`$API_KEY`, `${{ secrets.X }}`,
`os.environ["PW"]`), hashes (hex), UUIDs, short ids, publishable keys, words.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable

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


def _mixed(value: str) -> bool:
    """Looks generated: letters and digits together (real keys), unlike words joined by dashes."""
    return bool(re.search(r"\d", value)) and bool(re.search(r"[A-Za-z]", value))


_PLACEHOLDER = re.compile(
    r"^(?:none|null|nil|true|false|undefined|empty|redacted|required|optional|string|str|int|bool|\*+|x+|\.+|"
    r"<[^>]*>|\{\{.*\}\}|\{[A-Za-z_]+\}|\$\{.*\}|\$[A-Za-z_][A-Za-z0-9_]*|%\(?[A-Za-z_]+\)?s?%?|"
    r"your[_-]?.*|my[_-].*|example.*|placeholder.*|dummy.*|fake.*|sample.*|test|testing|changeme|change[_-]?me|"
    r"secret|password|token|\[REDACTED:[a-z0-9-]+\]|\[PRIVATE\])$",
    re.IGNORECASE,
)
_CODE_REFERENCE = re.compile(
    r"^(?:os\.|process\.env|import\.meta|env\.|settings\.|config\.|self\.|this\.|secrets\.|vars\.|getenv|"
    r"\w+\[|[A-Za-z_][\w.]*\(|[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$)"
)
#: Keys that are public by design (Stripe publishable keys, SSH public keys).
_PUBLIC = re.compile(r"^(?:pk_(?:live|test)_|ssh-(?:rsa|ed25519|dss)|ecdsa-sha2-)")
_HEX = re.compile(r"^(?:0x)?[0-9a-fA-F]+$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    counts: dict[str, int] = {}
    for ch in value:
        counts[ch] = counts.get(ch, 0) + 1
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def _random_looking(value: str) -> bool:
    """A generated secret rather than a word, a hash, a UUID or a path: long, with digits and letters
    (or symbols) mixed, high entropy."""
    if (
        len(value) < 16
        or _PUBLIC.match(value)
        or _HEX.match(value)
        or _UUID.match(value)
        or ("/" in value.strip("/") and "." in value)
    ):
        return False
    classes = sum(bool(re.search(p, value)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]"))
    return classes >= 3 and _entropy(value) >= 3.5


def _password_like(value: str) -> bool:
    """A value given as a password in prose: not a word or placeholder; letters with digits or
    symbols."""
    if _PLACEHOLDER.match(value) or _CODE_REFERENCE.match(value) or len(value) < 8:
        return False
    classes = sum(bool(re.search(p, value)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]"))
    return classes >= 3 or (classes == 2 and not value.isalpha() and _entropy(value) >= 3.0)


def _assigned_secret(value: str) -> bool:
    """A value given to a name like PASSWORD or API_TOKEN: anything but a placeholder or a reference."""
    return not _PLACEHOLDER.match(value) and not _CODE_REFERENCE.match(value)


#: (kind, pattern, group to replace (0 = whole match), extra check on the replaced text)
_Rule = tuple[str, re.Pattern[str], int, Callable[[str], bool] | None]


@functools.cache
def _rules() -> list[_Rule]:
    """The rules, compiled on first use: about 40 ms of regular expressions that a text with no
    needle (`_may_hold_secrets`) never needs, and a hook process would pay on every call."""
    return [*_token_rules(), *_assignment_rules()]


def _token_rules() -> list[_Rule]:
    """Keys and tokens known by their own shape: a provider's prefix, a PEM block, a URL's password."""
    return [
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
            re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]*:([^\s@/]+)@"),
            1,
            lambda v: not _PLACEHOLDER.match(v),
        ),
        ("gitlab-token", re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}"), 0, None),
        ("npm-token", re.compile(r"\bnpm_[A-Za-z0-9]{36}\b"), 0, None),
        ("pypi-token", re.compile(r"\bpypi-AgE[A-Za-z0-9_-]{50,}"), 0, None),
        ("sendgrid-key", re.compile(r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b"), 0, None),
        ("twilio-key", re.compile(r"\bSK[0-9a-fA-F]{32}\b"), 0, None),
        ("huggingface-token", re.compile(r"\bhf_[A-Za-z0-9]{34,}\b"), 0, None),
        ("digitalocean-token", re.compile(r"\bdo[por]_v1_[a-f0-9]{64}\b"), 0, None),
        ("shopify-token", re.compile(r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b"), 0, None),
        ("atlassian-token", re.compile(r"\bATATT3[A-Za-z0-9_=-]{60,}"), 0, None),
    ]


def _assignment_rules() -> list[_Rule]:
    """Secrets known by what stands before them: an Authorization header, a SAS signature, a name
    like PASSWORD or API_KEY, a password flag, or a password word in prose."""
    return [
        (
            "authorization",
            re.compile(
                r"(?i)\b(?:authorization:?\s*|-H\s*[\"']?authorization:\s*)?(?:bearer|basic|token)\s+([A-Za-z0-9._~+/=%-]{16,})"
            ),
            1,
            lambda v: (
                not _PLACEHOLDER.match(v) and (_random_looking(v) or (len(v) >= 24 and not v.isalpha()))
            ),
        ),
        (
            "azure-sas",
            re.compile(r"[?&]sig=([A-Za-z0-9%/+=]{20,})"),
            1,
            None,
        ),
        (
            "password",
            re.compile(
                # NAME_PASSWORD= / NAME_TOKEN: / "client_secret": / --api-key=, in shell, .env, YAML, JSON, INI
                # and connection strings; the name ends in the secret word (PASSWORD_MIN_LENGTH does not).
                r"(?i)(?<![A-Za-z0-9])(?:--?)?[A-Za-z0-9_.-]*?(?:password|passwd|passphrase|pwd|pass|secret|token|"
                r"api[_-]?key|apikey|access[_-]?key|secret[_-]?key|private[_-]?key(?:[_-]?id)?|auth|authtoken|"
                r"credentials?|account[_-]?key|shared[_-]?access[_-]?key|sas)[\"']?\s*(?:=>|[:=])\s*([\"']?)"
                r"([^\s\"'`,;]{6,})\1"
            ),
            2,
            _assigned_secret,
        ),
        (
            "generic-key",
            # NAME_KEY=value where the value looks generated (cache_key=user_profile stays).
            re.compile(
                r"(?i)(?<![A-Za-z0-9])[A-Za-z0-9_.-]*key[\"']?\s*(?:=>|[:=])\s*([\"']?)([^\s\"'`,;&]{16,})\1"
            ),
            2,
            lambda v: _assigned_secret(v) and _random_looking(v),
        ),
        (
            "password",
            # --password VALUE, --api-token VALUE (a flag and its value apart)
            re.compile(
                r"(?i)(?<![\w-])--?[a-z0-9-]*(?:password|passwd|token|secret|api-?key|apikey)\s+([^\s\"'`-][^\s\"'`]{5,})"
            ),
            1,
            _assigned_secret,
        ),
        (
            "password",
            # "the sudo password is P@ssw0rd123", "db passphrase: x9!..." (a password word, then the value)
            re.compile(
                r"(?i)(?<![\w:-])(?:password|passwd|passphrase|pwd)\b(?:[^\n]{0,30}?(?:\b(?:is|was|as|to)\b|[=:]))?\s*[\"'`]?"
                r"([^\s\"'`]{8,})"
            ),
            1,
            lambda v: _password_like(v.rstrip(".,;:!?)")),
        ),
        (
            "secret-in-prose",
            # "the secret key is <random>", "password: <random>", "credentials are admin / <random>",
            # "use passphrase <random>"
            re.compile(
                r"(?i)(?<![\w:-])(?:secret|password|passwd|passphrase|token|api\s+key|access\s+key|private\s+key|credentials?|"
                r"key)\b(?:[^\n]{0,40}?(?:\b(?:is|are|was|as|to|of)\b|[=:/]))?\s*[\"'`]?([^\s\"'`]{12,})"
            ),
            1,
            lambda v: _random_looking(v.rstrip(".,;:!?)")),
        ),
    ]


#: Something every rule above needs to find: a secret word, a provider's prefix, a URL with a user.
#: Most memories hold none, and a substring test for these spares them the thirty rules.
_NEEDLES = (
    "pass", "pwd", "secret", "token", "key", "cred", "auth", "bearer", "basic", "sig=", "://", "private",
    "sas", "sk-", "sk_", "rk_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat", "akia", "asia", "agpa",
    "aida", "aroa", "anpa", "anva", "aipa", "xox", "aiza", "eyj", "glpat", "npm_", "pypi-", "sg.", "hf_",
    "_v1_", "shpat_", "shpca_", "shppa_", "shpss_", "atatt",
)  # fmt: skip
_TWILIO_QUICK = re.compile(r"SK[0-9a-fA-F]{32}")


def _may_hold_secrets(text: str) -> bool:
    lowered = text.lower()
    return any(needle in lowered for needle in _NEEDLES) or _TWILIO_QUICK.search(text) is not None


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
    if not secrets or not _may_hold_secrets(text):
        return Redaction(text, count, tuple(kinds))
    for kind, pattern, group, check in _rules():
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
