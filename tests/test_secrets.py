"""Secrets are redacted in everything sent to the model, and the likely ones reported locally.

Every test runs twice: with kingfisher's rule engine (where its wheel is installed) and
with our own layers alone, the path taken on platforms without a wheel. The fake
secrets are generated at run time from a seeded generator, so that this file holds no
string a secret scanner (ours included) would report.
"""

from __future__ import annotations

import base64
import random
import re
import string
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from reviewer.diff import Diff, LineKind, parse_diff
from reviewer.secrets import SecretScan, redact_text, scan_diff, scanner_version
from reviewer.secrets.engines import (
    KingfisherEngine,
    NoRuleEngine,
    ProviderEngine,
    default_engine,
)
from reviewer.values import Finding, Severity, Side

_RANDOM = random.Random(20240611)
ALNUM = string.ascii_letters + string.digits
TOKEN = ALNUM + "_-"
HEX = "0123456789abcdef"


def fake(prefix: str, length: int, alphabet: str = ALNUM) -> str:
    return prefix + "".join(_RANDOM.choice(alphabet) for _ in range(length))


def uuid() -> str:
    digits = fake("", 32, HEX)
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


AWS_KEY_ID = fake("AKIA", 16, string.ascii_uppercase + "234567")
AWS_SECRET = fake("", 40, ALNUM + "/+")
GITHUB = fake("ghp_", 36)
ANTHROPIC = fake("sk-ant-api03-", 93, TOKEN) + "AA"
SLACK = fake("xoxb-", 12, string.digits) + fake("-", 13, string.digits) + fake("-", 24)
PASSWORD = "Xk8pQ2vL9zR4mWq7"
PEM_BODY = tuple(fake("", 64, ALNUM + "+/") for _ in range(3))
BEGIN_RSA = "-----BEGIN RSA " + "PRIVATE KEY-----"
END_RSA = "-----END RSA " + "PRIVATE KEY-----"


@pytest.fixture(params=["kingfisher", "own-layers"])
def engine(request: pytest.FixtureRequest) -> ProviderEngine:
    """kingfisher's rules plus our layers, or our layers alone (no wheel for the platform)."""
    if request.param == "own-layers":
        return NoRuleEngine()
    chosen = default_engine()
    if not isinstance(chosen, KingfisherEngine):
        pytest.skip("kingfisher-secret-scanner has no wheel for this platform")
    return chosen


def scan(text: str, engine: ProviderEngine) -> SecretScan:
    return scan_diff(parse_diff(text), engine=engine)


def line_texts(diff: Diff) -> Iterator[str]:
    """Every text of the diff that is sent: hunk headers and lines of all kinds."""
    for file in diff.files:
        for hunk in file.hunks:
            yield hunk.section
            for line in hunk.lines:
                yield line.text


def assert_nowhere(result: SecretScan, *values: str) -> None:
    """No value, nor any eight characters of one, is left in what would be sent."""
    sent = "\n".join(line_texts(result.diff))
    for value in values:
        pieces = {value[i : i + 8] for i in range(max(1, len(value) - 7))}
        assert not any(piece in sent for piece in pieces), (value, sent)


def assert_not_disclosed(findings: tuple[Finding, ...], *values: str) -> None:
    """No finding carries a value, nor any 8-character piece of it."""
    for finding in findings:
        said = finding.title + "\n" + finding.body
        for value in values:
            pieces = {value[i : i + 8] for i in range(len(value) - 7)}
            assert not any(piece in said for piece in pieces), finding


def added_text(result: SecretScan, number: int) -> str:
    file = result.diff.files[0]
    hunk = file.hunk_for(number, Side.RIGHT)
    assert hunk is not None
    line = hunk.line_at(number, Side.RIGHT)
    assert line is not None
    return line.text


def one_file(path: str, *added: str) -> str:
    body = "".join(f"+{line}\n" for line in added)
    return f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{len(added)} @@\n{body}"


# --- the kinds of secret -----------------------------------------------------------------------


