"""The checks a secret rule runs on the value it found, telling a credential from its look-alikes:
placeholders, environment and template references, code, paths, URLs, dates, hashes, UUIDs, ids made
of words and numbers, technical terms, and (in prose only) the famous example passwords.
"""

from __future__ import annotations

import math
import re

__all__ = [
    "assigned_secret",
    "aws_secret",
    "header_credential",
    "mixed",
    "password_like",
    "placeholder",
    "random_looking",
    "spaced_secret",
    "token_like",
]

_PLACEHOLDER = re.compile(
    r"^(?:none|null|nil|true|false|undefined|empty|redacted|required|optional|string|str|int|bool|\*+|x+|\.+|"
    r"<[^>]*>|\{\{.*\}\}|\{[A-Za-z_]+\}|\$\{.*\}|\$\(.*\)|\$[A-Za-z_][A-Za-z0-9_]*|%\(?[A-Za-z_]+\)?s?%?|"
    r"your[_-]?.*|my[_-].*|example.*|placeholder.*|dummy.*|fake.*|sample.*|test|testing|changeme|change[_-]?me|"
    r"changeit|secret|password|token|\[REDACTED:[a-z0-9-]+\]|\[PRIVATE\])$",
    re.IGNORECASE,
)
_CODE_REFERENCE = re.compile(
    r"^(?:os\.|process\.env|import\.meta|env\.|settings\.|config\.|self\.|this\.|secrets\.|vars\.|getenv|"
    r"\w+\[|[A-Za-z_][\w.]*\(|[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$)"
)
#: Passwords every breach list starts with: in a sentence they are the example, not a credential.
_EXAMPLE_PASSWORD = re.compile(
    r"^(?:hunter2|password1|password123|passw0rd|p@ssw0rd|letmein1?|qwerty123|abc123|admin123|test123|"
    r"welcome1|iloveyou1?)$",
    re.IGNORECASE,
)
#: Keys that are public by design (Stripe publishable keys, SSH public keys).
_PUBLIC = re.compile(r"^(?:pk_(?:live|test)_|ssh-(?:rsa|ed25519|dss)|ecdsa-sha2-)")
_HEX = re.compile(r"^(?:0x)?[0-9a-fA-F]+$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_HASH_REFERENCE = re.compile(r"^(?:sha\d*|md5|blake2[bs]?)[:-][0-9a-f]+$", re.IGNORECASE)
_PATH = re.compile(r"^(?:~|\.{1,2})?/|^[A-Za-z]:\\")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]{0,31}://")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
#: Words with digits that describe a password rather than being one ("base64-encoded", "SHA-256").
_TECH_TERM = re.compile(
    r"^(?:base(?:16|32|58|64)|sha-?(?:1|2|3|224|256|384|512)|md[45]|utf-?(?:8|16|32)|x\.?509|pbkdf2|"
    r"argon2(?:id|i|d)?|aes-?(?:128|192|256)|rsa-?(?:1024|2048|3072|4096)|ed25519|oauth-?2|http-?[123]|"
    r"ipv[46]|2fa)$",
    re.IGNORECASE,
)
#: Authorization schemes: the word after `Authorization:` when no credential follows it.
_SCHEMES = frozenset({"bearer", "basic", "token", "bot", "digest", "apikey", "sso-key", "negotiate"})
_CLASSES = (re.compile(r"[a-z]"), re.compile(r"[A-Z]"), re.compile(r"\d"), re.compile(r"[^A-Za-z0-9]"))


def mixed(value: str) -> bool:
    """Looks generated: letters and digits together (real keys), unlike words joined by dashes."""
    return bool(re.search(r"\d", value)) and bool(re.search(r"[A-Za-z]", value))


def _entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    counts: dict[str, int] = {}
    for ch in value:
        counts[ch] = counts.get(ch, 0) + 1
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def placeholder(value: str) -> bool:
    """A stand-in for the value: `<password>`, `${DB_PASSWORD}`, `$TOKEN`, `****`, `changeme`, `null`."""
    return _PLACEHOLDER.match(value) is not None


