"""Secrets and look-alikes for the redaction fixture (tests/test_redaction.py, bench/redaction.py).

Secrets are assembled from parts so that secret scanners reading this file do not flag it; none is a
real credential. Each secret sits in the kind of sentence an agent would store. Look-alikes are texts
that must be stored unchanged: placeholders, references, hashes, UUIDs, ids, settings.
"""

from __future__ import annotations


class S(str):
    """A secret inside a sample: the part that must not survive redaction."""


def _sample(kind: str, *pieces: str) -> tuple[str, str, tuple[str, ...]]:
    """(kind, the text, the secrets in it): pieces are plain text or `S(...)` secrets."""
    return kind, "".join(pieces), tuple(p for p in pieces if isinstance(p, S))


#: (kind label for the report, text, the secret values in it that must disappear).
SECRETS: list[tuple[str, str, tuple[str, ...]]] = [
    _sample("aws-prose", "the secret key is ", S("wJalrXUtnFEMI/K7MDEN" + "G/bPxRfiCYEXAMPLEKEY")),
    _sample(
        "aws-prose",
        "AWS secret access key for the ci user: ",
        S("wJalrXUtnFEMI/K7MDEN" + "G/bPxRfiCYEXAMPLEKEY"),
    ),
    _sample("aws-assign", "aws_secret_access_key = ", S("wJalrXUtnFEMI/K7MDEN" + "G/bPxRfiCYEXAMPLEKEY")),
    _sample("aws-id", "the ci user is ", S("AKIAIOSFOD" + "NN7EXAMPLE")),
    _sample("aws-id", "temporary creds ", S("ASIAY34FZK" + "BOKMUTVV7A"), " in the session"),
    _sample("env", "PGPASSWORD=", S("super" + "secret"), " psql -h db -U app"),
    _sample("env", "export DB_PASSWORD=", S("hunter2" + "hunter2")),
    _sample("env", "GITHUB_TOKEN=", S("abcDEF1234" + "56ghiJKL789"), " in the runner env"),
    _sample("env", "set STRIPE_SECRET=", S("whsec_9f8e7d6c" + "5b4a3210fedcba")),
    _sample("env", "REDIS_PASS=", S("r3d1s-P" + "a55w0rd!")),
    _sample("env", "SENTRY_AUTH_TOKEN=", S("sntrys_q8Zr4Tn2Lx7Vb9Kp3" + "Wm6YHs83kd92LmQpZx74Vn1R")),
    _sample("env", "OPENAI_API_KEY=", S("sk-proj-Ab3dEf6hIj9kLm2nO" + "p5qRs8tUv1wXy4zAb7cDe0fGh")),
    _sample("env", "MYSQL_ROOT_PASSWORD=", S("Tr0ub" + "4dor&3")),
    _sample("env", "API_KEY=", S("q8Zr4Tn2Lx" + "7Vb9Kp3Wm6Y")),
    _sample("env", "client_secret=", S("8Q~xYzAb1Cd2Ef3" + "Gh4Ij5Kl6Mn7Op8")),
    _sample("dotenv", 'JWT_SECRET="', S("kf83hd92jd" + "83kd93kd82"), '"'),
    _sample("yaml", "password: ", S("Winter2" + "024!Prod")),
    _sample("yaml", "  api_token: ", S("Hs83kd92Lm" + "QpZx74Vn1R")),
    _sample("json", '{"password": "', S("p@ssw0rd" + "-for-prod"), '"}'),
    _sample("json", '"secret": "', S("q8Zr4Tn2Lx" + "7Vb9Kp3Wm6Y"), '"'),
    _sample("flag", "run it with --password=", S("s3cr3t-" + "value-99")),
    _sample("flag", "curl --api-key=", S("q8Zr4Tn2Lx" + "7Vb9Kp3Wm6Y"), " https://api.example.com"),
    _sample("url", "postgres://app:", S("S3cr3tP" + "assw0rd"), "@db.internal:5432/app"),
    _sample("url", "mongodb+srv://admin:", S("m0ng" + "0Pa55"), "@cluster0.example.net/test"),
    _sample("url", "redis://:", S("Sup3r" + "S3cret"), "@cache.internal:6379/0"),
    _sample("connstr", "Server=db;Database=app;User Id=sa;Password=", S("Str0n" + "g!Pass"), ";"),
    _sample(
        "azure",
        "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=",
        S("Zm9vYmFyYmF6cXV4" + "MTIzNDU2Nzg5MA=="),
        ";",
    ),
    _sample(
        "azure",
        "https://acme.blob.core.windows.net/c/f.txt?sv=2022-11-02&sig=",
        S("abcd%2BefGH12345" + "67890ijklMNOP%3D"),
    ),
    _sample("azure", "AZURE_CLIENT_SECRET=", S("8Q~xYzQq1Ww2Ee3" + "Rr4Tt5Yy6Uu7Ii8")),
    _sample("gcp", '"private_key_id": "', S("3f1e2d4c5b6a7980a1b2" + "c3d4e5f6a7b8c9d0e1f2"), '",'),
    _sample(
        "gcp",
        '"private_key": "',
        S("-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgk" + "qhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----"),
        '\\n"',
    ),
    _sample(
        "pem",
        S(
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKC"
            + "AQEAx3b9\nZk8Q==\n-----END RSA PRIVATE KEY-----"
        ),
    ),
    _sample(
        "pem",
        S(
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1"
            + "rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----"
        ),
    ),
    _sample("bearer", "Authorization: Bearer ", S("eyJ0eXAiOiJKV1QiLCJhb" + "Gci0123456789abcdefXYZ")),
    _sample(
        "bearer",
        "curl -H 'Authorization: Bearer ",
        S("q8Zr4Tn2Lx7Vb9Kp3Wm6" + "YHs83kd92LmQpZx74Vn1R"),
        "' https://api.example.com",
    ),
    _sample("basic", "Authorization: Basic ", S("dXNlcjpwYXNzd2" + "9yZDEyMzQ1Ng==")),
    _sample("npmrc", "//registry.npmjs.org/:_authToken=", S("npm_a1B2c3D4e5F6g7H8" + "i9J0k1L2m3N4o5P6q7R8")),
    _sample(
        "npmrc", "//npm.pkg.github.com/:_authToken=", S("q8Zr4Tn2Lx7Vb9Kp3Wm6" + "YHs83kd92LmQpZx74Vn1R")
    ),
    _sample("github", "token ", S("ghp_a1B2c3D4e5F6g7H8" + "i9J0k1L2m3N4o5P6q7R8"), " for the bot"),
    _sample(
        "github",
        "fine-grained ",
        S("github_pat_11ABCDEFG0123456789_abcdefghijkl" + "mnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123"),
    ),
    _sample("gitlab", S("glpat-xYz12Ab" + "C34dEf56GhI78"), " is the deploy token"),
    _sample("openai", "key ", S("sk-A1b2C3d4E5f6G7h8I9" + "j0K1l2M3n4O5p6Q7r8S9t0")),
    _sample(
        "anthropic",
        S(
            "sk-ant-api03-Xy7Xy7Xy7Xy7Xy7Xy7Xy7Xy7Xy7Xy7Xy7Xy7Xy"
            + "7Xy7Xy7Xy7Xy7Xy7Xy7Xy7Xy7Xy7Xy7Xy7Xy7Xy7Xy7Xy7Xy7Xy7"
        ),
    ),
    _sample("slack", S("xoxb-1234567890-09876" + "54321-AbCdEfGhIjKlMnOp")),
    _sample(
        "slack",
        "webhook ",
        S("https://hooks.slack.com/services/T0000" + "0000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"),
    ),
    _sample("stripe", S("sk_live_4eC39HqL" + "yjWDarjtT1zdp7dc")),
    _sample("stripe", "restricted ", S("rk_test_51H8q2eZv" + "KYlo2C0aBcDeFgHiJ")),
    _sample("google", "maps key ", S("AIzaSyD-9tSrke72Pou" + "QMnMX-a7eZSW0jkFMBWY")),
    _sample(
        "jwt",
        S(
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwI"
            + "n0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
        ),
    ),
    _sample("sendgrid", S("SG.ngeVfQFYQlKU0ufo8x5d1A.TwL2iGAB" + "f9DHoTf-09kqeF8tAmbihYzrnopKc-1s5cr")),
    _sample("twilio", "twilio ", S("SK0123456789abcde" + "f0123456789abcdef")),
    _sample("huggingface", S("hf_AbCdEfGhIjKlMnO" + "pQrStUvWxYz01234567")),
    _sample("pypi", S("pypi-AgEIcHlwaS5vcmcCJGExYjJjM2Q0LW" + "U1ZjYtNzg5MC1hYmNkLWVmMDEyMzQ1Njc4OQ")),
    _sample(
        "digitalocean", S("dop_v1_aaaaaaaaaaaaaaaaaaaaaaaaaaaa" + "aaaa0123456789abcdef0123456789abcdef")
    ),
    _sample("shopify", S("shpat_0123456789abc" + "def0123456789abcdef")),
    _sample("prose", "the prod database password is ", S("Kx9#mP2$" + "vL7q!Rz4")),
    _sample("prose", "our api key for the staging stripe account is ", S("q8Zr4Tn2Lx" + "7Vb9Kp3Wm6Y")),
    _sample("prose", "Token for the deploy bot: ", S("Hs83kd92LmQ" + "pZx74Vn1RZt")),
    _sample("prose", "credentials are admin / ", S("N7!qLw3@" + "Zp8#Vd2x")),
    _sample("prose", "use passphrase ", S("correct-Horse-7-" + "battery-Staple-42")),
    _sample(
        "ini",
        "[default]\naws_access_key_id = ",
        S("AKIAIOSFOD" + "NN7EXAMPLE"),
        "\naws_secret_access_key = ",
        S("wJalrXUtnFEMI/K7MDEN" + "G/bPxRfiCYEXAMPLEKEY"),
    ),
    _sample("docker", "docker login -u ci --password ", S("dckr_pat_AbCdEfG" + "hIjKlMnOpQrStUvWx")),
]

