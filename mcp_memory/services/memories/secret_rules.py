"""The secret rules that `redaction` applies: what a credential looks like where an agent meets one,
and the checks that tell it from a placeholder, a reference, a hash, an id or a word. Each rule is
(kind, pattern, group to replace, check on the replaced text); they run in order, and a later rule
skips text an earlier one already replaced.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable

__all__ = ["compiled_rules", "may_hold_secrets"]


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


@functools.cache
def compiled_rules() -> list[tuple[str, re.Pattern[str], int, Callable[[str], bool] | None]]:
    """The rules, compiled on first use: about 40 ms of regular expressions that a text with no
    needle (`may_hold_secrets`) never needs, and a hook process would pay on every call.
    (kind, pattern, group to replace (0 = whole match), extra check on the replaced text)"""
    return [
        (
            "private-key",
            re.compile(
                r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?:(?!-----BEGIN )[\s\S])*?"
                r"-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
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
        (
            "jwt",
            re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
            0,
            None,
        ),
        (
            "url-password",
            re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]{0,31}://[^\s:/@]*:([^\s@/]+)@"),
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
                r"(?i)(?<![A-Za-z0-9_.-])(?:--?)?[A-Za-z0-9_.-]{0,64}?(?:password|passwd|passphrase|pwd|pass|secret|token|"
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
                r"(?i)(?<![A-Za-z0-9_.-])[A-Za-z0-9_.-]{0,64}?key[\"']?\s*(?:=>|[:=])\s*([\"']?)([^\s\"'`,;&]{16,})\1"
            ),
            2,
            lambda v: _assigned_secret(v) and _random_looking(v),
        ),
        (
            "password",
            # --password VALUE, --api-token VALUE (a flag and its value apart)
            re.compile(
                r"(?i)(?<![\w-])--?[a-z0-9-]{0,64}?(?:password|passwd|token|secret|api-?key|apikey)\s+([^\s\"'`-][^\s\"'`]{5,})"
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


def may_hold_secrets(text: str) -> bool:
    lowered = text.lower()
    return any(needle in lowered for needle in _NEEDLES) or _TWILIO_QUICK.search(text) is not None