def test_aws_key_id_and_secret_key_are_found_on_their_lines_and_redacted(
    engine: ProviderEngine,
) -> None:
    result = scan(
        f"""\
--- a/deploy/settings.py
+++ b/deploy/settings.py
@@ -10,2 +10,4 @@ import os
 REGION = "eu-west-1"
+aws_access_key_id = "{AWS_KEY_ID}"
+aws_secret_access_key = "{AWS_SECRET}"
 BUCKET = "assets"
""",
        engine,
    )

    assert [(f.line, f.side, f.severity, f.title) for f in result.findings] == [
        (11, Side.RIGHT, Severity.CRITICAL, "Secret in the diff: AWS access key ID"),
        (12, Side.RIGHT, Severity.CRITICAL, "Secret in the diff: hard-coded credential"),
    ]
    assert all(f.category == "security" and f.origin == "secrets" for f in result.findings)
    assert added_text(result, 11) == 'aws_access_key_id = "[REDACTED:aws-access-key]"'
    assert added_text(result, 12) == 'aws_secret_access_key = "[REDACTED:credential]"'
    assert_not_disclosed(result.findings, AWS_KEY_ID, AWS_SECRET)


@pytest.mark.parametrize(
    "token",
    [
        *(fake(f"{prefix}_", 36) for prefix in ("ghp", "gho", "ghu", "ghs", "ghr")),
        fake("github_pat_", 22) + fake("_", 59),
    ],
    ids=["ghp", "gho", "ghu", "ghs", "ghr", "github_pat"],
)
def test_github_tokens_of_every_prefix_are_redacted_whole(
    token: str, engine: ProviderEngine
) -> None:
    result = scan(
        f"""\
--- a/ci/publish.sh
+++ b/ci/publish.sh
@@ -1 +1,2 @@
 set -eu
+curl -H "Authorization: token {token}" https://ghe.example.com/api/v3/user
""",
        engine,
    )

    assert [(f.line, f.title) for f in result.findings] == [(2, "Secret in the diff: GitHub token")]
    expected = (
        'curl -H "Authorization: token [REDACTED:github-token]" https://ghe.example.com/api/v3/user'
    )
    assert added_text(result, 2) == expected


@pytest.mark.parametrize(
    "key", [ANTHROPIC, fake("sk-ant-admin01-", 93, TOKEN) + "AA"], ids=["api", "admin"]
)
def test_anthropic_keys_are_found(key: str, engine: ProviderEngine) -> None:
    result = scan(
        one_file("bot.py", "import anthropic", f'client = anthropic.Anthropic(api_key="{key}")'),
        engine,
    )

    assert [f.title for f in result.findings] == ["Secret in the diff: Anthropic API key"]
    assert added_text(result, 2) == (
        'client = anthropic.Anthropic(api_key="[REDACTED:anthropic-api-key]")'
    )
    assert "`sk-a…`" in result.findings[0].body  # a masked hint, never the key


@pytest.mark.parametrize(
    "token",
    [
        SLACK,
        fake("xoxp-", 12, string.digits) + fake("-", 12, string.digits) * 2 + fake("-", 32, HEX),
    ],
    ids=["bot", "user"],
)
def test_slack_tokens_are_found(token: str, engine: ProviderEngine) -> None:
    result = scan(one_file("notify.yml", 'channel: "#builds"', f"slack: {token}"), engine)

    assert [(f.line, f.title) for f in result.findings] == [(2, "Secret in the diff: Slack token")]
    assert added_text(result, 2) == "slack: [REDACTED:slack-token]"


def test_json_web_token_is_redacted_with_its_signature(engine: ProviderEngine) -> None:
    claims = base64.urlsafe_b64encode(f'{{"sub":"{fake("", 12)}"}}'.encode()).decode()
    signature = fake("", 43, TOKEN)
    jwt = "eyJhbGciOiJIUzI1NiJ9." + claims.rstrip("=") + "." + signature
    result = scan(
        one_file(
            "tests/fixtures.ts", 'export const user = "ada";', f'export const session = "{jwt}";'
        ),
        engine,
    )

    assert added_text(result, 2) == 'export const session = "[REDACTED:jwt]";'
    assert_nowhere(result, signature)


