"""Secrets are found, redacted in everything sent to the model, and reported locally.

The fake secrets are generated at run time from a seeded generator, so that this file
holds no string a secret scanner (ours included) would flag.
"""

from __future__ import annotations

import base64
import random
import string
from collections.abc import Iterator

import pytest

from reviewer.diff import Diff, LineKind, parse_diff
from reviewer.secrets import SecretScan, redact_text, scan_diff
from reviewer.values import Finding, Severity, Side

_RANDOM = random.Random(20240611)
ALNUM = string.ascii_letters + string.digits


def fake(prefix: str, length: int, alphabet: str = ALNUM) -> str:
    return prefix + "".join(_RANDOM.choice(alphabet) for _ in range(length))


AWS_KEY_ID = fake("AKIA", 16, string.ascii_uppercase + string.digits)
AWS_SECRET = fake("", 40, ALNUM + "/+")
GITHUB = fake("ghp_", 36)
ANTHROPIC = fake("sk-ant-api03-", 93, ALNUM + "_-") + "AA"
SLACK = fake("xoxb-", 12, string.digits) + fake("-", 13, string.digits) + fake("-", 24)
PASSWORD = "Xk8pQ2vL9zR4mWq7"
PEM_BODY = tuple(fake("", 64, ALNUM + "+/") for _ in range(3))
BEGIN_RSA = "-----BEGIN RSA " + "PRIVATE KEY-----"
END_RSA = "-----END RSA " + "PRIVATE KEY-----"


def line_texts(diff: Diff) -> Iterator[str]:
    """Every text of the diff that is sent: hunk headers and lines of all kinds."""
    for file in diff.files:
        for hunk in file.hunks:
            yield hunk.section
            for line in hunk.lines:
                yield line.text


def assert_nowhere(scan: SecretScan, *values: str) -> None:
    for text in line_texts(scan.diff):
        for value in values:
            assert value not in text


def assert_not_disclosed(findings: tuple[Finding, ...], *values: str) -> None:
    """No finding carries a value, nor any 8-character piece of it."""
    for finding in findings:
        said = finding.title + "\n" + finding.body
        for value in values:
            pieces = {value[i : i + 8] for i in range(len(value) - 7)}
            assert not any(piece in said for piece in pieces), finding


def added_text(scan: SecretScan, number: int) -> str:
    file = scan.diff.files[0]
    hunk = file.hunk_for(number, Side.RIGHT)
    assert hunk is not None
    line = hunk.line_at(number, Side.RIGHT)
    assert line is not None
    return line.text


# --- the kinds of secret -----------------------------------------------------------------------


def test_aws_key_id_and_secret_key_are_found_on_their_lines_and_redacted() -> None:
    diff = parse_diff(f"""\
--- a/deploy/settings.py
+++ b/deploy/settings.py
@@ -10,2 +10,4 @@ import os
 REGION = "eu-west-1"
+aws_access_key_id = "{AWS_KEY_ID}"
+aws_secret_access_key = "{AWS_SECRET}"
 BUCKET = "assets"
""")
    scan = scan_diff(diff)

    assert [(f.line, f.side, f.severity, f.title) for f in scan.findings] == [
        (11, Side.RIGHT, Severity.CRITICAL, "Secret in the diff: AWS access key ID"),
        (12, Side.RIGHT, Severity.CRITICAL, "Secret in the diff: AWS secret access key"),
    ]
    assert all(f.category == "security" and f.origin == "secrets" for f in scan.findings)
    assert added_text(scan, 11) == 'aws_access_key_id = "[REDACTED:aws-access-key]"'
    assert added_text(scan, 12) == 'aws_secret_access_key = "[REDACTED:aws-secret-key]"'
    assert_not_disclosed(scan.findings, AWS_KEY_ID, AWS_SECRET)


@pytest.mark.parametrize(
    "token",
    [
        *(fake(f"{prefix}_", 36) for prefix in ("ghp", "gho", "ghu", "ghs", "ghr")),
        fake("github_pat_", 22) + fake("_", 59),
    ],
    ids=["ghp", "gho", "ghu", "ghs", "ghr", "github_pat"],
)
def test_github_tokens_of_every_prefix_are_redacted_whole(token: str) -> None:
    diff = parse_diff(f"""\
--- a/ci/publish.sh
+++ b/ci/publish.sh
@@ -1 +1,2 @@
 set -eu
+curl -H "Authorization: token {token}" https://ghe.example.com/api/v3/user
""")
    scan = scan_diff(diff)

    assert [(f.line, f.title) for f in scan.findings] == [(2, "Secret in the diff: GitHub token")]
    expected = (
        'curl -H "Authorization: token [REDACTED:github-token]" https://ghe.example.com/api/v3/user'
    )
    assert added_text(scan, 2) == expected