_AWS_ID = "AKIAIOSFOD" + "NN7EXAMPLE"
_AWS_SECRET = "wJalrXUtnFEMI/K7MDEN" + "G/bPxRfiCYEXAMPLEKEY"

#: Passwords given to the command-line flag of a tool that takes one (issue 23).
COMMAND_LINES: list[tuple[str, str, tuple[str, ...]]] = [
    _sample("mysql", "mysql -u root -p", S("Xk7pQ2" + "mzL9"), " app_db"),
    _sample("mysql", "mysqldump -uroot -p'", S("S3cr3t!" + "Dump"), "' app > dump.sql"),
    _sample("mysql", "mysql -h db -u app -p", S("hunter" + "2"), " -e 'show tables'"),
    _sample("mysql", "mysql --password=", S("Tr0ub4" + "dor99"), " -u root"),
    _sample("flag", "deploy-cli --token ", S("abcd1234" + "efgh5678"), " --region eu"),
    _sample("flag", "wget --http-password=", S("W9e7Rt" + "5Yu3"), " https://files.example.com/a.zip"),
    _sample("sshpass", "sshpass -p '", S("S3cret!" + "Ssh"), "' ssh deploy@10.0.0.5"),
    _sample("sshpass", "sshpass -p", S("Xk7pQ2" + "mz"), " scp a.tar host:/tmp"),
    _sample("registry-login", "docker login -u ci -p ", S("S3cretP" + "w42"), " registry.example.com"),
    _sample("registry-login", "podman login quay.io -u bot -p ", S("Xk7pQ2" + "mzL9")),
    _sample("redis-cli", "redis-cli -h cache -a ", S("R3d1s" + "Pw99"), " ping"),
    _sample("mongo", "mongosh --username admin -p ", S("M0ngo" + "Pw77"), " --authenticationDatabase admin"),
    _sample(
        "ldap", "ldapsearch -x -D cn=admin,dc=example,dc=org -w ", S("Ld4p" + "Pw55"), " -b dc=example,dc=org"
    ),
    _sample("openssl", "openssl rsa -in key.pem -passin pass:", S("K3yP" + "ass11"), " -out plain.pem"),
    _sample("openssl", "openssl enc -aes-256-cbc -k ", S("Enc" + "Pw2024x"), " -in a -out b"),
    _sample("keytool", "keytool -list -keystore ks.jks -storepass ", S("St0re" + "Pw88")),
    _sample("env", "MYSQL_PWD=", S("My5ql" + "Pw"), " mysql -u root"),
    _sample("curl-user", "curl -u admin:", S("Cu7l" + "Pw66"), " https://api.example.com/v1"),
    _sample("curl-user", "curl -s --user 'deploy:", S("Dep10y" + "Pw"), "' https://ci.example.com"),
    _sample("header", "curl -H 'Authorization: Bearer ", S("abc123" + "def456"), "' https://api.example.com"),
    _sample("header", 'curl --header "X-Api-Key: ', S("k3y" + "4567abcd"), '" https://api.example.com'),
    _sample("header", "Authorization: token ", S("Tk9" + "x8y7z6w5")),
]