# --- the misses of the scanner this replaced (issue 10), one test each ------------------------


@pytest.mark.parametrize("provider", ["hubspot", "snyk", "heroku", "opsgenie", "npm"])
def test_uuid_shaped_keys_under_credential_names_are_redacted_and_reported(
    provider: str, engine: ProviderEngine
) -> None:
    key = uuid()
    result = scan(
        one_file(f"config/{provider}.py", f'{provider.upper()}_API_TOKEN = "{key}"'), engine
    )

    assert [f.line for f in result.findings] == [1]
    assert_nowhere(result, key)


@pytest.mark.parametrize(
    ("path", "line"),
    [
        ("app/client.py", 'token = "{S}"'),
        ("app/client.py", 'auth_token = "{S}"'),
        ("src/client.ts", "const apiToken = '{S}';"),
        ("conf/app.xml", "  <token>{S}</token>"),
        ("ci/deploy.yml", "      token: {S}"),
        ("scripts/env.sh", "export API_TOKEN={S}"),
        ("scripts/call.sh", 'curl -H "Authorization: Bearer {S}" https://api.example.com/'),
        ("requests/me.http", "Authorization: Bearer {S}"),
        ("cmd/main.go", "\tapiToken := `{S}`"),
    ],
    ids=["token", "auth_token", "apiToken", "xml", "yaml", "export", "bearer", "http", "go"],
)
def test_values_after_names_outside_detect_secrets_keyword_list_are_found(
    path: str, line: str, engine: ProviderEngine
) -> None:
    value = fake("", 32)
    result = scan(one_file(path, line.replace("{S}", value)), engine)

    assert [f.title for f in result.findings] == ["Secret in the diff: hard-coded credential"]
    assert_nowhere(result, value)


@pytest.mark.parametrize(
    "token",
    [
        fake("dp.pt.", 43),
        fake("pat.", 22, TOKEN) + fake(".", 24) + fake(".", 20),
        fake("", 14) + fake(".atlasv1.", 67, TOKEN),
        fake("sha256~", 43, TOKEN),
    ],
    ids=["doppler", "harness", "terraform", "openshift"],
)
def test_dotted_and_tilde_tokens_are_redacted_whole(token: str, engine: ProviderEngine) -> None:
    result = scan(one_file("deploy.sh", f"run --quiet {token} >/dev/null"), engine)

    assert len(result.findings) == 1
    assert_nowhere(result, token.split(".")[-1], token.split("~")[-1], token[:14])


@pytest.mark.parametrize(
    "value",
    [fake("", 20, string.ascii_letters), fake("", 12, HEX), fake("", 18, string.digits)],
    ids=["letters-only", "short-hex", "digits-only"],
)
def test_keys_of_one_kind_of_character_under_credential_names_are_redacted(
    value: str, engine: ProviderEngine
) -> None:
    result = scan(
        one_file("settings.env", f"SERVICE_API_KEY={value}", f'password: "{value}"'), engine
    )

    assert added_text(result, 1) == "SERVICE_API_KEY=[REDACTED:credential]"
    assert added_text(result, 2) == 'password: "[REDACTED:credential]"'


def test_gitlab_routable_token_is_redacted_past_its_dot(engine: ProviderEngine) -> None:
    token = fake("glpat-", 27) + fake(".", 9, string.ascii_lowercase + string.digits)
    result = scan(
        one_file(
            ".gitlab-ci.yml", f"  - git clone https://oauth2:{token}@gitlab.example.com/g/r.git"
        ),
        engine,
    )

    assert [f.title for f in result.findings] == ["Secret in the diff: GitLab token"]
    assert_nowhere(result, token, token.split(".")[1])


