"""Files of many languages and formats, each with one place for a generated secret.

Templates fill ``{S}`` with the secret and name it after the provider's keyword:
``{kt}`` → ``hubspotToken``, ``{k_t}`` → ``hubspot_token``, ``{K_T}`` →
``HUBSPOT_TOKEN``, ``{k_a}`` → ``hubspot_api_key``, ``{K_A}`` → ``HUBSPOT_API_KEY``,
``{kw}`` → ``hubspot``. The syntaxes are those gitleaks generates its rule tests in
(INI, JSON, XML, YAML, C#, Go, Java, Kotlin, PHP, Python, Makefile, logstash, ...)
and the ones its TODO list and trufflehog's tests add (``export``, ``.env``,
``Authorization: Bearer``, TOML, XML attributes, URLs, Kubernetes, CI files), each
inside a few lines of ordinary surrounding code. *Bare* contexts carry no
credential name at all: only providers with a distinctive prefix are put there.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Context:
    name: str
    path: str
    template: str
    bare: bool = False


def _c(name: str, path: str, template: str) -> Context:
    return Context(name, path, template)


def _bare(name: str, path: str, template: str) -> Context:
    return Context(name, path, template, bare=True)


CONTEXTS: tuple[Context, ...] = (
    _c(
        "ini-quoted",
        "config/{kw}.ini",
        '[{kw}]\nendpoint = "https://api.example.com"\n{kt}="{S}"\nretries = 3\n',
    ),
    _c(
        "ini-spaced", "config/settings.ini", "[service]\nname = billing\n{kt} = {S}\ntimeout = 30\n"
    ),
    _c("ini-unquoted", "settings.cfg", "[auth]\n{kt}={S}\n"),
    _c(
        "json",
        "config/{kw}.json",
        '{{\n    "name": "billing",\n    "{k_t}": "{S}",\n    "retries": 3\n}}\n',
    ),
    _c(
        "json-escaped",
        "deploy/values.json",
        '{{"config.ini": "{K_T}={S}\\nBACKUP_ENABLED=true"}}\n',
    ),
    _c(
        "json-name-value",
        "deploy/params.json",
        '[\n  {{"name": "{k_t}", "value": "{S}"}},\n  {{"name": "region", "value": "eu-west-1"}}\n]\n',
    ),
    _c(
        "xml-element",
        "conf/app.xml",
        "<config>\n  <{kt}>{S}</{kt}>\n  <timeout>30</timeout>\n</config>\n",
    ),
    _c(
        "xml-multiline",
        "conf/service.xml",
        "<service>\n  <{kt}>\n      {S}\n  </{kt}>\n</service>\n",
    ),
    _c(
        "xml-attribute",
        "web.config",
        '<appSettings>\n  <add key="{kt}" value="{S}" />\n  <add key="Mode" value="live" />\n</appSettings>\n',
    ),
    _c(
        "yaml-unquoted",
        "config/{kw}.yml",
        "{kw}:\n  url: https://api.example.com\n  {k_t}: {S}\n  verbose: false\n",
    ),
    _c("yaml-single", "app.yaml", "{k_t}: '{S}'\nregion: eu-west-1\n"),
    _c("yaml-double", "conf.yaml", 'service: billing\n{k_t}: "{S}"\n'),
    _c(
        "yaml-token-key", "ci/{kw}.yaml", "steps:\n  - name: publish\n    with:\n      token: {S}\n"
    ),
    _c(
        "k8s-env",
        "k8s/deployment.yaml",
        "        env:\n          - name: {K_T}\n            value: {S}\n          - name: LOG_LEVEL\n            value: info\n",
    ),
    _c(
        "compose",
        "docker-compose.yml",
        "services:\n  app:\n    environment:\n      - {K_A}={S}\n      - DEBUG=0\n",
    ),
    _c(
        "csharp", "src/Client.cs", 'public class Client\n{{\n    private string {kt} = "{S}";\n}}\n'
    ),
    _c("go-var", "internal/client.go", 'package client\n\nvar {kt} string = "{S}"\n'),
    _c("go-short", "cmd/main.go", 'func main() {{\n\t{kt} := "{S}"\n\trun({kt})\n}}\n'),
    _c("go-backticks", "cmd/tool/main.go", "func setup() {{\n\t{kt} := `{S}`\n\tuse({kt})\n}}\n"),
    _c(
        "java",
        "src/main/java/App.java",
        'class App {{\n    static final String {kt} = "{S}";\n}}\n',
    ),
    _c("java-property", "src/main/java/Boot.java", 'System.setProperty("{K_T}", "{S}");\n'),
    _c("kotlin", "app/src/Config.kt", 'object Config {{\n    var {kt} = "{S}"\n}}\n'),
    _c("kotlin-typed", "app/src/Keys.kt", 'val {kt}: String = "{S}"\n'),
    _c("php", "src/config.php", '<?php\n${kt} .= "{S}";\n$debug = false;\n'),
    _c(
        "php-array",
        "config/services.php",
        "<?php\nreturn [\n    '{k_a}' => '{S}',\n    'timeout' => 5,\n];\n",
    ),
    _c("python-single", "app/settings.py", "import os\n\n{kt} = '{S}'\nDEBUG = False\n"),
    _c("python-double", "scripts/sync.py", '{K_A} = "{S}"\n\n\ndef main():\n    pass\n'),
    _c("python-kwarg", "scripts/client.py", 'client = Client(api_key="{S}", timeout=10)\n'),
    _c("logstash", "pipeline/out.conf", 'output {{\n  http {{\n    "{kt}" => "{S}"\n  }}\n}}\n'),
    _c("make", "Makefile", '{K_T} = "{S}"\n\nbuild:\n\tgo build ./...\n'),
    _c("make-simple", "build.mk", '{K_T} := "{S}"\n'),
    _c("make-conditional", "defaults.mk", '{K_T} ?= "{S}"\n'),
    _c("export", "scripts/env.sh", "#!/bin/sh\nexport {K_T}={S}\nexport REGION=eu-west-1\n"),
    _c("dotenv", ".env", "PORT=8080\n{K_T}={S}\nNODE_ENV=production\n"),
    _c("dotenv-quoted", ".env.production", '{K_A}="{S}"\n'),
    _c("toml", "config.toml", '[{kw}]\nregion = "eu-west-1"\ntoken = "{S}"\n'),
    _c(
        "properties",
        "src/main/resources/application.properties",
        "spring.application.name=billing\n{kw}.api.token={S}\n",
    ),
    _c(
        "bearer-header",
        "scripts/call.sh",
        'curl -s https://api.example.com/v1/me \\\n  -H "Authorization: Bearer {S}"\n',
    ),
    _c(
        "http-file",
        "requests/{kw}.http",
        "GET https://api.example.com/v1/items\nAuthorization: Bearer {S}\nAccept: application/json\n",
    ),
    _c(
        "header-dict",
        "app/http.py",
        'HEADERS = {{"X-API-Key": "{S}", "Accept": "application/json"}}\n',
    ),
    _c("js-object", "src/config.js", "export default {{\n  {kt}: '{S}',\n  retries: 2,\n}};\n"),
    _c("ruby-hash", "config/initializers/{kw}.rb", '{K_T} = {{ "token" => "{S}" }}\n'),
    _c("rust", "src/main.rs", 'fn main() {{\n    let {k_t} = "{S}";\n}}\n'),
    _c("hcl", "infra/main.tf", 'provider "{kw}" {{\n  token = "{S}"\n}}\n'),
    _c("windows-set", "build.bat", "set NODE_VERSION=20\nset {K_A}={S}\n"),
    _c("cli-flag", "Dockerfile", "RUN ./install.sh --token {S} --quiet\n"),
    _c("prose-keyword", "docs/{kw}.txt", "{kw} token = '{S}'\n"),
    _c(
        "url-query",
        "docs/webhook.md",
        "Call https://api.example.com/hook?api_key={S}&format=json to test.\n",
    ),
    _bare(
        "bare-log", "logs/app.log", "2024-05-01 12:00:03 INFO uploading with {S} as configured\n"
    ),
    _bare("bare-markdown", "docs/setup.md", "# Setup\n\nPaste `{S}` into the settings page.\n"),
    _bare("bare-comment", "src/util.py", "# rotated: {S}\nVALUE = 1\n"),
    _bare("bare-list", "data/fixtures.yaml", "values:\n  - {S}\n  - other\n"),
    _bare("bare-call", "src/app.ts", 'const client = new Client("{S}");\n'),
)