@pytest.mark.parametrize(
    "key",
    [ANTHROPIC, fake("sk-ant-admin01-", 93, ALNUM + "_-") + "AA"],
    ids=["api", "admin"],
)
def test_anthropic_keys_are_found(key: str) -> None:
    diff = parse_diff(f"""\
--- a/bot.py
+++ b/bot.py
@@ -1 +1,2 @@
 import anthropic
+client = anthropic.Anthropic(api_key="{key}")
""")
    scan = scan_diff(diff)

    assert [f.title for f in scan.findings] == ["Secret in the diff: Anthropic API key"]
    assert (
        added_text(scan, 2)
        == 'client = anthropic.Anthropic(api_key="[REDACTED:anthropic-api-key]")'
    )
    assert "`sk-a…`" in scan.findings[0].body  # a masked hint, never the key


@pytest.mark.parametrize("prefix", ["xoxb-", "xoxp-"])
def test_slack_tokens_are_found(prefix: str) -> None:
    token = fake(prefix, 12, string.digits) + fake("-", 13, string.digits) + fake("-", 24)
    diff = parse_diff(f"""\
--- a/notify.yml
+++ b/notify.yml
@@ -1 +1,2 @@
 channel: "#builds"
+token: {token}
""")
    scan = scan_diff(diff)

    assert [(f.line, f.title) for f in scan.findings] == [(2, "Secret in the diff: Slack token")]
    assert added_text(scan, 2) == "token: [REDACTED:slack-token]"


def test_gitlab_token_is_redacted_whole_although_detect_secrets_reports_its_prefix() -> None:
    token = fake("glpat-", 20)
    diff = parse_diff(f"""\
--- a/.gitlab-ci.yml
+++ b/.gitlab-ci.yml
@@ -1 +1,2 @@
 stages: [build]
+  - git clone https://oauth2:{token}@gitlab.example.com/group/repo.git
""")
    scan = scan_diff(diff)

    assert [f.title for f in scan.findings] == ["Secret in the diff: GitLab token"]
    assert_nowhere(scan, token, token[6:])


def test_json_web_token_is_redacted_with_its_signature() -> None:
    claims = base64.urlsafe_b64encode(f'{{"sub":"{fake("", 12)}"}}'.encode()).decode()
    signature = fake("", 43, ALNUM + "_-")
    jwt = "eyJhbGciOiJIUzI1NiJ9." + claims.rstrip("=") + "." + signature
    diff = parse_diff(f"""\
--- a/tests/fixtures.ts
+++ b/tests/fixtures.ts
@@ -1 +1,2 @@
 export const user = "ada";
+export const session = "{jwt}";
""")
    scan = scan_diff(diff)

    assert added_text(scan, 2) == 'export const session = "[REDACTED:jwt]";'
    assert_nowhere(scan, signature)


# --- private keys ------------------------------------------------------------------------------


def test_private_key_block_is_redacted_from_begin_to_end_and_reported_once() -> None:
    diff = parse_diff(f"""\
--- /dev/null
+++ b/deploy/id_rsa
@@ -0,0 +1,6 @@
+{BEGIN_RSA}
+{PEM_BODY[0]}
+{PEM_BODY[1]}
+  {PEM_BODY[2]}
+{END_RSA}
+not part of the key
""")
    scan = scan_diff(diff)

    assert [(f.line, f.title) for f in scan.findings] == [(1, "Secret in the diff: private key")]
    assert [added_text(scan, n) for n in range(1, 7)] == [
        "[REDACTED:private-key]",
        "[REDACTED:private-key]",
        "[REDACTED:private-key]",
        "  [REDACTED:private-key]",
        END_RSA,
        "not part of the key",
    ]
    assert_nowhere(scan, *PEM_BODY)


def test_private_key_on_one_line_with_escaped_newlines_is_redacted_to_its_end_marker() -> None:
    inline = f"{BEGIN_RSA}\\n{PEM_BODY[0]}\\n{END_RSA}\\n"
    diff = parse_diff(f"""\
--- a/service-account.json
+++ b/service-account.json
@@ -1,2 +1,3 @@
 {{
+  "private_key": "{inline}",
   "client_email": "bot@example.iam.gserviceaccount.com"
""")
    scan = scan_diff(diff)

    assert added_text(scan, 2) == '  "private_key": "[REDACTED:private-key]\\n",'
    assert added_text(scan, 3) == '  "client_email": "bot@example.iam.gserviceaccount.com"'
    assert len(scan.findings) == 1