#: Passwords inside connection strings and their parameters (issue 23).
CONNECTION_STRINGS: list[tuple[str, str, tuple[str, ...]]] = [
    _sample("jdbc", "jdbc:mysql://db:3306/app?user=root&password=", S("Jdbc" + "Pw33"), "&useSSL=false"),
    _sample("jdbc", "jdbc:sqlserver://db:1433;databaseName=app;user=sa;password=", S("Sq1" + "Pw!44"), ";"),
    _sample("query", "https://api.example.com/v1/items?api_key=", S("abcd12" + "34efgh"), "&page=2"),
    _sample(
        "libpq",
        "host=db.internal port=5432 dbname=app user=app password=",
        S("Lpq" + "Pw123"),
        " sslmode=require",
    ),
    _sample("libpq", "host=db user=app password='", S("S3cret" + " Pw 9"), "' dbname=app"),
    _sample("url", "redis://default:", S("R3d" + "isPw"), "@cache.internal:6379"),
]

#: An AWS secret access key written with its key id, or given to `aws configure` (issue 23).
AWS_PAIRS: list[tuple[str, str, tuple[str, ...]]] = [
    _sample("aws-pair", "access key ", S(_AWS_ID), " secret ", S(_AWS_SECRET)),
    _sample("aws-pair", "Access key ID,Secret access key\n", S(_AWS_ID), ",", S(_AWS_SECRET)),
    _sample("aws-pair", "key id ", S(_AWS_ID), "\n", S(_AWS_SECRET)),
    _sample("aws-pair", "aws configure set aws_secret_access_key ", S(_AWS_SECRET)),
]

