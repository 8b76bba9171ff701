"""Provider token formats, one family per format, written as shapes for the generator.

A shape is literal text with random parts: ``{alphabet:length}``, ``{alphabet:min-max}``,
``{uuid}`` (lower-case hex UUID), ``{UUID}`` (upper-case) and ``{jwt}`` (a JSON Web Token
with a random payload). The formats were learnt by reading gitleaks' rule definitions
and trufflehog's detector tests; ``source`` names the rule or detector each one comes
from. ``keyword`` is the provider's name as code names a variable after it
(``hubspot`` → ``HUBSPOT_API_TOKEN``). ``bare`` families carry a prefix distinctive
enough to be found without any name around them.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

ALPHABETS = {
    "an": string.ascii_letters + string.digits,
    "anl": string.ascii_lowercase + string.digits,
    "anu": string.ascii_uppercase + string.digits,
    "ext": string.ascii_letters + string.digits + "_-",
    "hex": "0123456789abcdef",
    "HEX": "0123456789ABCDEF",
    "l": string.ascii_letters,
    "ll": string.ascii_lowercase,
    "lu": string.ascii_uppercase,
    "d": string.digits,
    "b64": string.ascii_letters + string.digits + "+/",
    "b32": string.ascii_uppercase + "234567",
    "azt": string.ascii_letters + string.digits + "_~.",
    "age": "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L",
    "pw": string.ascii_letters + string.digits + "!#%^*-_@",
}


@dataclass(frozen=True)
class Family:
    name: str
    keyword: str
    shape: str
    source: str
    bare: bool = False


def _prefixed(name: str, keyword: str, shape: str, source: str) -> Family:
    return Family(name, keyword, shape, source, bare=True)


def _named(name: str, keyword: str, shape: str, source: str) -> Family:
    return Family(name, keyword, shape, source, bare=False)


FAMILIES: tuple[Family, ...] = (
    # --- a distinctive prefix: found anywhere ------------------------------------------------
    _prefixed("github-pat", "github", "ghp_{an:36}", "gitleaks:github-pat"),
    _prefixed("github-oauth", "github", "gho_{an:36}", "gitleaks:github-oauth"),
    _prefixed("github-app", "github", "ghs_{an:36}", "gitleaks:github-app-token"),
    _prefixed(
        "github-fine-grained",
        "github",
        "github_pat_{an:22}_{an:59}",
        "gitleaks:github-fine-grained-pat",
    ),
    _prefixed("gitlab-pat", "gitlab", "glpat-{an:20}", "gitleaks:gitlab-pat"),
    _prefixed(
        "gitlab-pat-routable",
        "gitlab",
        "glpat-{an:27}.{anl:2}{anl:7}",
        "gitleaks:gitlab-pat-routable",
    ),
    _prefixed(
        "gitlab-runner", "gitlab", "glrt-{an:20}", "gitleaks:gitlab-runner-authentication-token"
    ),
    _prefixed("gitlab-trigger", "gitlab", "glptt-{hex:40}", "gitleaks:gitlab-ptt"),
    _prefixed("anthropic", "anthropic", "sk-ant-api03-{ext:93}AA", "gitleaks:anthropic-api-key"),
    _prefixed(
        "anthropic-admin",
        "anthropic",
        "sk-ant-admin01-{ext:93}AA",
        "gitleaks:anthropic-admin-api-key",
    ),
    _prefixed("openai", "openai", "sk-proj-{ext:74}T3BlbkFJ{ext:74}", "gitleaks:openai-api-key"),
    _prefixed("aws-access-key", "aws", "AKIA{b32:16}", "gitleaks:aws-access-token"),
    _prefixed("aws-sts-key", "aws", "ASIA{b32:16}", "gitleaks:aws-access-token"),
    _prefixed("slack-bot", "slack", "xoxb-{d:12}-{d:13}-{an:24}", "gitleaks:slack-bot-token"),
    _prefixed(
        "slack-user", "slack", "xoxp-{d:12}-{d:12}-{d:12}-{hex:32}", "gitleaks:slack-user-token"
    ),
    _prefixed(
        "slack-webhook",
        "slack",
        "https://hooks.slack.com/services/T{anu:8}/B{anu:10}/{an:24}",
        "gitleaks:slack-webhook-url",
    ),
    _prefixed("stripe", "stripe", "sk_live_{an:24}", "gitleaks:stripe-access-token"),
    _prefixed("google-api", "google", "AIza{ext:35}", "gitleaks:gcp-api-key"),
    _prefixed("sendgrid", "sendgrid", "SG.{ext:22}.{ext:43}", "gitleaks:sendgrid-api-token"),
    _prefixed("npm", "npm", "npm_{an:36}", "gitleaks:npm-access-token"),
    _prefixed("pypi", "pypi", "pypi-AgEIcHlwaS5vcmc{ext:70}", "gitleaks:pypi-upload-token"),
    _prefixed("doppler", "doppler", "dp.pt.{an:43}", "gitleaks:doppler-api-token"),
    _prefixed("harness", "harness", "pat.{ext:22}.{an:24}.{an:20}", "gitleaks:harness-api-key"),
    _prefixed(
        "terraform", "terraform", "{an:14}.atlasv1.{ext:67}", "gitleaks:hashicorp-tf-api-token"
    ),
    _prefixed("vault", "vault", "hvs.{ext:95}", "gitleaks:vault-service-token"),
    _prefixed("openshift", "openshift", "sha256~{ext:43}", "gitleaks:openshift-user-token"),
    _prefixed("shopify", "shopify", "shpat_{hex:32}", "gitleaks:shopify-access-token"),
    _prefixed("digitalocean", "digitalocean", "dop_v1_{hex:64}", "gitleaks:digitalocean-pat"),
    _prefixed("databricks", "databricks", "dapi{hex:32}", "gitleaks:databricks-api-token"),
    _prefixed("linear", "linear", "lin_api_{an:40}", "gitleaks:linear-api-key"),
    _prefixed("postman", "postman", "PMAK-{hex:24}-{hex:34}", "gitleaks:postman-api-token"),
    _prefixed("pulumi", "pulumi", "pul-{hex:40}", "gitleaks:pulumi-api-token"),
    _prefixed("prefect", "prefect", "pnu_{an:36}", "gitleaks:prefect-api-token"),
    _prefixed("grafana-cloud", "grafana", "glc_{an:48}", "gitleaks:grafana-cloud-api-token"),
    _prefixed(
        "grafana-service",
        "grafana",
        "glsa_{an:32}_{hex:8}",
        "gitleaks:grafana-service-account-token",
    ),
    _prefixed("huggingface", "huggingface", "hf_{l:34}", "gitleaks:huggingface-access-token"),
    _prefixed("heroku-v2", "heroku", "HRKU-AA{ext:58}", "gitleaks:heroku-api-key-v2"),
    _prefixed("notion", "notion", "ntn_{d:11}{an:35}", "gitleaks:notion-api-token"),
    _prefixed("twilio", "twilio", "SK{hex:32}", "gitleaks:twilio-api-key"),
    _prefixed("mailgun", "mailgun", "key-{hex:32}", "gitleaks:mailgun-private-api-token"),
    _prefixed("mailchimp", "mailchimp", "{hex:32}-us{d:2}", "gitleaks:mailchimp-api-key"),
    _prefixed("jwt", "session", "{jwt}", "gitleaks:jwt"),
    _prefixed("azure-ad", "azure", "{azt:3}{d:1}Q~{an:34}", "gitleaks:azure-ad-client-secret"),
    _prefixed("age", "age", "AGE-SECRET-KEY-1{age:58}", "gitleaks:age-secret-key"),
    _prefixed("planetscale", "planetscale", "pscale_pw_{ext:43}", "gitleaks:planetscale-password"),
    _prefixed("sentry", "sentry", "sntryu_{hex:64}", "gitleaks:sentry-user-token"),
    _prefixed(
        "1password",
        "onepassword",
        "A3-{anu:6}-{anu:11}-{anu:5}-{anu:5}-{anu:5}",
        "gitleaks:1password-secret-key",
    ),
    _prefixed("dynatrace", "dynatrace", "dt0c01.{anu:24}.{an:64}", "gitleaks:dynatrace-api-token"),
    _prefixed("clojars", "clojars", "CLOJARS_{anl:60}", "gitleaks:clojars-api-token"),
    _prefixed("rubygems", "rubygems", "rubygems_{hex:48}", "gitleaks:rubygems-api-token"),
    _prefixed("readme", "readme", "rdme_{anl:70}", "gitleaks:readme-api-token"),
    _prefixed("duffel", "duffel", "duffel_live_{ext:43}", "gitleaks:duffel-api-token"),
    _prefixed("easypost", "easypost", "EZAK{an:54}", "gitleaks:easypost-api-token"),
    _prefixed("frameio", "frameio", "fio-u-{ext:64}", "gitleaks:frameio-api-token"),
    _prefixed("square", "square", "sq0atp-{ext:22}", "gitleaks:square-access-token"),
    _prefixed("telegram", "telegram", "{d:10}:AA{ext:33}", "gitleaks:telegram-bot-api-token"),
    _prefixed("discord-bot", "discord", "M{an:23}.{ext:6}.{ext:27}", "trufflehog:discordbottoken"),
    _prefixed("alibaba", "alibaba", "LTAI{an:20}", "gitleaks:alibaba-access-key-id"),
    _prefixed("perplexity", "perplexity", "pplx-{an:48}", "gitleaks:perplexity-api-key"),
    _prefixed("artifactory", "artifactory", "AKCp{an:69}", "gitleaks:artifactory-api-key"),
    _prefixed(
        "clickhouse", "clickhouse", "4b1d{an:38}", "gitleaks:clickhouse-cloud-api-secret-key"
    ),
    _prefixed("brevo", "sendinblue", "xkeysib-{hex:64}-{an:16}", "gitleaks:sendinblue-api-token"),
    _prefixed("shippo", "shippo", "shippo_live_{hex:40}", "gitleaks:shippo-api-token"),
    _prefixed("posthog", "posthog", "phx_{an:43}", "trufflehog:posthog"),
    _prefixed("maxmind", "maxmind", "{an:6}_{an:29}_mmk", "gitleaks:maxmind-license-key"),
    _prefixed("octopus", "octopus", "API-{anu:26}", "gitleaks:octopus-deploy-api-key"),
    _prefixed("flyio", "flyio", "fo1_{ext:43}", "gitleaks:flyio-access-token"),
    _prefixed(
        "airtable-pat",
        "airtable",
        "pat{an:14}.{hex:64}",
        "gitleaks:airtable-personnal-access-token",
    ),
    _prefixed("deno", "deno", "ddp_{an:36}", "trufflehog:denodeploy"),
    _prefixed("groq", "groq", "gsk_{an:52}", "trufflehog:groq"),
    _prefixed("infracost", "infracost", "ico-{an:32}", "gitleaks:infracost-api-token"),
    # --- no prefix: a secret only by the name it is assigned to ----------------------------
    _named("hubspot", "hubspot", "{uuid}", "gitleaks:hubspot-api-key"),
    _named("snyk", "snyk", "{uuid}", "gitleaks:snyk-api-token"),
    _named("heroku", "heroku", "{uuid}", "gitleaks:heroku-api-key"),
    _named("opsgenie", "opsgenie", "{uuid}", "trufflehog:opsgenie"),
    _named("npm-legacy", "npm", "{uuid}", "trufflehog:npmtoken"),
    _named("kucoin-secret", "kucoin", "{uuid}", "gitleaks:kucoin-secret-key"),
    _named("sendbird-app", "sendbird", "{UUID}", "trufflehog:sendbird"),
    _named("algolia", "algolia", "{an:32}", "trufflehog:algoliaadminkey"),
    _named("datadog", "datadog", "{hex:40}", "trufflehog:datadogtoken"),
    _named("cloudflare-global", "cloudflare", "{hex:37}", "gitleaks:cloudflare-global-api-key"),
    _named("cloudflare-api", "cloudflare", "{ext:40}", "gitleaks:cloudflare-api-key"),
    _named("facebook", "facebook", "{hex:32}", "gitleaks:facebook-secret"),
    _named("adafruit", "adafruit", "{ext:32}", "gitleaks:adafruit-api-key"),
    _named("twitter", "twitter", "{an:25}", "gitleaks:twitter-api-key"),
    _named("messagebird", "messagebird", "{an:25}", "gitleaks:messagebird-api-token"),
    _named("mattermost", "mattermost", "{anl:26}", "gitleaks:mattermost-access-token"),
    _named("twitch", "twitch", "{anl:30}", "gitleaks:twitch-api-token"),
    _named("pagerduty", "pagerduty", "u+{ext:18}", "trufflehog:pagerdutyapikey"),
    _named("azure-storage", "azurestorage", "{b64:86}==", "trufflehog:azure"),
    _named("database-password", "db", "{pw:16}", "gitleaks:generic-api-key"),
    # letters only, digits only, short hex
    _named("plivo", "plivo", "{lu:20}", "trufflehog:plivo"),
    _named("timezoneapi", "timezoneapi", "{l:20}", "trufflehog:timezoneapi"),
    _named("asana-client", "asana", "{d:16}", "gitleaks:asana-client-id"),
    _named("discord-client", "discord", "{d:18}", "gitleaks:discord-client-id"),
    _named("vbout", "vbout", "{d:25}", "trufflehog:vbout"),
    _named("sendbird-short", "sendbird", "{hex:24}", "trufflehog:sendbird"),
    _named("kucoin-short", "kucoin", "{hex:24}", "gitleaks:kucoin-access-token"),
    _named("plaid", "plaid", "{hex:30}", "trufflehog:plaid"),
    _named("dropbox", "dropbox", "{an:15}", "gitleaks:dropbox-api-token"),
    _named("confluent", "confluent", "{an:16}", "gitleaks:confluent-access-token"),
    _named("airtable-key", "airtable", "{an:17}", "gitleaks:airtable-api-key"),
)
