"""Secret redaction: one sample of each kind is redacted with its marker; look-alikes are kept."""

from __future__ import annotations

import re

import pytest
from mcp import Client

from mcp_memory.cli import main
from mcp_memory.config import Settings
from mcp_memory.services.app import App
from mcp_memory.services.memories.changes import update_memory
from mcp_memory.services.memories.redaction import Redaction, redact, redact_value
from mcp_memory.services.memories.store import get_memories, store_memory
from tests.secret_samples import (
    AWS_PAIRS,
    COMMAND_LINES,
    COMMAND_LOOK_ALIKES,
    CONNECTION_STRINGS,
    LOOK_ALIKES,
    PLACEHOLDER_LOOK_ALIKES,
    PROSE,
    PROSE_LOOK_ALIKES,
)
from tests.secret_samples import SECRETS as FIXTURE_SECRETS

# Samples are assembled from parts so that secret scanners reading this file do not flag it.
SAMPLES = {
    "private-key": "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx3b9\nZk8Q==\n-----END RSA PRIVATE KEY-----",
    "aws-access-key-id": "AKIA" + "IOSFODNN7EXAMPLE",
    "aws-secret-key": "aws_secret_access_key = " + "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "github-token": "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "openai-key": "sk-proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cDe0fGh",
    "anthropic-key": "sk-ant-api03-" + "Xy7" * 30,
    "slack-token": "xoxb-" + "1234567890-0987654321-AbCdEfGhIjKlMnOp",
    "stripe-key": "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "google-api-key": "AIza" + "SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
    "jwt": "eyJhbGciOiJIUzI1NiJ9."
    + "eyJzdWIiOiIxMjM0NTY3ODkwIn0."
    + "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "url-password": "postgres://app:" + "S3cr3tPassw0rd" + "@db.internal:5432/app",
    "password": "DB_PASSWORD=" + "hunter2hunter2",
}


@pytest.mark.parametrize(("kind", "secret"), list(SAMPLES.items()))
def test_each_kind_of_secret_is_redacted(kind: str, secret: str) -> None:
    """A secret in running text is replaced by a marker naming its kind; the rest of the text stays."""
    result = redact(f"Note for later: {secret} (do not share)")
    assert f"[REDACTED:{kind}]" in result.text
    assert result.count == 1
    assert result.kinds == (kind,)
    assert result.text.startswith("Note for later: ")
    assert result.text.endswith("(do not share)")


def test_url_password_keeps_user_and_host() -> None:
    """Only the password of a URL goes."""
    assert (
        redact("postgres://app:" + "S3cr3tPassw0rd" + "@db:5432/x").text
        == "postgres://app:[REDACTED:url-password]@db:5432/x"
    )


@pytest.mark.parametrize(
    "text",
    [
        "password = os.environ['DB_PASSWORD']",
        "api_key: ${API_KEY}",
        "password: <your password here>",
        "set password=changeme in the example config",
        "the sk-learn-style-naming-convention-for-packages is fine",
        "we use scikit-learn and sk-learn interchangeably",
        "commit a1b2c3d4e5f6a7b8c9d0 fixed it",
        "publishable key pk_live_" + "4eC39HqLyjWDarjtT1zdp7dc" + " is public",
        "AKIA is the prefix AWS uses for access key ids",
        "https://user@example.com/path has no password",
        'eyJ alone is just base64 of {"',
        "the password policy requires 12 characters",
        "token count is 4096",
    ],
)
def test_look_alikes_are_kept(text: str) -> None:
    """Text that only resembles a secret is stored unchanged."""
    result = redact(text)
    assert result.count == 0, result.text
    assert result.text == text


def test_several_secrets_are_all_counted() -> None:
    """Every secret in one text is redacted and counted."""
    text = f"keys: {SAMPLES['github-token']} and {SAMPLES['stripe-key']} and {SAMPLES['aws-access-key-id']}"
    result = redact(text)
    assert result.count == 3
    assert set(result.kinds) == {"github-token", "stripe-key", "aws-access-key-id"}