def test_private_key_body_is_tracked_per_side_and_up_to_the_hunk_end() -> None:
    # The old key is removed without its END line in the hunk: its body runs to the end
    # of the hunk on the old side only, and the added lines in between stay readable.
    diff = parse_diff(f"""\
--- a/conf/key.pem
+++ b/conf/key.pem
@@ -1,3 +1,2 @@
-{BEGIN_RSA}
+# the key now comes from the vault
-{PEM_BODY[0]}
+path = "secret/deploy"
-{PEM_BODY[1]}
""")
    scan = scan_diff(diff)

    lines = scan.diff.files[0].hunks[0].lines
    assert [(line.kind, line.text) for line in lines] == [
        (LineKind.REMOVED, "[REDACTED:private-key]"),
        (LineKind.ADDED, "# the key now comes from the vault"),
        (LineKind.REMOVED, "[REDACTED:private-key]"),
        (LineKind.ADDED, 'path = "secret/deploy"'),
        (LineKind.REMOVED, "[REDACTED:private-key]"),
    ]
    assert [(f.line, f.side, f.severity) for f in scan.findings] == [(1, Side.LEFT, Severity.MAJOR)]


# --- where the secret is -----------------------------------------------------------------------


def test_secret_on_a_removed_line_is_redacted_and_reported_on_the_left_as_major() -> None:
    diff = parse_diff(f"""\
--- a/app.py
+++ b/app.py
@@ -5,3 +5,3 @@ def main():
     setup()
-    token = "{GITHUB}"
+    token = os.environ["GITHUB_TOKEN"]
     run(token)
""")
    scan = scan_diff(diff)

    [finding] = scan.findings
    assert (finding.line, finding.side, finding.severity) == (6, Side.LEFT, Severity.MAJOR)
    assert "stays in the repository's history" in finding.body
    removed = scan.diff.files[0].hunks[0].lines[1]
    assert removed.text == '    token = "[REDACTED:github-token]"'


def test_secret_on_a_context_line_is_redacted_and_reported_on_the_right() -> None:
    diff = parse_diff(f"""\
--- a/app.py
+++ b/app.py
@@ -20,3 +20,4 @@ class Client:
     key = "{ANTHROPIC}"
+    timeout = 30
     retries = 3
     verbose = False
""")
    scan = scan_diff(diff)

    [finding] = scan.findings
    assert (finding.line, finding.side, finding.severity) == (20, Side.RIGHT, Severity.CRITICAL)
    assert "already in the repository" in finding.body
    assert added_text(scan, 20) == '    key = "[REDACTED:anthropic-api-key]"'


def test_two_secrets_on_one_line_give_two_findings_with_distinct_fingerprints() -> None:
    other = fake("ghp_", 36)
    diff = parse_diff(f"""\
--- a/tokens.py
+++ b/tokens.py
@@ -1 +1,2 @@
 TOKENS = {{}}
+TOKENS = ["{GITHUB}", "{other}", "{SLACK}"]
""")
    scan = scan_diff(diff)

    assert [f.title for f in scan.findings] == [
        "Secret in the diff: GitHub token",
        "Secret in the diff: GitHub token (#2 on this line)",
        "Secret in the diff: Slack token",
    ]
    assert len({f.fingerprint() for f in scan.findings}) == 3
    assert added_text(scan, 2) == (
        'TOKENS = ["[REDACTED:github-token]", "[REDACTED:github-token]", "[REDACTED:slack-token]"]'
    )


def test_the_same_secret_twice_on_a_line_is_one_finding_and_both_are_redacted() -> None:
    diff = parse_diff(f"""\
--- a/run.sh
+++ b/run.sh
@@ -1 +1,2 @@
 set -eu
+A={GITHUB} B={GITHUB}
""")
    scan = scan_diff(diff)

    assert len(scan.findings) == 1
    assert added_text(scan, 2) == "A=[REDACTED:github-token] B=[REDACTED:github-token]"


def test_unicode_around_a_secret_is_kept_exactly() -> None:
    diff = parse_diff(f"""\
--- a/i18n.py
+++ b/i18n.py
@@ -1 +1,2 @@
 # -*- coding: utf-8 -*-
+clé = "{GITHUB}"  # ключ 🔑 naïve
""")
    scan = scan_diff(diff)

    assert added_text(scan, 2) == 'clé = "[REDACTED:github-token]"  # ключ 🔑 naïve'
    assert len(scan.findings) == 1