#: A password or token stated in a sentence, shorter than a generated key (issue 23).
PROSE: list[tuple[str, str, tuple[str, ...]]] = [
    _sample("prose", "the db password is ", S("Xk7p" + "Q2")),
    _sample("prose", "pw: ", S("Pw9x" + "Lm3q")),
    _sample("prose", "token = ", S("Xk7pQ2" + "mzL9")),
    _sample("prose", "the API key for stripe is ", S("abcd12" + "34efgh")),
    _sample("prose", "change the root password to ", S("Tr0ub" + "4dor"), ", then restart"),
    _sample("netrc", "machine api.example.com login me password ", S("N3trc" + "Pw")),
]

SECRETS += COMMAND_LINES + CONNECTION_STRINGS + AWS_PAIRS + PROSE

#: Texts that look like secrets but are not; stored unchanged.
LOOK_ALIKES: list[str] = [
    "password = os.environ['DB_PASSWORD']",
    "api_key: ${API_KEY}",
    "GITHUB_TOKEN=${{ secrets.GITHUB_TOKEN }}",
    "export API_KEY=$API_KEY",
    "password: <your password here>",
    "set password=changeme in the example config",
    "DB_PASSWORD=your_password_here",
    "SECRET_KEY=os.getenv('SECRET_KEY')",
    "token = request.headers.get('Authorization')",
    "password_hash = bcrypt.hashpw(pw, salt)",
    "PASSWORD_MIN_LENGTH=12",
    "TOKEN_EXPIRY_SECONDS=3600",
    "max_tokens=4096 for the summarizer",
    "cache_key=user_profile_v2",
    "sort_key=created_at",
    "primary_key=id on the users table",
    "the sk-learn-style-naming-convention-for-packages is fine",
    "we use scikit-learn and sk-learn interchangeably",
    "commit a1b2c3d4e5f6a7b8c9d0 fixed it",
    "git sha 3f9a2c1b7e4d5f60718293a4b5c6d7e8f9012345 is the release",
    "sha256 of the model is 8199be6f0c2b3d4e5f60718293a4b5c6d7e8f9012345678901234567893d2a6",
    "the request id is 123e4567-e89b-12d3-a456-426614174000",
    "user uuid 550e8400-e29b-41d4-a716-446655440000 owns it",
    "publishable key pk_live_" + "4eC39HqLyjWDarjtT1zdp7dc" + " is public",
    "AKIA is the prefix AWS uses for access key ids",
    "https://user@example.com/path has no password",
    'eyJ alone is just base64 of {"',
    "the password reset flow sends an email",
    "rotate the API key every 90 days",
    "the token bucket refills 10 tokens per second",
    "store secrets in 1Password, never in the repo",
    "Authorization: Bearer <token>",
    "Authorization: Bearer $TOKEN",
    "use Bearer tokens for the internal API",
    "the secret key is stored in Vault under secret/data/prod",
    "the key is in src/config/keys.py",
    "password: ''",
    "password=",
    "api_key: null",
    "token: REDACTED",
    "client_secret: xxxxxxxx",
    "--password-file /run/secrets/db",
    "PGPASSFILE=~/.pgpass",
    "auth: required",
    "credentials: optional",
    "the access key id format is AKIA followed by 16 characters",
    "ssh-keygen -t ed25519 -C me@example.com",
    "the build number is 20241130-1842-ab12",
    "version 1.24.3-rc.2+build.5 shipped",
    "the image digest is sha256:4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d",
    "port 5432, host db.internal, user app",
    "SELECT password_hash FROM users WHERE id = $1",
    "def check_password(user, password): ...",
    "the keyboard shortcut key is Ctrl+Shift+P",
    "the primary key of orders is (tenant_id, order_id)",
    "secret santa is on Dec 20",
    "the token is passed in the X-Api-Key header",
    "export NODE_OPTIONS=--max-old-space-size=4096",
    "RUST_LOG=debug cargo run",
    "the password is hunter2 (a famous joke, not ours)",
    "the ticket is PROJ-1234 and the branch is feature/PROJ-1234-login",
    "the CSS class is btn-primary-lg-outline",
    "ImportError: cannot import name 'TokenizerFast' from transformers",
]