@pytest.mark.parametrize(
    "value",
    [
        "ghp_" + "x" * 36,
        "AKIAIOSFODNN7" + "EXAMPLE",
        "glpat-" + "X" * 20,
        "sk-ant-api03-abc123xyz-456def789ghij-klmnopqrstuvwx-3456yza789bcde-1234fghijklmnop"
        "by56aaaogaopaaaabc123xyzAA",
        "12345678-ABCD-ABCD-ABCD-1234567890AB",
        "550e8400-e29b-41d4-a716-" + "446655440000",
    ],
    ids=["ghp-x", "aws-example", "glpat-X", "anthropic-abc123", "uuid-pattern", "uuid-rfc"],
)
def test_placeholders_and_documented_examples_are_redacted_but_not_reported(
    value: str, engine: ProviderEngine
) -> None:
    result = scan(one_file("docs/setup.py", f'client_secret = "{value}"', f"# or: {value}"), engine)

    assert result.findings == ()
    assert added_text(result, 1) != f'client_secret = "{value}"'


# --- private keys ------------------------------------------------------------------------------


def test_private_key_block_is_redacted_from_begin_to_end_and_reported_once(
    engine: ProviderEngine,
) -> None:
    result = scan(
        one_file(
            "deploy/id_rsa",
            BEGIN_RSA,
            PEM_BODY[0],
            PEM_BODY[1],
            f"  {PEM_BODY[2]}",
            END_RSA,
            "not part",
        ),
        engine,
    )

    assert [(f.line, f.title) for f in result.findings] == [(1, "Secret in the diff: private key")]
    assert [added_text(result, n) for n in range(1, 7)] == [
        "[REDACTED:private-key]",
        "[REDACTED:private-key]",
        "[REDACTED:private-key]",
        "  [REDACTED:private-key]",
        END_RSA,
        "not part",
    ]
    assert_nowhere(result, *PEM_BODY)


def test_private_key_on_one_line_with_escaped_newlines_is_redacted_to_its_end_marker(
    engine: ProviderEngine,
) -> None:
    inline = f"{BEGIN_RSA}\\n{PEM_BODY[0]}\\n{END_RSA}\\n"
    result = scan(
        f"""\
--- a/service-account.json
+++ b/service-account.json
@@ -1,2 +1,3 @@
 {{
+  "private_key": "{inline}",
   "client_email": "bot@example.iam.gserviceaccount.com"
""",
        engine,
    )

    assert added_text(result, 2) == '  "private_key": "[REDACTED:private-key]\\n",'
    assert added_text(result, 3) == '  "client_email": "bot@example.iam.gserviceaccount.com"'
    assert [f.title for f in result.findings] == ["Secret in the diff: private key"]


def test_private_key_body_is_tracked_per_side_and_up_to_the_hunk_end(
    engine: ProviderEngine,
) -> None:
    # The old key is removed without its END line in the hunk: its body runs to the end
    # of the hunk on the old side only, and the added lines in between stay readable.
    result = scan(
        f"""\
--- a/conf/key.pem
+++ b/conf/key.pem
@@ -1,3 +1,2 @@
-{BEGIN_RSA}
+# the key now comes from the vault
-{PEM_BODY[0]}
+path = "secret/deploy"
-{PEM_BODY[1]}
""",
        engine,
    )

    lines = result.diff.files[0].hunks[0].lines
    assert [(line.kind, line.text) for line in lines] == [
        (LineKind.REMOVED, "[REDACTED:private-key]"),
        (LineKind.ADDED, "# the key now comes from the vault"),
        (LineKind.REMOVED, "[REDACTED:private-key]"),
        (LineKind.ADDED, 'path = "secret/deploy"'),
        (LineKind.REMOVED, "[REDACTED:private-key]"),
    ]
    assert [(f.line, f.side, f.severity) for f in result.findings] == [
        (1, Side.LEFT, Severity.MAJOR)
    ]


# --- where the secret is -----------------------------------------------------------------------


def test_secret_on_a_removed_line_is_redacted_and_reported_on_the_left_as_major(
    engine: ProviderEngine,
) -> None:
    result = scan(
        f"""\
--- a/app.py
+++ b/app.py
@@ -5,3 +5,3 @@ def main():
     setup()
-    token = "{GITHUB}"
+    token = os.environ["GITHUB_TOKEN"]
     run(token)
""",
        engine,
    )

    [finding] = result.findings
    assert (finding.line, finding.side, finding.severity) == (6, Side.LEFT, Severity.MAJOR)
    assert "stays in the repository's history" in finding.body
    removed = result.diff.files[0].hunks[0].lines[1]
    assert removed.text == '    token = "[REDACTED:github-token]"'