def test_crlf_line_is_scanned_and_redacted() -> None:
    text = f"--- a/win.ini\r\n+++ b/win.ini\r\n@@ -1 +1,2 @@\r\n [auth]\r\n+slack = {SLACK}\r\n"
    scan = scan_diff(parse_diff(text))

    assert [(f.line, f.title) for f in scan.findings] == [(2, "Secret in the diff: Slack token")]
    assert added_text(scan, 2) == "slack = [REDACTED:slack-token]"


def test_secret_in_a_hunk_header_is_redacted_and_reported_for_the_file() -> None:
    diff = parse_diff(f"""\
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
""")
    scan = scan_diff(diff)

    sections = [hunk.section for hunk in scan.diff.files[0].hunks]
    assert sections == ['API_TOKEN = "[REDACTED:github-token]"'] * 2
    [finding] = scan.findings  # once per file, not once per header
    assert (finding.line, finding.title) == (
        None,
        "Secret in the diff: GitHub token (in a hunk header)",
    )


# --- heuristics --------------------------------------------------------------------------------


def test_generated_password_assigned_to_a_credential_name_is_found() -> None:
    diff = parse_diff(f"""\
--- a/db.py
+++ b/db.py
@@ -1 +1,3 @@
 HOST = "db"
+password = "{PASSWORD}"
+DB_PASS = "changeme"
""")
    scan = scan_diff(diff)

    assert [(f.line, f.title) for f in scan.findings] == [
        (2, "Secret in the diff: hard-coded credential")
    ]
    assert added_text(scan, 2) == 'password = "[REDACTED:credential]"'
    assert added_text(scan, 3) == 'DB_PASS = "changeme"'  # a placeholder, sent as it is
    assert "pragma: allowlist secret" in scan.findings[0].body


def test_unquoted_value_in_a_dotenv_file_is_found() -> None:
    diff = parse_diff(f"""\
--- a/.env.local
+++ b/.env.local
@@ -1 +1,2 @@
 PORT=8080
+API_KEY={PASSWORD}
""")
    scan = scan_diff(diff)

    assert [f.title for f in scan.findings] == ["Secret in the diff: hard-coded credential"]
    assert added_text(scan, 2) == "API_KEY=[REDACTED:credential]"


def test_high_entropy_string_without_a_name_is_found() -> None:
    blob = fake("", 48, ALNUM + "+/")
    diff = parse_diff(f"""\
--- a/client.py
+++ b/client.py
@@ -1 +1,2 @@
 import hmac
+SIGNER = hmac.new(b"k", b"m").hexdigest() or "{blob}"
""")
    scan = scan_diff(diff)

    assert [f.title for f in scan.findings] == [
        "Secret in the diff: high-entropy string (likely a key or token)"
    ]
    assert_nowhere(scan, blob)


# A small PNG as a test suite would embed it: random pixels make it as dense as a key.
PNG_FIXTURE = base64.b64encode(
    b"\x89PNG\r\n\x1a\n" + bytes(_RANDOM.randrange(256) for _ in range(96))
).decode()
ORDINARY = f"""\
--- a/src/lib.py
+++ b/src/lib.py
@@ -1,2 +1,19 @@
 import os
+# regression from 3f786850e387550fdab836ed7e6dc881de23001b, see #1234
+PINNED = "3f786850e387550fdab836ed7e6dc881de23001b"
+REQUEST_ID = "550e8400-e29b-41d4-a716-446655440000"
+HANDLER = "getUserAccountPreferencesByOrganizationIdentifierAsync"
+def getUserAccountPreferencesByOrganizationIdentifierAsync(): pass
+PIXEL = "{PNG_FIXTURE}"
+INTEGRITY = "sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC"
+password = os.environ["DB_PASSWORD"]
+secret_type = "Anthropic API Key"
+api_key = "your-api-key-here"
+PASSWORD = "test1234"
+secret_label = "Deploy key 2"
+secret_id = "k8s4prod9x2"
+client_secret = "550e8400-e29b-41d4-a716-446655440000"
+DATABASE_URL = "postgres://app:$DB_PASSWORD_2@db/app"
+DOCS_URL = "https://user:<your-pass-2>@example.com"
+ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
 DEBUG = False
--- a/.github/workflows/ci.yml
+++ b/.github/workflows/ci.yml
@@ -1 +1,3 @@
 env:
+  password: ${{{{ secrets.DB_PASSWORD }}}}
+  api_key: lookup(vault_kv2)
"""


def test_ordinary_code_gives_no_findings_and_is_sent_unchanged() -> None:
    # A git SHA (in a comment or quoted), a UUID, a long identifier, a base64 PNG test
    # fixture, an SRI digest, indirect and templated values, placeholders, sequences.
    diff = parse_diff(ORDINARY)
    scan = scan_diff(diff)

    assert scan.findings == ()
    assert scan.diff == diff
    assert all(new is old for new, old in zip(scan.diff.files, diff.files, strict=True))