def _reference(value: str) -> bool:
    """A placeholder, a variable or a piece of code standing for the value, not the value."""
    return bool(_PLACEHOLDER.match(value) or _CODE_REFERENCE.match(value))


def _word_compound(value: str) -> bool:
    """Words, technical terms and small numbers joined by `-_.` ("case-sensitive", "base64-encoded")."""
    parts = [p for p in re.split(r"[-_.]", value) if p]
    return all(p.isalpha() or _TECH_TERM.match(p) or (p.isdigit() and len(p) <= 2) for p in parts)


def _structured_id(value: str) -> bool:
    """Lower-case words and numbers joined by separators (`user:123:profile`, `build-2024-11`)."""
    parts = [p for p in re.split(r"[-_:./]", value) if p]
    return all((p.isalpha() and p.islower()) or p.isdigit() for p in parts)


def _not_a_token(value: str) -> bool:
    """A path, a URL, a date, a hash, a UUID or a public key: never a secret however it looks."""
    return bool(
        _PATH.match(value)
        or _URL.match(value)
        or _DATE.match(value)
        or _HEX.match(value)
        or _UUID.match(value)
        or _HASH_REFERENCE.match(value)
        or _PUBLIC.match(value)
    )


def random_looking(value: str) -> bool:
    """A generated secret rather than a word, a hash, a UUID, an id or a path: long, with digits and
    letters (or symbols) mixed, high entropy."""
    if (
        len(value) < 16
        or _PUBLIC.match(value)
        or _HEX.match(value)
        or _UUID.match(value)
        or _HASH_REFERENCE.match(value)
        or ("/" in value.strip("/") and "." in value)
        or _structured_id(value)
    ):
        return False
    classes = sum(bool(p.search(value)) for p in _CLASSES)
    return classes >= 3 and _entropy(value) >= 3.5


def password_like(value: str) -> bool:
    """A value given as a password in prose ("the db password is ..."): six characters or more,
    letters with digits or symbols, and not a reference, a path, a date, a technical term, a compound
    of words, or one of the famous example passwords."""
    if len(value) < 6 or _reference(value) or _EXAMPLE_PASSWORD.match(value):
        return False
    if _PATH.match(value) or _URL.match(value) or _DATE.match(value):
        return False
    if value.isalpha() or not re.search(r"[A-Za-z]", value):
        return False
    return not _TECH_TERM.match(value) and not _word_compound(value)


def token_like(value: str) -> bool:
    """A value given as a token or key in prose ("the API key for stripe is ..."): ten characters or
    more with letters and digits mixed, and not an id made of words, a hash, a path or a reference."""
    if len(value) < 10 or _reference(value) or _not_a_token(value):
        return False
    return mixed(value) and not _word_compound(value) and not _structured_id(value)


def assigned_secret(value: str) -> bool:
    """A value given to a name like PASSWORD or API_TOKEN: anything but a placeholder, a reference or a
    URL (a URL's own password has its rule)."""
    return not _reference(value) and not _URL.match(value)


def spaced_secret(value: str) -> bool:
    """A quoted value with spaces given to a password name (`password='S3cret Pw'`): digits or symbols
    in it, and no secret word (which makes it a prompt, "Enter your password")."""
    return (
        assigned_secret(value)
        and " " in value.strip()
        and len(value) >= 8
        and re.search(r"\d|[^\w\s]", value) is not None
        and re.search(r"pass|secret|token|key", value, re.IGNORECASE) is None
    )


def header_credential(value: str) -> bool:
    """The credential in an `Authorization:` header: not a scheme word, a reference or a plain word."""
    return (
        not placeholder(value) and value.lower() not in _SCHEMES and (not value.isalpha() or len(value) >= 20)
    )


def aws_secret(value: str) -> bool:
    """Forty base64 characters after an AWS access key id: mixed case, not a hex hash."""
    return (
        not _HEX.match(value)
        and re.search(r"[a-z]", value) is not None
        and re.search(r"[A-Z]", value) is not None
    )
