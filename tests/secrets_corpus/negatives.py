"""What must not be reported: the kinds of false positive gitleaks and trufflehog list.

Templates use the generator's shape syntax (``{uuid}``, ``{hex:40}``, ``{an:16}``;
``{{``/``}}`` for braces), so values that look random are new in every corpus.
Placeholders and sequences of each provider's own format are made from its family
in `reviewer`'s corpus builder (`tests.secrets_corpus.corpus`); the documented
examples below are the providers' published example values, quoted as facts.
"""

from __future__ import annotations

# (category, path, template)
NEGATIVES: tuple[tuple[str, str, str], ...] = (
    # Documented example keys: from the providers' own documentation.
    ("documented", "docs/aws.md", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"),
    (
        "documented",
        "docs/aws-secret.ini",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
    ),
    (
        "documented",
        "docs/jwt.md",
        "token: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6Ikpv"
        "aG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c\n",
    ),
    ("documented", "docs/oauth.yml", "client_secret: 550e8400-e29b-41d4-a716-446655440000\n"),
    ("documented", "docs/api.py", "api_token = '123e4567-e89b-12d3-a456-426614174000'\n"),
    ("documented", "docs/stripe.py", "stripe.api_key = 'sk_test_4eC39HqLyjWDarjtT1zdp7dc'\n"),
    (
        "documented",
        "docs/hubspot.js",
        "const hubspotKey = '12345678-ABCD-ABCD-ABCD-1234567890AB'\n",
    ),
    ("documented", "docs/snyk.sh", "SNYK_TOKEN=00000000-0000-0000-0000-000000000000\n"),
    # UUIDs under names that are not credentials.
    ("uuid-unnamed", "app/models.py", 'request_id = "{uuid}"\n'),
    ("uuid-unnamed", "src/auth.json", '{{"clientId": "{uuid}", "tenant": "common"}}\n'),
    ("uuid-unnamed", "infra/kms.json", '{{"kms_key_id": "{uuid}"}}\n'),
    ("uuid-unnamed", "Jenkinsfile", "withCredentials(credentialsId: '{uuid}') {{\n"),
    ("uuid-unnamed", "App.csproj", "  <UserSecretsId>{uuid}</UserSecretsId>\n"),
    ("uuid-unnamed", "ui/options.ts", 'accessibilityOptionId = "{uuid}"\n'),
    ("uuid-unnamed", "reports.yml", "report_access_id: {uuid}\n"),
    ("uuid-unnamed", "trace.env", "TRACE_ID={uuid}\n"),
    ("uuid-unnamed", "db/migrate.py", 'migration = Migration("{uuid}")\n'),
    ("uuid-unnamed", "fixtures/users.json", '[{{"id": "{uuid}", "name": "ada"}}]\n'),
    # Hashes and digests.
    ("hash", "src/fix.py", "# regression from {hex:40}, see #1234\n"),
    ("hash", "recipes/app.bb", 'SRCREV_app = "{hex:40}"\n'),
    ("hash", "deps.yaml", "revision: {hex:40}\n"),
    ("hash", "build/checksums.py", 'checksum = "{hex:64}"\n'),
    ("hash", "Dockerfile", "FROM python:3.12-slim@sha256:{hex:64}\n"),
    ("hash", "requirements.txt", "requests==2.32.3 --hash=sha256:{hex:64}\n"),
    ("hash", "package-lock.json", '      "integrity": "sha512-{b64:86}=="\n'),
    ("hash", "recipes/license.bb", 'LIC_FILES_CHKSUM = "file://LICENSE;md5={hex:32}"\n'),
    ("hash", "tests/test_digest.py", 'expected_digest = "{hex:64}"\n'),
    ("hash", "cache/meta.yaml", 'etag: "{hex:32}"\n'),
    ("hash", ".github/workflows/ci.yml", "      - uses: actions/checkout@{hex:40}\n"),
    ("hash", "go.sum", "golang.org/x/text v0.14.0 h1:{b64:43}=\n"),
    # References to secrets kept elsewhere, and templates.
    ("reference", "app/settings.py", 'token = os.environ["GITHUB_TOKEN"]\n'),
    (
        "reference",
        ".github/workflows/deploy.yml",
        "        password: ${{{{ secrets.DB_PASSWORD }}}}\n",
    ),
    ("reference", "src/config.js", "  apiKey: process.env.API_KEY,\n"),
    ("reference", "chart/templates/secret.yaml", "  token: {{{{ .Values.token }}}}\n"),
    ("reference", "ci/login.sh", "export API_TOKEN=$(vault kv get -field=token secret/ci)\n"),
    ("reference", "config/app.rb", 'password = ENV["DB_PASSWORD"]\n'),
    ("reference", "README.md", 'api_key = "<your-api-key>"\n'),
    ("reference", ".env.example", "DATABASE_URL=postgres://app:${{DB_PASSWORD}}@db/app\n"),
    ("reference", "app/db.py", 'DSN = "postgres://%(user)s:%(password)s@%(host)s/app"\n'),
    ("reference", "app/client.py", "token = settings.GITHUB_TOKEN\n"),
    ("reference", "app/login.py", "password = getpass.getpass()\n"),
    ("reference", "app/views.py", 'auth_token = request.headers["Authorization"]\n'),
    ("reference", "app/headers.py", 'headers = {{"Authorization": f"Bearer {{token}}"}}\n'),
    ("reference", "src/api.ts", "const apiToken: string = config.apiToken;\n"),
    # Identifiers and values of names that only look like credentials.
    ("identifier", "app/oauth.py", 'token_type = "bearer"\n'),
    ("identifier", "app/settings.py", "PASSWORD_RESET_TIMEOUT = 3600\n"),
    ("identifier", "app/llm.py", "max_tokens = 4096\n"),
    ("identifier", "infra/secrets.tf", 'secret_name = "prod-db-credentials"\n'),
    ("identifier", "infra/kms.json", '  "key_name": "prod5zyxlmy-cmk",\n'),
    ("identifier", "app/client.py", 'api_version = "2023-10-01"\n'),
    ("identifier", "setup.py", 'author = "Ada Lovelace"\n'),
    ("identifier", "search.yml", 'keyword: "Befaehigung_P2"\n'),
    ("identifier", "keys/server.py", 'public_key = "{an:43}"\n'),
    ("identifier", "db/schema.properties", "primaryKey={ext:30}\n"),
    ("identifier", "vault/policy.json", '"accessor":"{an:16}",\n'),
    ("identifier", "tests/form.txt", "csrf-token={b64:86}==\n"),
    ("identifier", "app/cache.py", 'cache_key = "user:{d:4}:profile"\n'),
    (
        "identifier",
        "src/b64.go",
        'const keyStr = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"\n',
    ),
    ("identifier", "src/crypto.zig", "key_length = XSalsa20.key_length\n"),
    ("identifier", "src/keys.zig", "KeyPair = X25519.KeyPair\n"),
    ("identifier", "llm/config.py", 'LLM_SECRET_NAME = "NEXUS-GPT4-API-KEY"\n'),
    ("identifier", "web/plaid.js", 'publicToken = "{an:43}"\n'),
    (
        "identifier",
        "ml/train.py",
        'tokenizer = AutoTokenizer.from_pretrained("bert-base-uncased")\n',
    ),
    ("identifier", "api/list.py", 'next_page_token = "{an:24}"\n'),
    (
        "identifier",
        "app/handlers.py",
        'HANDLER = "getUserAccountPreferencesByOrganizationIdentifierAsync"\n',
    ),
    ("identifier", "docs/build.md", "RUN --mount=type=secret,id=npm_token npm ci\n"),
    ("identifier", "app/forms.py", "password = forms.CharField(widget=forms.PasswordInput)\n"),
    ("identifier", "app/auth.py", "if token == expected_token:\n"),
    # Encoded media and integrity digests.
    ("media", "tests/test_image.py", 'PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB{b64:60}"\n'),
    ("media", "web/index.html", '<script src="app.js" integrity="sha384-{b64:64}"></script>\n'),
    # Words and placeholders people write where a secret goes.
    ("placeholder-word", "app/db.py", 'password = "changeme"\n'),
    ("placeholder-word", "config.yml", "secret: your-secret-here\n"),
    ("placeholder-word", "app/api.py", 'api_key = "INSERT_YOUR_KEY_HERE"\n'),
    ("placeholder-word", "docker.env", "DB_PASSWORD=password\n"),
    ("placeholder-word", "docs/usage.md", "token: <token>\n"),
    ("placeholder-word", "config/dev.yml", "api_key: xxxxxxxxxxxxxxxx\n"),
    ("placeholder-word", "app/settings.py", 'SECRET_KEY = "django-insecure-change-me"\n'),
    ("placeholder-word", "tests/conftest.py", 'PASSWORD = "test1234"\n'),
)