def test_allowlist_pragma_marks_a_false_positive() -> None:
    diff = parse_diff(f"""\
--- a/tests/test_login.py
+++ b/tests/test_login.py
@@ -1 +1,4 @@
 import login
+FIXTURE_PASSWORD = "{PASSWORD}"  # pragma: allowlist secret
+# pragma: allowlist nextline secret
+OTHER_PASSWORD = "{PASSWORD}"
""")
    scan = scan_diff(diff)

    assert scan.findings == ()
    assert added_text(scan, 2) == f'FIXTURE_PASSWORD = "{PASSWORD}"  # pragma: allowlist secret'


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


def test_no_detected_secret_is_left_anywhere_in_the_redacted_diff() -> None:
    diff = parse_diff(EVERYTHING)
    before = list(line_texts(diff))
    assert all(any(value in text for text in before) for value in PLANTED)

    scan = scan_diff(diff)

    assert_nowhere(scan, *PLANTED)
    assert_not_disclosed(scan.findings, *PLANTED)
    assert scan.diff.files[1] is diff.files[1]  # a file without secrets is passed through
    assert {f.title.removeprefix("Secret in the diff: ") for f in scan.findings} == {
        "Slack token (in a hunk header)",
        "GitHub token",
        "AWS access key ID",
        "AWS secret access key",
        "Anthropic API key",
        "hard-coded credential",
        "private key",
        "high-entropy string (likely a key or token)",
    }
    for finding in scan.findings:
        assert "NOT sent" in finding.body
        assert "revoke or rotate" in finding.body
        assert "history" in finding.body


def test_a_5000_line_diff_is_scanned_whole() -> None:
    # No timing assertion: this makes sure a large diff goes through; speed is benchmarked.
    body = []
    for number in range(1, 5001):
        if number % 1000 == 0:
            body.append(f'+TOKEN_{number} = "{fake("ghp_", 36)}"')
        else:
            body.append(f"+    total += compute(item_{number}, factor={number % 7})")
    text = "--- /dev/null\n+++ b/big.py\n@@ -0,0 +1,5000 @@\n" + "\n".join(body) + "\n"

    scan = scan_diff(parse_diff(text))

    assert [f.line for f in scan.findings] == [1000, 2000, 3000, 4000, 5000]
    assert added_text(scan, 3000) == 'TOKEN_3000 = "[REDACTED:github-token]"'


# --- free text ---------------------------------------------------------------------------------


def test_redact_text_redacts_free_text_and_counts() -> None:
    description = (
        f"Rotates the bot token.\r\nOld one was {GITHUB} (revoked).\r\n"
        f"Config:\n    DEPLOY_PASSWORD: {PASSWORD}\n{BEGIN_RSA}\n{PEM_BODY[0]}\n{END_RSA}\nThanks"
    )

    text, count = redact_text(description)

    assert count == 3  # the token, the password and the key (once)
    assert text == (
        "Rotates the bot token.\r\nOld one was [REDACTED:github-token] (revoked).\r\n"
        f"Config:\n    DEPLOY_PASSWORD: [REDACTED:credential]\n[REDACTED:private-key]\n"
        f"[REDACTED:private-key]\n{END_RSA}\nThanks"
    )


def test_redact_text_leaves_clean_text_alone() -> None:
    text = "Fix the password reset form: the secret question was not saved.\n"
    assert redact_text(text) == (text, 0)


# --- detect-secrets' global state --------------------------------------------------------------


def test_detect_secrets_global_settings_are_restored_and_not_used() -> None:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.settings import get_plugins, get_settings, transient_settings

    # The caller's own configuration, including the verification policy that makes
    # plugins call the issuer's API: none of it must apply inside our scan (a network
    # call would fail this test, sockets are disabled), and all of it must come back.
    callers = {
        "plugins_used": [{"name": "IPPublicDetector"}],
        "filters_used": [
            {
                "path": "detect_secrets.filters.common.is_ignored_due_to_verification_policies",
                "min_level": 2,
            }
        ],
    }
    with transient_settings(callers):
        before = get_settings().json()

        scan = scan_diff(parse_diff(EVERYTHING))
        redact_text(f"token {SLACK}")

        assert get_settings().json() == before
        assert [type(plugin).__name__ for plugin in get_plugins()] == ["IPPublicDetector"]
    assert len(scan.findings) == 8  # IPPublicDetector was not used: no address findings
    assert "Anthropic API Key" not in get_mapping_from_secret_type_to_class()