@pytest.mark.anyio
async def test_store_and_update_redact_and_report(tmp_path: object) -> None:
    """memory_store and memory_update keep no secret and say how many they replaced; the setting
    turns it off."""
    from pathlib import Path

    from mcp_memory.services.app import open_app
    from mcp_memory.services.memories.changes import update_memory
    from mcp_memory.services.memories.store import get_memories, store_memory
    from tests.conftest import fake_loader, make_settings

    base = Path(str(tmp_path))
    async with open_app(make_settings(base), loader=fake_loader()) as app:
        stored = await store_memory(app, f"deploy token {SAMPLES['github-token']}")
        assert stored.redacted == 1
        memory = (await get_memories(app, [stored.id])).memories[0]
        assert memory.content == "deploy token [REDACTED:github-token]"
        again = await store_memory(app, f"deploy token {SAMPLES['github-token']}")
        assert (again.status, again.id) == ("duplicate", stored.id)
        updated = await update_memory(app, stored.id, content=f"db at {SAMPLES['url-password']}")
        assert updated.redacted == 1
        raw = await app.db.fetchall(
            "SELECT content FROM memories UNION ALL SELECT content FROM memory_versions"
        )
        assert not any(SAMPLES["github-token"] in r[0] or "S3cr3tPassw0rd" in r[0] for r in raw)
    async with open_app(make_settings(base / "off", redact_secrets=False), loader=fake_loader()) as app:
        kept = await store_memory(app, f"deploy token {SAMPLES['github-token']}")
        assert kept.redacted == 0
        assert (await get_memories(app, [kept.id])).memories[0].content.endswith(SAMPLES["github-token"])


def _only_the_secrets_go(text: str, secrets: tuple[str, ...]) -> None:
    """`text` redacted is `text` with each of `secrets` (and nothing else) turned into a marker."""
    pattern = re.escape(text)
    for secret in secrets:
        pattern = pattern.replace(re.escape(secret), r"\[REDACTED:[a-z-]+\]", 1)
    result = redact(text)
    assert re.fullmatch(pattern, result.text), result.text
    assert result.count == len(secrets)


def _ids(samples: list[tuple[str, str, tuple[str, ...]]]) -> list[str]:
    return [f"{kind}-{i}" for i, (kind, _, _) in enumerate(samples)]


@pytest.mark.parametrize(("kind", "text", "secrets"), COMMAND_LINES, ids=_ids(COMMAND_LINES))
def test_a_password_given_to_a_command_line_flag_is_redacted(
    kind: str, text: str, secrets: tuple[str, ...]
) -> None:
    """The value of a password flag (`mysql -p`, `sshpass -p`, `docker login -p`, `redis-cli -a`,
    `ldapsearch -w`, `-passin pass:`, `-storepass`, `curl -u user:`, a header) goes; the command stays."""
    _only_the_secrets_go(text, secrets)


@pytest.mark.parametrize(("kind", "text", "secrets"), CONNECTION_STRINGS, ids=_ids(CONNECTION_STRINGS))
def test_a_password_inside_a_connection_string_is_redacted(
    kind: str, text: str, secrets: tuple[str, ...]
) -> None:
    """A JDBC or query parameter, a libpq `password=` (quoted with spaces too) loses only its value."""
    _only_the_secrets_go(text, secrets)


@pytest.mark.parametrize(("kind", "text", "secrets"), AWS_PAIRS, ids=_ids(AWS_PAIRS))
def test_an_aws_secret_key_written_with_its_id_is_redacted(
    kind: str, text: str, secrets: tuple[str, ...]
) -> None:
    """The secret access key after its key id (same line, comma, next line) or given to `aws configure`
    goes with the id."""
    _only_the_secrets_go(text, secrets)


@pytest.mark.parametrize(("kind", "text", "secrets"), PROSE, ids=_ids(PROSE))
def test_a_short_password_or_token_in_a_sentence_is_redacted(
    kind: str, text: str, secrets: tuple[str, ...]
) -> None:
    """ "the db password is X", "pw: X", "the API key for stripe is X", a `.netrc` line: X goes, the
    sentence stays."""
    _only_the_secrets_go(text, secrets)


@pytest.mark.parametrize("text", COMMAND_LOOK_ALIKES)
def test_flags_that_are_not_passwords_are_kept(text: str) -> None:
    """Ports (`-p 8080`), prompts (`mysql -p`), users, uid:gid, variables and named files stay."""
    assert redact(text) == Redaction(text, 0, ())


@pytest.mark.parametrize("text", PROSE_LOOK_ALIKES)
def test_sentences_about_passwords_and_tokens_are_kept(text: str) -> None:
    """Words, technical terms, dates, ids, hashes, URLs and the famous example passwords after a
    secret word stay."""
    assert redact(text) == Redaction(text, 0, ())