def test_secret_on_a_context_line_is_redacted_and_reported_on_the_right(
    engine: ProviderEngine,
) -> None:
    result = scan(
        f"""\
--- a/app.py
+++ b/app.py
@@ -20,3 +20,4 @@ class Client:
     key = "{ANTHROPIC}"
+    timeout = 30
     retries = 3
     verbose = False
""",
        engine,
    )

    [finding] = result.findings
    assert (finding.line, finding.side, finding.severity) == (20, Side.RIGHT, Severity.CRITICAL)
    assert "already in the repository" in finding.body
    assert added_text(result, 20) == '    key = "[REDACTED:anthropic-api-key]"'


def test_two_secrets_on_one_line_give_two_findings_with_distinct_fingerprints(
    engine: ProviderEngine,
) -> None:
    other = fake("ghp_", 36)
    result = scan(one_file("tokens.py", f'TOKENS = ["{GITHUB}", "{other}", "{SLACK}"]'), engine)

    assert [f.title for f in result.findings] == [
        "Secret in the diff: GitHub token",
        "Secret in the diff: GitHub token (#2 on this line)",
        "Secret in the diff: Slack token",
    ]
    assert len({f.fingerprint() for f in result.findings}) == 3
    assert added_text(result, 1) == (
        'TOKENS = ["[REDACTED:github-token]", "[REDACTED:github-token]", "[REDACTED:slack-token]"]'
    )


def test_the_same_secret_twice_on_a_line_is_one_finding_and_both_are_redacted(
    engine: ProviderEngine,
) -> None:
    result = scan(one_file("run.sh", f"A={GITHUB} B={GITHUB}"), engine)

    assert len(result.findings) == 1
    assert added_text(result, 1) == "A=[REDACTED:github-token] B=[REDACTED:github-token]"


def test_unicode_around_a_secret_is_kept_exactly(engine: ProviderEngine) -> None:
    result = scan(
        one_file("i18n.py", "# İstanbul ключ 🔑", f'clé = "{GITHUB}"  # ключ 🔑 naïve İ'), engine
    )

    assert added_text(result, 2) == 'clé = "[REDACTED:github-token]"  # ключ 🔑 naïve İ'
    assert len(result.findings) == 1


def test_crlf_line_is_scanned_and_redacted(engine: ProviderEngine) -> None:
    text = f"--- a/win.ini\r\n+++ b/win.ini\r\n@@ -1 +1,2 @@\r\n [auth]\r\n+slack = {SLACK}\r\n"
    result = scan(text, engine)

    assert [(f.line, f.title) for f in result.findings] == [(2, "Secret in the diff: Slack token")]
    assert added_text(result, 2) == "slack = [REDACTED:slack-token]"


def test_secret_in_a_hunk_header_is_redacted_and_reported_for_the_file(
    engine: ProviderEngine,
) -> None:
    result = scan(
        f"""\
--- a/settings.py
+++ b/settings.py
@@ -40,2 +40,3 @@ API_TOKEN = "{GITHUB}"
 DEBUG = False
+LOG_LEVEL = "info"
 TIMEOUT = 5
@@ -60,2 +61,3 @@ API_TOKEN = "{GITHUB}"
 RETRIES = 3
+BACKOFF = 2
 JITTER = True
""",
        engine,
    )

    sections = [hunk.section for hunk in result.diff.files[0].hunks]
    assert sections == ['API_TOKEN = "[REDACTED:github-token]"'] * 2
    [finding] = result.findings  # once per file, not once per header
    assert (finding.line, finding.title) == (
        None,
        "Secret in the diff: GitHub token (in a hunk header)",
    )


# --- heuristics --------------------------------------------------------------------------------


