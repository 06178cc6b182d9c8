"""The secret rules that `redaction` applies: what a credential looks like where an agent meets one
(provider tokens, key blocks, assignments, command lines and their flags, connection strings,
headers, prose). Each rule is (kind, pattern, group to replace, check on the replaced text, from
`secret_checks`); they run in order, and a later rule skips text an earlier one already replaced.

Every pattern is linear in the text: a scan that can run far starts only where its run begins or
stops after a fixed number of characters, so a long line of near misses costs a pass, not a pass per
character (tests/test_redaction.py holds 100 KB of them).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from mcp_memory.services.memories.secret_checks import (
    assigned_secret,
    aws_secret,
    header_credential,
    mixed,
    password_like,
    placeholder,
    random_looking,
    spaced_secret,
    token_like,
)

__all__ = ["compiled_rules", "may_hold_secrets"]

Rule = tuple[str, re.Pattern[str], int, Callable[[str], bool] | None]

#: A flag's value, bare or quoted: group 1 the quote, group 2 the value (never a next flag).
_FLAG_VALUE = r"([\"']?)([^\s\"'-][^\s\"']*)\1"


def _flag_of(tools: str, flags: str, joiner: str) -> re.Pattern[str]:
    """One of `flags` and its value (group 2), in a command started by one of `tools` on the same line
    and before any pipe, `;` or `&`: `-p 8080` is a port to most tools and a password only to some."""
    return re.compile(rf"\b(?:{tools})\b[^\n|;&]{{0,200}}?\s(?:{flags}){joiner}{_FLAG_VALUE}")


@functools.cache
def compiled_rules() -> list[Rule]:
    """The rules, compiled on first use: about 40 ms of regular expressions that a text with no
    needle (`may_hold_secrets`) never needs, and a hook process would pay on every call.
    (kind, pattern, group to replace (0 = whole match), extra check on the replaced text)"""
    return [*_provider_keys(), *_headers_and_flags(), *_passwords(), *_prose_and_rest()]


def _provider_keys() -> list[Rule]:
    """Keys and tokens with a shape of their own (private keys, cloud and service tokens, JWTs, URLs with a password): part 1 of `compiled_rules`, whose order they keep."""
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
        ("openai-key", re.compile(r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,}"), 0, mixed),
        (
            "github-token",
            re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b"),
            0,
            None,
        ),
        (
            "aws-secret-key",
            # AKIA... wJalr..., "AKIA...,wJalr..." (the credentials CSV), an id line then a key line
            re.compile(
                r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\b(?:[^\n]{0,80}?|[^\n]{0,80}\n[^\n]{0,80}?)"
                r"(?<![A-Za-z0-9/+=])([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])"
            ),
            1,
            aws_secret,
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
                # also `aws configure set aws_secret_access_key VALUE`
                r"(?i)\baws_?secret_?(?:access_?)?key\b[\"']?(?:\s*[:=]\s*|\s+)[\"']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])"
            ),
            1,
            None,
        ),
        ("slack-token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), 0, mixed),
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
            lambda v: not placeholder(v),
        ),
        ("gitlab-token", re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}"), 0, None),
        ("npm-token", re.compile(r"\bnpm_[A-Za-z0-9]{36}\b"), 0, None),
    ]


def _headers_and_flags() -> list[Rule]:
    """More service tokens, authorization headers, SAS signatures, and the first password flags and assignments: part 2 of `compiled_rules`, whose order they keep."""
    return [
        ("pypi-token", re.compile(r"\bpypi-AgE[A-Za-z0-9_-]{50,}"), 0, None),
        ("sendgrid-key", re.compile(r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b"), 0, None),
        ("twilio-key", re.compile(r"\bSK[0-9a-fA-F]{32}\b"), 0, None),
        ("huggingface-token", re.compile(r"\bhf_[A-Za-z0-9]{34,}\b"), 0, None),
        ("digitalocean-token", re.compile(r"\bdo[por]_v1_[a-f0-9]{64}\b"), 0, None),
        ("shopify-token", re.compile(r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b"), 0, None),
        ("atlassian-token", re.compile(r"\bATATT3[A-Za-z0-9_=-]{60,}"), 0, None),
        (
            "authorization",
            # an Authorization header's credential, however short: "Authorization: Bearer abc123def456"
            re.compile(
                r"(?i)\b(?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?"
                r"(?:(?:bearer|basic|token|bot|apikey|sso-key)\s+)?([A-Za-z0-9._~+/=%-]{6,})"
            ),
            1,
            header_credential,
        ),
        (
            "authorization",
            re.compile(
                r"(?i)\b(?:authorization:?\s*|-H\s*[\"']?authorization:\s*)?(?:bearer|basic|token)\s+([A-Za-z0-9._~+/=%-]{16,})"
            ),
            1,
            lambda v: not placeholder(v) and (random_looking(v) or (len(v) >= 24 and not v.isalpha())),
        ),
        (
            "azure-sas",
            re.compile(r"[?&]sig=([A-Za-z0-9%/+=]{20,})"),
            1,
            None,
        ),
        (
            "password",
            # a query or connection-string parameter: ?token=..., &password=... (JDBC), ;pwd=... (ODBC)
            re.compile(
                r"(?i)[?&;][A-Za-z0-9_.-]{0,32}?(?:password|passwd|pwd|pw|pass|secret|token|api[_-]?key|apikey|"
                r"access[_-]?key|auth)=([^&\s#\"'`;]{4,})"
            ),
            1,
            assigned_secret,
        ),
        # Command lines: a password flag of the tools that take one (`-p 8080` stays a port elsewhere).
        ("password", _flag_of(r"(?:mysql|mariadb)[\w-]{0,16}", "-p", ""), 2, assigned_secret),
        ("password", _flag_of("sshpass", "-p", r"\s*"), 2, assigned_secret),
        (
            "password",
            _flag_of(
                r"(?:docker|podman|nerdctl|buildah|skopeo|oras|helm(?:\s+registry)?)\s+login",
                "-p|--password",
                r"(?:=|\s*)",
            ),
            2,
            assigned_secret,
        ),
        ("password", _flag_of("redis-cli", "-a|--pass", r"\s+"), 2, assigned_secret),
        (
            "password",
            _flag_of("mongo(?:sh|dump|restore|import|export|stat|top|files)?", "-p|--password", r"(?:=|\s+)"),
            2,
            assigned_secret,
        ),
    ]


def _passwords() -> list[Rule]:
    """Passwords given as flags, options and assignments, and generic keys: part 3 of `compiled_rules`, whose order they keep."""
    return [
        (
            "password",
            _flag_of("ldap(?:search|add|modify|delete|passwd|whoami|compare|modrdn|exop)", "-w", r"\s*"),
            2,
            assigned_secret,
        ),
        ("password", _flag_of("openssl", "-k", r"\s+"), 2, assigned_secret),
        (
            "password",
            # openssl -passin pass:VALUE; keytool -storepass VALUE (`-storepass:env NAME` names a variable)
            re.compile(
                r"(?<![\w-])(?:-pass(?:in|out)?\s+([\"']?)pass:|-(?:store|key|srcstore|deststore|srckey|destkey|new)pass\s+([\"']?))"
                r"([^\s\"']+)(?:\1|\2)"
            ),
            3,
            assigned_secret,
        ),
        (
            "password",
            # curl -u user:pass, --user 'user:pass', --proxy-user, -U (the user stays)
            re.compile(
                r"\bcurl\b[^\n|;]{0,300}?\s(?:-u|--user|--proxy-user|-U)(?:\s+|=)?([\"']?)[^\s:\"'$]{0,64}:"
                r"([^\s\"']+)\1"
            ),
            2,
            assigned_secret,
        ),
        (
            "password",
            # a quoted value with spaces: password='S3cret Pw' (libpq), "passphrase": "two words 42"
            re.compile(
                r"(?i)(?<![A-Za-z0-9_.-])[A-Za-z0-9_.-]{0,64}?(?:password|passwd|passphrase|pwd|pw|secret|token|"
                r"api[_-]?key)[\"']?\s*(?:=>|[:=])\s*([\"'])([^\"'\n]{1,200})\1"
            ),
            2,
            spaced_secret,
        ),
        (
            "password",
            re.compile(
                # NAME_PASSWORD= / NAME_TOKEN: / "client_secret": / --api-key=, in shell, .env, YAML, JSON, INI
                # and connection strings; the name ends in the secret word (PASSWORD_MIN_LENGTH does not).
                r"(?i)(?<![A-Za-z0-9_.-])(?:--?)?[A-Za-z0-9_.-]{0,64}?(?:password|passwd|passphrase|pwd|pw|pass|secret|token|"
                r"api[_-]?key|apikey|access[_-]?key|secret[_-]?key|private[_-]?key(?:[_-]?id)?|auth|authtoken|"
                r"credentials?|account[_-]?key|shared[_-]?access[_-]?key|sas)[\"']?\s*(?:=>|[:=])\s*([\"']?)"
                r"([^\s\"'`,;]{6,})\1"
            ),
            2,
            assigned_secret,
        ),
        (
            "generic-key",
            # NAME_KEY=value where the value looks generated (cache_key=user_profile stays).
            re.compile(
                r"(?i)(?<![A-Za-z0-9_.-])[A-Za-z0-9_.-]{0,64}?key[\"']?\s*(?:=>|[:=])\s*([\"']?)([^\s\"'`,;&]{16,})\1"
            ),
            2,
            lambda v: assigned_secret(v) and random_looking(v),
        ),
    ]


def _prose_and_rest() -> list[Rule]:
    """Passwords and secrets written in prose, and the remaining command-line forms: part 4 of `compiled_rules`, whose order they keep."""
    return [
        (
            "password",
            # --password VALUE, --api-token VALUE (a flag and its value apart)
            re.compile(
                r"(?i)(?<![\w-])--?[a-z0-9-]{0,64}?(?:password|passwd|token|secret|api-?key|apikey)\s+([^\s\"'`-][^\s\"'`]{5,})"
            ),
            1,
            assigned_secret,
        ),
        (
            "password",
            # "the db password is Xk7pQ2", "db passphrase: x9!...", ".netrc: password S3cret" (a password word,
            # then the value; the sentence's closing punctuation stays)
            re.compile(
                r"(?i)(?<![\w:-])(?:password|passwd|passphrase|pwd|pw)\b(?:[^\n]{0,30}?(?:\b(?:is|was|as|to)\b|[=:]))?\s*[\"'`]?"
                r"([^\s\"'`]{5,}[^\s\"'`.,;:?)])"
            ),
            1,
            lambda v: password_like(v.rstrip(".,;:!?)")),
        ),
        (
            "secret-in-prose",
            # "the API key for stripe is abcd1234efgh", "token = Xk7pQ2mzL9" (shorter than random-looking)
            re.compile(
                r"(?i)(?<![\w:-])(?:token|secret|(?:api|access|secret|license)[\s_-]?key|apikey)\b"
                r"(?:[^\n]{0,40}?(?:\b(?:is|are|was|as|to|of)\b|[=:]))?\s*[\"'`]?([^\s\"'`]{9,}[^\s\"'`.,;:?)])"
            ),
            1,
            lambda v: token_like(v.rstrip(".,;:!?)")),
        ),
        (
            "secret-in-prose",
            # "the secret key is <random>", "password: <random>", "credentials are admin / <random>",
            # "use passphrase <random>"
            re.compile(
                r"(?i)(?<![\w:-])(?:secret|password|passwd|passphrase|token|api\s+key|access\s+key|private\s+key|credentials?|"
                r"key)\b(?:[^\n]{0,40}?(?:\b(?:is|are|was|as|to|of)\b|[=:/]))?\s*[\"'`]?([^\s\"'`]{11,}[^\s\"'`.,;:?)])"
            ),
            1,
            lambda v: random_looking(v.rstrip(".,;:!?)")),
        ),
    ]


#: Something every rule above needs to find: a secret word, a provider's prefix, a URL with a user.
#: Most memories hold none, and a substring test for these spares them the forty rules.
_NEEDLES = (
    "pass", "pw", "secret", "token", "key", "cred", "auth", "bearer", "basic", "sig=", "://", "private",
    "sas", "sk-", "sk_", "rk_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat", "akia", "asia", "agpa",
    "aida", "aroa", "anpa", "anva", "aipa", "xox", "aiza", "eyj", "glpat", "npm_", "pypi-", "sg.", "hf_",
    "_v1_", "shpat_", "shpca_", "shppa_", "shpss_", "atatt", "mysql", "mariadb", "login", "redis-cli", "mongo",
    "ldap", "curl", "openssl",
)  # fmt: skip
_TWILIO_QUICK = re.compile(r"SK[0-9a-fA-F]{32}")


def may_hold_secrets(text: str) -> bool:
    lowered = text.lower()
    return any(needle in lowered for needle in _NEEDLES) or _TWILIO_QUICK.search(text) is not None
