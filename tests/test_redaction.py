"""Secret redaction: one sample of each kind is redacted with its marker; look-alikes are kept."""

from __future__ import annotations

import pytest

from mcp_memory.services.memories.redaction import redact

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