def test_generated_password_is_reported_and_a_typed_one_only_redacted(
    engine: ProviderEngine,
) -> None:
    result = scan(
        one_file("db.py", 'HOST = "db"', f'password = "{PASSWORD}"', 'DB_PASS = "hunter22"'), engine
    )

    assert [(f.line, f.title) for f in result.findings] == [
        (2, "Secret in the diff: hard-coded credential")
    ]
    assert added_text(result, 2) == 'password = "[REDACTED:credential]"'
    assert added_text(result, 3) == 'DB_PASS = "[REDACTED:credential]"'
    assert "pragma: allowlist secret" in result.findings[0].body


def test_unquoted_value_in_a_dotenv_file_is_found(engine: ProviderEngine) -> None:
    result = scan(one_file(".env.local", "PORT=8080", f"API_KEY={PASSWORD}"), engine)

    assert [f.title for f in result.findings] == ["Secret in the diff: hard-coded credential"]
    assert added_text(result, 2) == "API_KEY=[REDACTED:credential]"


def test_password_in_a_url_is_found(engine: ProviderEngine) -> None:
    result = scan(
        one_file("app.cfg", f"DATABASE_URL = postgres://app:{PASSWORD}@db:5432/app"), engine
    )

    assert [f.title for f in result.findings] == ["Secret in the diff: password in a URL"]
    assert added_text(result, 1) == (
        "DATABASE_URL = postgres://app:[REDACTED:url-password]@db:5432/app"
    )


def test_dense_string_without_a_name_is_redacted_but_not_reported(engine: ProviderEngine) -> None:
    blob = fake("", 48, ALNUM + "+/")
    result = scan(
        one_file("client.py", f'SIGNER = hmac.new(b"k", b"m").hexdigest() or "{blob}"'), engine
    )

    assert result.findings == ()
    assert_nowhere(result, blob)


# A small PNG as a test suite would embed it: random pixels make it as dense as a key.
PNG_FIXTURE = base64.b64encode(
    b"\x89PNG\r\n\x1a\n" + bytes(_RANDOM.randrange(256) for _ in range(96))
).decode()
ORDINARY = f"""\
--- a/src/lib.py
+++ b/src/lib.py
@@ -1,2 +1,22 @@
 import os
+# regression from 3f786850e387550fdab836ed7e6dc881de23001b, see #1234
+PINNED = "3f786850e387550fdab836ed7e6dc881de23001b"
+REQUEST_ID = "{uuid()}"
+HANDLER = "getUserAccountPreferencesByOrganizationIdentifierAsync"
+def getUserAccountPreferencesByOrganizationIdentifierAsync(): pass
+PIXEL = "{PNG_FIXTURE}"
+INTEGRITY = "sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC"
+password = os.environ["DB_PASSWORD"]
+secret_type = "Anthropic API Key"
+api_key = "your-api-key-here"
+secret_label = "Deploy key 2"
+token_type = "bearer"
+max_tokens = 4096
+def login(password, token=None): return check(password, token)
+if password1 != password2: raise ValueError("passwords differ")
+fields = ("username", "password1", "password2")
+key = cache_key(user)
+DATABASE_URL = "postgres://app:$DB_PASSWORD_2@db/app"
+DOCS_URL = "https://user:<your-pass-2>@example.com"
+ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
 DEBUG = False
--- a/.github/workflows/ci.yml
+++ b/.github/workflows/ci.yml
@@ -1 +1,4 @@
 env:
+  password: ${{{{ secrets.DB_PASSWORD }}}}
+  api_key: lookup(vault_kv2)
+  token: "{{{{ .Values.token }}}}"
"""


def test_ordinary_code_gives_no_findings_and_is_sent_unchanged(engine: ProviderEngine) -> None:
    # A git SHA (in a comment or quoted), a UUID, long identifiers, a base64 PNG test
    # fixture, an SRI digest, references, templates, placeholders, code, sequences.
    diff = parse_diff(ORDINARY)
    result = scan_diff(diff, engine=engine)

    assert result.findings == ()
    assert result.diff == diff
    assert all(new is old for new, old in zip(result.diff.files, diff.files, strict=True))


