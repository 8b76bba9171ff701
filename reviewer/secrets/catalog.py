"""Provider token formats we know ourselves, and names for the rules of the bundled engine.

The formats below are the fallback catalogue: where the rule engine
(`reviewer.secrets.engines`) has no wheel for the platform, these keep the
providers whose tokens carry a recognisable prefix found anywhere, without a
credential-like name around them. They are written from the providers' published
token formats (prefix, alphabet, length); the generic layer
(`reviewer.secrets.named`) covers the rest.

`kind_for_rule` names a rule of the engine's catalogue (``betterleaks.github-pat``)
with one of our kinds, so that findings read the same whichever engine found them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reviewer.secrets.hits import Kind

GITHUB = Kind("github-token", "GitHub token", shown_prefix=4)
GITLAB = Kind("gitlab-token", "GitLab token", shown_prefix=4)
ANTHROPIC = Kind("anthropic-api-key", "Anthropic API key", shown_prefix=4)
OPENAI = Kind("openai-api-key", "OpenAI API key", shown_prefix=3)
AWS_KEY_ID = Kind("aws-access-key", "AWS access key ID", shown_prefix=4)
AWS_SECRET = Kind("aws-secret-key", "AWS secret access key")
SLACK = Kind("slack-token", "Slack token", shown_prefix=4)
SLACK_WEBHOOK = Kind("slack-webhook", "Slack webhook URL")
STRIPE = Kind("stripe-key", "Stripe key", shown_prefix=3)
JWT = Kind("jwt", "JSON Web Token", shown_prefix=3)


@dataclass(frozen=True)
class Format:
    kind: Kind
    pattern: str  # a regular expression of the whole token
    # Literal text a match starts with, or holds further in: how the pattern engine
    # picks the formats to try on a run of token characters.
    prefixes: tuple[str, ...] = ()
    infixes: tuple[str, ...] = ()


def _kind(slug: str, label: str, shown_prefix: int = 0) -> Kind:
    return Kind(slug, label, shown_prefix)


# Ordered: at one position the first matching format wins.
FORMATS: tuple[Format, ...] = (
    Format(
        GITHUB,
        r"(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}",
        prefixes=("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    ),
    Format(
        GITLAB,
        r"gl(?:pat|dt|ft|imt|agent|oas|ptt|rt|soat|cbt|ffct)-[A-Za-z0-9_\-]{20,}"
        r"|GR1348941[A-Za-z0-9_\-]{20}",
        prefixes=(
            "glpat-",
            "gldt-",
            "glft-",
            "glimt-",
            "glagent-",
            "gloas-",
            "glptt-",
            "glrt-",
            "glsoat-",
            "glcbt-",
            "glffct-",
            "GR1348941",
        ),
    ),
    Format(
        ANTHROPIC, r"sk-ant-(?:api|admin|oat|ort)\d\d-[A-Za-z0-9_\-]{80,}", prefixes=("sk-ant-",)
    ),
    Format(
        OPENAI,
        r"sk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{40,}|sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}",
        prefixes=("sk-proj-", "sk-svcacct-", "sk-admin-"),
        infixes=("T3BlbkFJ",),
    ),
    Format(
        AWS_KEY_ID,
        r"\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b",
        prefixes=("AKIA", "ASIA", "ABIA", "ACCA", "A3T"),
    ),
    Format(
        _kind("aws-bedrock-key", "Amazon Bedrock API key", 4),
        r"ABSK[A-Za-z0-9+/]{100,}={0,2}",
        prefixes=("ABSK",),
    ),
    Format(
        SLACK_WEBHOOK,
        r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_\-]{20,}",
        infixes=("hooks.slack.com",),
    ),
    Format(
        SLACK,
        r"xox[abposer]-[0-9A-Za-z\-]{10,}|xapp-\d-[A-Za-z0-9\-]{10,}",
        prefixes=("xox", "xapp-"),
    ),
    Format(
        STRIPE,
        r"\b(?:sk|rk)_(?:live|test|prod)_[A-Za-z0-9]{10,}",
        prefixes=("sk_live_", "sk_test_", "sk_prod_", "rk_live_", "rk_test_", "rk_prod_"),
    ),
    Format(
        _kind("google-api-key", "Google API key", 4), r"AIza[0-9A-Za-z_\-]{35}", prefixes=("AIza",)
    ),
    Format(
        _kind("sendgrid-key", "SendGrid API key", 3),
        r"SG\.[A-Za-z0-9_\-]{20,24}\.[A-Za-z0-9_\-]{40,45}",
        prefixes=("SG.",),
    ),
    Format(_kind("npm-token", "npm token", 4), r"\bnpm_[A-Za-z0-9]{36}", prefixes=("npm_",)),
    Format(
        _kind("pypi-token", "PyPI token", 5),
        r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,}",
        prefixes=("pypi-AgEIcHlwaS5vcmc",),
    ),
    Format(
        _kind("doppler-token", "Doppler token", 6),
        r"\bdp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,44}",
        prefixes=("dp.",),
    ),
    Format(
        _kind("harness-token", "Harness access token", 4),
        r"\b(?:pat|sat)\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{20}",
        prefixes=("pat.", "sat."),
    ),
    Format(
        _kind("terraform-token", "Terraform Cloud API token"),
        r"\b[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=\-]{60,70}",
        infixes=(".atlasv1.",),
    ),
    Format(
        _kind("vault-token", "HashiCorp Vault token", 4),
        r"\bhv[sb]\.[A-Za-z0-9_\-]{90,}",
        prefixes=("hvs.", "hvb."),
    ),
    Format(
        _kind("openshift-token", "OpenShift token", 7),
        r"sha256~[A-Za-z0-9_\-]{43}",
        prefixes=("sha256~",),
    ),
    Format(
        _kind("shopify-token", "Shopify token", 6),
        r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}",
        prefixes=("shpat_", "shpca_", "shppa_", "shpss_"),
    ),
    Format(
        _kind("digitalocean-token", "DigitalOcean token", 7),
        r"do[opr]_v1_[a-f0-9]{64}",
        prefixes=("dop_v1_", "doo_v1_", "dor_v1_"),
    ),
    Format(
        _kind("databricks-token", "Databricks token", 4),
        r"\bdapi[a-f0-9]{32}(?:-\d)?",
        prefixes=("dapi",),
    ),
    Format(
        _kind("linear-key", "Linear API key", 8), r"lin_api_[A-Za-z0-9]{40}", prefixes=("lin_api_",)
    ),
    Format(
        _kind("postman-key", "Postman API key", 5),
        r"PMAK-[a-fA-F0-9]{24}-[a-fA-F0-9]{34}",
        prefixes=("PMAK-",),
    ),
    Format(_kind("pulumi-token", "Pulumi token", 4), r"\bpul-[a-f0-9]{40}", prefixes=("pul-",)),
    Format(
        _kind("prefect-token", "Prefect token", 4), r"\bpnu_[A-Za-z0-9]{36}", prefixes=("pnu_",)
    ),
    Format(
        _kind("grafana-token", "Grafana token", 4),
        r"\bglc_[A-Za-z0-9+/]{32,}={0,2}|\bglsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}"
        r"|eyJrIjoi[A-Za-z0-9]{70,}={0,2}",
        prefixes=("glc_", "glsa_", "eyJrIjoi"),
    ),
    Format(
        _kind("huggingface-token", "Hugging Face token", 3),
        r"\bhf_[A-Za-z]{34}\b|\bapi_org_[A-Za-z]{34}\b",
        prefixes=("hf_", "api_org_"),
    ),
    Format(
        _kind("heroku-key", "Heroku API key", 7),
        r"HRKU-AA[0-9A-Za-z_\-]{58}",
        prefixes=("HRKU-AA",),
    ),
    Format(
        _kind("atlassian-token", "Atlassian API token", 6),
        r"ATATT3[A-Za-z0-9_\-=]{150,}",
        prefixes=("ATATT3",),
    ),
    Format(
        _kind("notion-token", "Notion token", 4),
        r"\bntn_[0-9]{11}[A-Za-z0-9]{35}|\bsecret_[A-Za-z0-9]{43}\b",
        prefixes=("ntn_", "secret_"),
    ),
    Format(_kind("twilio-key", "Twilio API key", 2), r"\bSK[0-9a-fA-F]{32}\b", prefixes=("SK",)),
    Format(
        _kind("mailgun-key", "Mailgun key", 4),
        r"\b(?:pub)?key-[0-9a-f]{32}\b",
        prefixes=("key-", "pubkey-"),
    ),
    Format(
        _kind("mailchimp-key", "Mailchimp API key"),
        r"\b[0-9a-f]{32}-us\d{1,2}\b",
        infixes=("-us",),
    ),
    Format(
        JWT,
        r"\beyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}",
        prefixes=("eyJ",),
    ),
    Format(
        _kind("azure-client-secret", "Azure AD client secret"),
        r"(?<![A-Za-z0-9_~.])[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.\-]{31,34}",
        infixes=("Q~",),
    ),
    Format(
        _kind("age-key", "age secret key", 15),
        r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}",
        prefixes=("AGE-SECRET-KEY-1",),
    ),
    Format(
        _kind("planetscale-token", "PlanetScale token", 7),
        r"pscale_(?:pw|tkn|oauth)_[A-Za-z0-9_=.\-]{32,64}",
        prefixes=("pscale_",),
    ),
    Format(
        _kind("sentry-token", "Sentry token", 7),
        r"\bsntry[su]_[A-Za-z0-9+/=_]{40,}",
        prefixes=("sntrys_", "sntryu_"),
    ),
    Format(
        _kind("1password-token", "1Password token", 4),
        r"\bops_eyJ[A-Za-z0-9+/]{100,}={0,3}"
        r"|\bA3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})(?:-[A-Z0-9]{5}){3}\b",
        prefixes=("ops_eyJ", "A3-"),
    ),
    Format(
        _kind("dynatrace-token", "Dynatrace token", 7),
        r"dt0c01\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{64}",
        prefixes=("dt0c01.",),
    ),
    Format(
        _kind("clojars-token", "Clojars token", 8),
        r"CLOJARS_[A-Za-z0-9]{60}",
        prefixes=("CLOJARS_",),
    ),
    Format(
        _kind("rubygems-key", "RubyGems API key", 9),
        r"rubygems_[a-f0-9]{48}",
        prefixes=("rubygems_",),
    ),
    Format(_kind("readme-key", "ReadMe API key", 5), r"\brdme_[a-z0-9]{70}", prefixes=("rdme_",)),
    Format(
        _kind("flutterwave-key", "Flutterwave key", 8),
        r"FLW(?:PUBK|SECK)_TEST-[a-hA-H0-9]{12,32}(?:-X)?",
        prefixes=("FLWPUBK_TEST-", "FLWSECK_TEST-"),
    ),
    Format(
        _kind("duffel-token", "Duffel token", 7),
        r"duffel_(?:test|live)_[A-Za-z0-9_\-=]{43}",
        prefixes=("duffel_",),
    ),
    Format(
        _kind("easypost-key", "EasyPost API key", 4),
        r"\bEZ[AT]K[A-Za-z0-9]{54}",
        prefixes=("EZAK", "EZTK"),
    ),
    Format(
        _kind("frameio-token", "Frame.io token", 6),
        r"fio-u-[A-Za-z0-9_\-=]{64}",
        prefixes=("fio-u-",),
    ),
    Format(
        _kind("square-token", "Square token", 4),
        r"sq0(?:atp|csp)-[A-Za-z0-9_\-]{22,60}|\bEAAA[A-Za-z0-9_\-]{60}",
        prefixes=("sq0atp-", "sq0csp-", "EAAA"),
    ),
    Format(
        _kind("telegram-token", "Telegram bot token"),
        r"\b\d{8,10}:AA[A-Za-z0-9_\-]{32,33}\b",
        prefixes=("AA",),
    ),
    Format(
        _kind("discord-token", "Discord bot token"),
        r"\b[MN][A-Za-z0-9]{23,25}\.[A-Za-z0-9_\-]{6}\.[A-Za-z0-9_\-]{27,38}",
        prefixes=("M", "N"),
    ),
    Format(
        _kind("alibaba-key", "Alibaba Cloud AccessKey ID", 4),
        r"\bLTAI[A-Za-z0-9]{20}\b",
        prefixes=("LTAI",),
    ),
    Format(
        _kind("perplexity-key", "Perplexity API key", 5),
        r"\bpplx-[A-Za-z0-9]{48}",
        prefixes=("pplx-",),
    ),
    Format(
        _kind("artifactory-key", "Artifactory key", 4),
        r"\bAKCp[A-Za-z0-9]{69}\b|\bcmVmd[A-Za-z0-9]{59}\b",
        prefixes=("AKCp", "cmVmd"),
    ),
    Format(
        _kind("clickhouse-key", "ClickHouse Cloud key", 4),
        r"\b4b1d[A-Za-z0-9]{38}\b",
        prefixes=("4b1d",),
    ),
    Format(
        _kind("brevo-key", "Brevo API key", 8),
        r"xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}",
        prefixes=("xkeysib-",),
    ),
    Format(
        _kind("shippo-token", "Shippo token", 7),
        r"shippo_(?:live|test)_[a-fA-F0-9]{40}",
        prefixes=("shippo_",),
    ),
    Format(
        _kind("adobe-secret", "Adobe client secret", 4),
        r"\bp8e-[A-Za-z0-9]{32}",
        prefixes=("p8e-",),
    ),
    Format(
        _kind("infracost-token", "Infracost token", 4), r"\bico-[A-Za-z0-9]{32}", prefixes=("ico-",)
    ),
    Format(
        _kind("scalingo-token", "Scalingo token", 6),
        r"\btk-us-[A-Za-z0-9_\-]{48}",
        prefixes=("tk-us-",),
    ),
    Format(
        _kind("settlemint-token", "SettleMint token", 7),
        r"\bsm_(?:pat|aat|sat)_[A-Za-z0-9]{16}",
        prefixes=("sm_",),
    ),
    Format(
        _kind("maxmind-key", "MaxMind license key"),
        r"\b[A-Za-z0-9]{6}_[A-Za-z0-9]{29}_mmk\b",
        infixes=("_mmk",),
    ),
    Format(
        _kind("octopus-key", "Octopus Deploy API key", 4),
        r"\bAPI-[A-Z0-9]{26}\b",
        prefixes=("API-",),
    ),
    Format(
        _kind("flyio-token", "Fly.io token", 4),
        r"\bfo1_[A-Za-z0-9_\-]{43}|\bfm[12][ar]?_[A-Za-z0-9+/]{100,}={0,3}",
        prefixes=("fo1_", "fm1", "fm2"),
    ),
    Format(
        _kind("airtable-token", "Airtable token", 3),
        r"\bpat[A-Za-z0-9]{14}\.[a-f0-9]{64}\b",
        prefixes=("pat",),
    ),
    Format(
        _kind("cloudflare-key", "Cloudflare Origin CA key", 5),
        r"\bv1\.0-[a-f0-9]{24}-[a-f0-9]{146}",
        prefixes=("v1.0-",),
    ),
    Format(
        _kind("posthog-key", "PostHog personal API key", 4),
        r"\bphx_[A-Za-z0-9_]{43,48}",
        prefixes=("phx_",),
    ),
    Format(
        _kind("deno-token", "Deno token", 4), r"\bdd[pw]_[A-Za-z0-9]{36}", prefixes=("ddp_", "ddw_")
    ),
    Format(_kind("groq-key", "Groq API key", 4), r"\bgsk_[A-Za-z0-9]{52}", prefixes=("gsk_",)),
    Format(_kind("xai-key", "xAI API key", 4), r"\bxai-[A-Za-z0-9]{80}", prefixes=("xai-",)),
)

# The engine's rule families (the rule ID without its catalogue prefix, up to the first
# hyphen) that map to a kind of ours; the others get a kind made from the rule ID.
_RULE_FAMILIES: dict[str, Kind] = {
    "github": GITHUB,
    "gitlab": GITLAB,
    "anthropic": ANTHROPIC,
    "openai": OPENAI,
    "stripe": STRIPE,
    "slack": SLACK,
    "jwt": JWT,
}
_RULE_KINDS: dict[str, Kind] = {
    "aws-access-token": AWS_KEY_ID,
    "aws-secret-access-key": AWS_SECRET,
    "slack-webhook-url": SLACK_WEBHOOK,
}
# Rules that recognise a credential by its surroundings (a curl flag, a URI, a config
# file) rather than by a provider's format: below a provider rule on the same span.
CONTEXT_RULES = frozenset(
    {
        "curl-auth-header",
        "curl-auth-user",
        "generic-credential-uri",
        "kubernetes-secret-yaml",
        "nuget-config-password",
        "hashicorp-tf-password",
        "jwt-base64",
    }
)
_CATALOGUE_PREFIXES = ("betterleaks.", "kingfisher.", "veles.secrets/", "custom.")
_BRANDS = {
    "aws": "AWS",
    "gcp": "GCP",
    "npm": "npm",
    "pypi": "PyPI",
    "api": "API",
    "id": "ID",
    "url": "URL",
    "uri": "URI",
    "pat": "personal access token",
    "sdk": "SDK",
    "oauth": "OAuth",
    "hubspot": "HubSpot",
    "digitalocean": "DigitalOcean",
    "sendgrid": "SendGrid",
    "openshift": "OpenShift",
    "huggingface": "Hugging Face",
    "tf": "Terraform",
    "ci": "CI",
    "cicd": "CI/CD",
}


def rule_name(rule_id: str) -> str:
    """``betterleaks.opsgenie-api-key.1`` → ``opsgenie-api-key``."""
    name = rule_id
    for prefix in _CATALOGUE_PREFIXES:
        name = name.removeprefix(prefix)
    return re.sub(r"\.\d+$", "", name)  # ``.1``: a variant of a rule


def kind_for_rule(rule_id: str) -> Kind:
    """Our kind for a rule of the engine's catalogue: a known family, or one named after it."""
    name = rule_name(rule_id)
    known = _RULE_KINDS.get(name) or _RULE_FAMILIES.get(name.split("-")[0])
    if known is not None:
        return known
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    words = [_BRANDS.get(word, word) for word in slug.split("-")]
    label = " ".join(words)
    return Kind(slug, label[:1].upper() + label[1:])