@pytest.mark.parametrize("text", PLACEHOLDER_LOOK_ALIKES)
def test_placeholders_where_a_password_would_go_are_kept(text: str) -> None:
    """`<password>`, `${DB_PASSWORD}`, `$PASSWORD`, `****`, prompts and URLs without a password stay."""
    assert redact(text) == Redaction(text, 0, ())


def test_famous_example_passwords_are_kept_in_prose_but_not_in_a_command() -> None:
    """ "the password is hunter2" is the joke; `mysql -phunter2` uses it, and it goes."""
    assert redact("the password is hunter2").count == 0
    assert redact("mysql -u root -p" + "hunter2 app").text == "mysql -u root -p[REDACTED:password] app"


def test_a_marker_is_never_read_as_a_value() -> None:
    """A second pass leaves a marker whole, even where its tail looks like a password."""
    once = redact("use passphrase correct-Horse-7-" + "battery-Staple-42")
    assert once.text == "use passphrase [REDACTED:secret-in-prose]"
    assert redact(once.text) == Redaction(once.text, 0, ())


def _leaks(text: str, secret: str) -> bool:
    """Whether any 8 consecutive characters of `secret` (all of it, if shorter) survive in `text`."""
    width = min(8, len(secret))
    return any(secret[i : i + width] in text for i in range(len(secret) - width + 1))


def test_the_secret_fixture_is_caught_and_the_look_alikes_kept() -> None:
    """On the fixture (at least 100 secrets, 100 look-alikes): at least 0.95 of the secrets leave no
    8-character piece behind, and at least 0.95 of the look-alikes are stored unchanged."""
    assert len(FIXTURE_SECRETS) >= 100
    assert len(LOOK_ALIKES) >= 100
    caught = [all(not _leaks(redact(text).text, s) for s in secrets) for _, text, secrets in FIXTURE_SECRETS]
    kept = [redact(text).text == text for text in LOOK_ALIKES]
    assert sum(caught) / len(caught) >= 0.95, [
        t for (_, t, _), ok in zip(FIXTURE_SECRETS, caught, strict=True) if not ok
    ]
    assert sum(kept) / len(kept) >= 0.95, [t for t, ok in zip(LOOK_ALIKES, kept, strict=True) if not ok]


def test_private_blocks_are_never_stored() -> None:
    """`<private>...</private>` becomes `[PRIVATE]`, closed or not, and counts as a redaction."""
    result = redact("deploy with <private>the root pw is hunter2</private> then restart")
    assert result.text == "deploy with [PRIVATE] then restart"
    assert (result.count, result.kinds) == (1, ("private",))
    assert redact("x <PRIVATE>unclosed to the end").text == "x [PRIVATE]"
    assert redact("<private>a</private>", secrets=False).text == "[PRIVATE]"


def test_metadata_values_are_redacted_keys_kept() -> None:
    """Every string inside a metadata value is scanned; keys and non-strings stay."""
    value, count = redact_value(
        {
            "cmd": "PGPASSWORD=" + "supersecret psql",
            "n": 3,
            "list": ["ok", "token=" + "abcDEF123456ghiJKL789"],
        }
    )
    assert value == {
        "cmd": "PGPASSWORD=[REDACTED:password] psql",
        "n": 3,
        "list": ["ok", "token=[REDACTED:password]"],
    }
    assert count == 2


@pytest.mark.anyio
async def test_tags_metadata_and_private_blocks_are_scrubbed_on_store(app: App) -> None:
    """A store scans tags and metadata values too, drops private blocks, and counts every replacement."""
    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    result = await store_memory(
        app,
        "deploy notes <private>root pw hunter2</private> done",
        tags=["deploy", token],
        metadata={"cmd": "PGPASSWORD=" + "supersecret psql"},
    )
    assert result.redacted == 3
    memory = (await get_memories(app, [result.id])).memories[0]
    assert memory.content == "deploy notes [PRIVATE] done"
    assert set(memory.tags) == {"deploy", "[redacted:github-token]"}
    assert memory.metadata == {"cmd": "PGPASSWORD=[REDACTED:password] psql"}


@pytest.mark.anyio
async def test_update_scrubs_tags_and_metadata(app: App) -> None:
    """An update's new tags and metadata are scanned like a store's."""
    stored = await store_memory(app, "plain note")
    updated = await update_memory(app, stored.id, metadata={"t": "token=" + "abcDEF123456ghiJKL789"})
    assert updated.redacted == 1
    memory = (await get_memories(app, [stored.id])).memories[0]
    assert memory.metadata == {"t": "token=[REDACTED:password]"}