def test_public_values_that_look_like_keys_are_not_reported(engine: ProviderEngine) -> None:
    # Dense enough to be redacted without a name, but never reported.
    result = scan(
        one_file(
            "keys/server.py", f'public_key = "{fake("", 43)}"', f'PUBLISHABLE = "{fake("", 43)}"'
        ),
        engine,
    )

    assert result.findings == ()


def test_allowlist_pragma_marks_a_false_positive(engine: ProviderEngine) -> None:
    result = scan(
        one_file(
            "tests/test_login.py",
            "import login",
            f'FIXTURE_PASSWORD = "{PASSWORD}"  # pragma: allowlist secret',
            "# pragma: allowlist nextline secret",
            f'OTHER_PASSWORD = "{PASSWORD}"',
        ),
        engine,
    )

    assert result.findings == ()
    assert added_text(result, 2) == f'FIXTURE_PASSWORD = "{PASSWORD}"  # pragma: allowlist secret'
    assert added_text(result, 4) == f'OTHER_PASSWORD = "{PASSWORD}"'


# --- the whole diff ----------------------------------------------------------------------------

EVERYTHING = f"""\
diff --git a/app/config.py b/app/config.py
--- a/app/config.py
+++ b/app/config.py
@@ -1,4 +1,10 @@ SECRET = "{SLACK}"
 import os
-OLD = "{GITHUB}"
+AWS = {{"key_id": "{AWS_KEY_ID}", "aws_secret_access_key": "{AWS_SECRET}"}}
+ANTHROPIC_KEY = "{ANTHROPIC}"
+password = "{PASSWORD}"
+PEM = \"\"\"{BEGIN_RSA}
+{PEM_BODY[0]}
+{PEM_BODY[1]}
+{END_RSA}\"\"\"
 KEEP = "{PEM_BODY[2]}"
 DEBUG = False
diff --git a/README.md b/README.md
--- a/README.md
+++ b/README.md
@@ -1 +1,2 @@
 # app
+Run it.
"""
PLANTED = (SLACK, GITHUB, AWS_KEY_ID, AWS_SECRET, ANTHROPIC, PASSWORD, *PEM_BODY)


def test_no_detected_secret_is_left_anywhere_in_the_redacted_diff(engine: ProviderEngine) -> None:
    diff = parse_diff(EVERYTHING)
    before = list(line_texts(diff))
    assert all(any(value in text for text in before) for value in PLANTED)

    result = scan_diff(diff, engine=engine)

    assert_nowhere(result, *PLANTED)
    assert_not_disclosed(result.findings, *PLANTED)
    assert result.diff.files[1] is diff.files[1]  # a file without secrets is passed through
    assert {f.title.removeprefix("Secret in the diff: ") for f in result.findings} == {
        "Slack token (in a hunk header)",
        "GitHub token",
        "AWS access key ID",
        "hard-coded credential",
        "Anthropic API key",
        "private key",
    }
    for finding in result.findings:
        assert "NOT sent" in finding.body
        assert "revoke or rotate" in finding.body
        assert "history" in finding.body


def test_a_large_diff_is_scanned_whole_in_batches_with_progress(engine: ProviderEngine) -> None:
    # No timing assertion: this makes sure a large diff goes through; speed is benchmarked.
    body = []
    for number in range(1, 100_001):
        if number % 20_000 == 0:
            body.append(f'+TOKEN_{number} = "{fake("ghp_", 36)}"')
        else:
            body.append(f"+    total += compute(item_{number}, factor={number % 7})")
    text = "--- /dev/null\n+++ b/big.py\n@@ -0,0 +1,100000 @@\n" + "\n".join(body) + "\n"
    diff = parse_diff(text)
    progress: list[tuple[int, int]] = []

    result = scan_diff(
        diff, engine=engine, on_progress=lambda done, total: progress.append((done, total))
    )

    assert [f.line for f in result.findings] == [20_000, 40_000, 60_000, 80_000, 100_000]
    assert added_text(result, 60_000) == 'TOKEN_60000 = "[REDACTED:github-token]"'
    assert progress[-1] == (100_001, 100_001)  # every line, and the hunk header