#: Flags that are not passwords: a port, a prompt, a user, a variable, a file (issue 23).
COMMAND_LOOK_ALIKES: list[str] = [
    "mysql -u root -p app_db",
    "mysql -h db -P 3306 -u root -p",
    "mysql -p$MYSQL_PWD -u root",
    "npx serve -p 3000",
    "ssh -p 2222 deploy@10.0.0.5",
    "docker run -p 8080:80 nginx",
    "iperf3 -c host -p 5201",
    "redis-cli -h cache -p 6379 ping",
    'sshpass -p "$SSHPASS" ssh host',
    "docker login -u ci --password-stdin registry.example.com",
    'curl -u "$USER:$PASS" https://api.example.com',
    "curl -u admin https://api.example.com",
    "curl -u $STRIPE_KEY: https://api.stripe.com/v1/charges",
    'curl -H "Authorization: Bearer $TOKEN" https://api.example.com',
    "docker run -u 1000:1000 app",
    "git push -u origin main",
    "keytool -list -keystore ks.jks -storepass:env STOREPASS",
    "keytool -list -keystore ks.jks -storepass changeit",
    "openssl rsa -passin env:KEY_PASS -in key.pem",
    "mongosh --port 27017 -u admin -p --authenticationDatabase admin",
]

#: Sentences about passwords and tokens that hold none (issue 23).
PROSE_LOOK_ALIKES: list[str] = [
    "reset your password in settings",
    "the password field is required",
    "the password is case-sensitive",
    "the password is SHA-256 hashed",
    "the password is base64-encoded",
    "password123 is a bad example",
    "the password is password123, the classic bad example",
    "your password must contain 1 digit",
    "the password file is ~/.pgpass",
    "the token budget is 8000 tokens",
    "tokens: 512",
    "the token was revoked at 2024-05-01T12:00:00Z",
    "the token endpoint is https://auth.example.com/oauth/token",
    "the token is sha256:4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d",
    "the cache key is user:123:profile",
    "the Authorization: header carries the token",
    "the api key for stripe is in the vault",
]

#: Placeholders and references where a password would go, and addresses without one (issue 23).
PLACEHOLDER_LOOK_ALIKES: list[str] = [
    "password: <password>",
    "DB_PASSWORD=${DB_PASSWORD}",
    "PGPASSWORD=$PASSWORD psql -h db",
    "password: ****",
    "host=db user=app password=${PGPASSWORD} dbname=app",
    "jdbc:postgresql://db:5432/app?user=app&password=${DB_PASSWORD}",
    "postgres://db.internal:5432/app",
    "https://github.com/org/repo/blob/main/src/auth/token.py",
    '"error": "Enter your password please"',
]

LOOK_ALIKES += COMMAND_LOOK_ALIKES + PROSE_LOOK_ALIKES + PLACEHOLDER_LOOK_ALIKES