def test_the_cli_says_how_many_it_replaced(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`mcp-memory store` reports the replacements it made."""
    monkeypatch.setenv("MCP_MEMORY_DB", str(settings.database))
    monkeypatch.setenv("MCP_MEMORY_EMBEDDING_MODEL", "fake-model")
    assert main(["store", "the deploy key is " + "PGPASSWORD=" + "supersecret"]) == 0
    assert "1 secret or private block replaced" in capsys.readouterr().out


def test_redaction_is_idempotent_on_the_fixture() -> None:
    """Redacting redacted text changes nothing (imports scan again what a store already scanned)."""
    for text in [t for _, t, _ in FIXTURE_SECRETS] + LOOK_ALIKES:
        once = redact(text)
        twice = redact(once.text)
        assert (twice.text, twice.count) == (once.text, 0), text


@pytest.mark.parametrize("limit", range(60, 100))
def test_a_preview_never_ends_inside_a_marker(limit: int) -> None:
    """Shortened text ends before a marker it would split, and keeps a marker it has room for whole."""
    from mcp_memory.previews import MARKER, preview

    text = "x" * 70 + "[REDACTED:stripe-key]" + " and [PRIVATE] after it, then more words"
    shown = preview(text, limit)
    assert len(shown) <= limit
    body = shown.removesuffix("…")
    assert "[" not in MARKER.sub("", body), shown  # no piece of a marker is left
    assert body == text[: len(body)]
    assert shown.endswith("…")


@pytest.mark.anyio
async def test_timeline_and_snippets_cut_before_a_marker(client: Client) -> None:
    """memory_timeline's lines and the snippets of long memories stop before a redaction marker
    that straddles their length, instead of showing half of it."""
    from mcp_memory.views.models import SNIPPET_CHARS

    prefix = "the payments service calls the provider with the live key kept in env "
    assert len(prefix) < 79 < len(prefix) + len("[REDACTED:stripe-key]")  # across the 80-character line
    stored = await client.call_tool("memory_store", {"content": prefix + SAMPLES["stripe-key"] + " ok"})
    assert not stored.is_error
    timeline = await client.call_tool("memory_timeline", {})
    text = timeline.content[0].text  # type: ignore[union-attr]
    assert text.endswith(f"[m_1] {prefix}…")
    long = "y" * (SNIPPET_CHARS - 5) + " " + SAMPLES["stripe-key"] + " tail"
    await client.call_tool("memory_store", {"content": long})
    found = await client.call_tool("memory_search", {"query": "tail", "mode": "keyword"})
    hit = found.structured_content["results"][0]  # type: ignore[index]
    snippet = hit["content"]
    assert snippet == "y" * (SNIPPET_CHARS - 5) + " …"
    assert hit["truncated"]


#: Near misses repeated to 100 KB: runs of name, token and URL characters that every rule starts on
#: and none completes (no separator, no closing part), each with a needle so that all rules run.
ADVERSARIAL = [
    "a." * 50_000 + " key",
    "a-" * 50_000 + " token",
    "a_" * 50_000 + " secret",
    "eyJa-" * 20_000,
    "sk_live_a" * 11_112,
    "-----BEGIN PRIVATE KEY-----\n" * 3_600,
    "password='a " * 8_334,
    "the password is " * 6_250,
    "http://" + "a:" * 50_000,
    "password" + " " * 100_000 + "x",
    "mysql -p " * 11_112,
    "curl -u a " * 10_000,
    "docker login -p -" * 5_883,
    "Authorization: " * 6_667,
    "the api key is " * 6_667,
]


@pytest.mark.parametrize("text", ADVERSARIAL, ids=lambda t: repr(t[:12]))
def test_a_100_kb_line_of_near_misses_is_scanned_and_kept(text: str) -> None:
    """A 100 KB line of near misses comes back unchanged (the rules are linear: a quadratic one would
    not return in the life of the test run)."""
    assert len(text) >= 100_000
    result = redact(text)
    assert (result.text, result.count) == (text, 0)


def test_an_aws_key_id_before_100_kb_of_key_characters_loses_only_the_id() -> None:
    """An access key id followed by a 100 KB run of base64 characters is redacted and the run kept
    (the pair rule looks 80 characters ahead, once)."""
    text = "AKIA" + "IOSFODNN7EXAMPLE " + "a/" * 50_000
    assert redact(text).text == "[REDACTED:aws-access-key-id] " + "a/" * 50_000