def test_progress_is_reported_after_each_batch_of_files(engine: ProviderEngine) -> None:
    files = "".join(
        one_file(f"src/module_{n}.py", *(f"value_{i} = {i}" for i in range(5_000)))
        for n in range(20)
    )
    progress: list[tuple[int, int]] = []

    scan_diff(parse_diff(files), engine=engine, on_progress=lambda d, t: progress.append((d, t)))

    assert len(progress) > 1
    assert [done for done, _ in progress] == sorted({done for done, _ in progress})
    assert {total for _, total in progress} == {20 * 5_001}
    assert progress[-1][0] == 20 * 5_001


# --- free text ---------------------------------------------------------------------------------


def test_redact_text_redacts_free_text_and_counts(engine: ProviderEngine) -> None:
    description = (
        f"Rotates the bot token.\r\nOld one was {GITHUB} (revoked).\r\n"
        f"Config:\n    DEPLOY_PASSWORD: {PASSWORD}\n{BEGIN_RSA}\n{PEM_BODY[0]}\n{END_RSA}\nThanks"
    )

    text, count = redact_text(description, engine=engine)

    assert count == 3  # the token, the password and the key (once)
    assert text == (
        "Rotates the bot token.\r\nOld one was [REDACTED:github-token] (revoked).\r\n"
        f"Config:\n    DEPLOY_PASSWORD: [REDACTED:credential]\n[REDACTED:private-key]\n"
        f"[REDACTED:private-key]\n{END_RSA}\nThanks"
    )


def test_redact_text_reads_bare_values_in_prose_as_values(engine: ProviderEngine) -> None:
    # In code ``password = password2`` names a variable; in a description it is a value.
    text, count = redact_text("Log in with\npassword: hunter22\nthen run it.", engine=engine)

    assert (text, count) == ("Log in with\npassword: [REDACTED:credential]\nthen run it.", 1)


def test_redact_text_leaves_clean_text_alone(engine: ProviderEngine) -> None:
    text = "Fix the password reset form: the secret question was not saved.\n"
    assert redact_text(text, engine=engine) == (text, 0)


def test_redact_text_covers_tool_results_and_thread_text(engine: ProviderEngine) -> None:
    key = uuid()
    thread = f"> could you check `HEROKU_API_KEY={key}`?\nSure: Authorization: Bearer {PASSWORD}"

    text, count = redact_text(thread, engine=engine)

    assert count == 2
    assert key not in text
    assert PASSWORD not in text


# --- engines -----------------------------------------------------------------------------------


def test_rule_engine_that_fails_to_load_leaves_our_layers_working() -> None:
    def broken() -> object:
        raise OSError("vectorscan: unsupported CPU")

    engine = KingfisherEngine(broken, "0.0")  # type: ignore[arg-type]
    result = scan(one_file("ci.sh", f"export GITHUB_TOKEN={GITHUB}"), engine)

    assert [f.title for f in result.findings] == ["Secret in the diff: GitHub token"]


def test_without_the_rule_engine_package_our_layers_are_chosen(tmp_path: Path) -> None:
    # What a platform without a wheel looks like: importing the package fails.
    blocker = tmp_path / "kingfisher_sdk"
    blocker.mkdir()
    (blocker / "__init__.py").write_text("raise ImportError('no wheel for this platform')\n")
    probe = (
        "from reviewer.secrets.engines import default_engine\n"
        "from reviewer.secrets import redact_text\n"
        f"print(default_engine().identity, redact_text('token {GITHUB}')[1])\n"
    )
    root = Path(__file__).resolve().parent.parent
    completed = subprocess.run(
        [sys.executable, "-c", probe],
        env={"PYTHONPATH": f"{tmp_path}:{root}", "PATH": ""},
        capture_output=True,
        text=True,
        check=True,
    )

    assert completed.stdout.split() == ["own-layers", "1"]


def test_scanner_version_names_our_layers_and_the_rule_engine() -> None:
    version = scanner_version()

    if isinstance(default_engine(), KingfisherEngine):
        assert re.fullmatch(r"2\+kingfisher-1\.\d+\.\d+", version), version
    else:
        assert version == "2+own-layers"
