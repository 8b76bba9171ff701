"""Find secrets in a diff before anything leaves the machine, and redact them.

Every text that may be sent to the model is scanned with detect-secrets: added,
context and removed lines, hunk headers (git puts a line of the old file there)
and, through `redact_text`, free text such as a PR description. Each detected
value is replaced by a marker like ``[REDACTED:aws-access-key]`` and reported as
a local finding (origin ``"secrets"``) that never reaches the API.

Decisions worth knowing:

* Detectors are configured explicitly for each call inside detect-secrets'
  ``transient_settings`` (no baseline file, no global state; the caller's
  settings are back on exit). They come in two tiers. Format detectors (AWS,
  Slack, GitHub, private keys, Stripe, ...) are trusted as they are. Heuristic
  detectors (KeywordDetector, Base64HighEntropyString, BasicAuthDetector,
  IbmCloudIamDetector) go through detect-secrets' false-positive filters (UUIDs,
  sequences, templates, ``*_id`` names, ``x = f(...)``) and ours (base64 images,
  SRI digests). A value assigned to a credential-like name must also look generated
  (see `_looks_generated`), so ``password = "changeme"`` in a test is not reported.
* Left out on purpose: HexHighEntropyString (a quoted git SHA or checksum has
  the entropy of a hex key, so unnamed hex secrets are missed, while named ones
  are caught by KeywordDetector); IPPublicDetector (addresses are not
  credentials); ArtifactoryDetector (its ``AP[0-9A-F]...`` pattern matches
  ordinary identifiers such as ``APDefaultConfig``).
* Two detectors of our own, as RegexBasedDetector subclasses: Anthropic keys
  (detect-secrets has none) and GitHub tokens (the bundled one misses
  ``github_pat_`` and reports only the ``ghp`` prefix as the value). They are
  instantiated directly, not registered through ``plugins_used[].path``: that
  mechanism loads a plugin file that imports detect_secrets at module level, and
  the class table it fills is cached for the whole process and not reset by
  ``transient_settings``, so it leaks into later callers (or fails when the
  table was built before).
* Entropy: Base64HighEntropyString keeps its default limit, 4.5 bits per
  character, on quoted strings only. Long identifiers score 4.0-4.3 and stay
  below; a random 40-character key scores about 4.8. A random string shorter
  than about 24 characters cannot reach 4.5: it is found only when assigned to a
  credential-like name.
* Redaction fails closed: a detected value is extended to the end of the token it
  starts, and every occurrence on the line is replaced. A private key is
  redacted from its BEGIN line through its END line on each side of the hunk
  (to the end of the hunk if the END line is not in it); only the BEGIN line is
  reported, once per key.
* Severity: critical on added and context lines (the secret is in the code after
  this change); major on removed lines. Removing a secret does not un-leak it
  (it stays in history, so it is reported and redacted) but a change that removes
  one is usually the fix, and failing it at the critical threshold would punish
  the author for doing the right thing.
* A line carrying detect-secrets' ``pragma: allowlist secret`` comment (or a
  ``pragma: allowlist nextline secret`` line before it) is neither redacted nor
  reported: that is how a user marks a false positive.
* Out of scope: secrets in file paths, and private key bodies in a hunk that does
  not contain the key's BEGIN line.
* detect-secrets' settings are process-global: our calls are serialised by a
  lock, but other code changing them from another thread at the same time is
  not protected against.
"""

from __future__ import annotations

import math
import re
import string
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from reviewer.diff import Diff, DiffLine, FileDiff, Hunk, LineKind
from reviewer.values import Finding, Severity, Side

if TYPE_CHECKING:
    from detect_secrets.plugins.base import BasePlugin


@dataclass(frozen=True)
class SecretScan:
    """The diff as it may be sent, and one local finding per secret per line."""

    diff: Diff
    findings: tuple[Finding, ...]


def scan_diff(diff: Diff) -> SecretScan:
    """Redact every detected secret in ``diff`` and report each one."""
    with _detectors() as detectors:
        scanned = [_scan_file(file, detectors) for file in diff.files]
    return SecretScan(
        diff=replace(diff, files=tuple(file for file, _ in scanned)),
        findings=tuple(finding for _, findings in scanned for finding in findings),
    )


def redact_text(text: str) -> tuple[str, int]:
    """Redact secrets in free text (PR title, description, instructions).

    Returns the text and the number of secrets found; a private key counts once.
    Line endings are kept as they were.
    """
    with _detectors() as detectors:
        blocks = _KeyBlocks()
        out: list[str] = []
        count = 0
        previous = ""
        for line in text.splitlines(keepends=True):
            body = line.rstrip("\r\n")
            hits = blocks.hits(body, (Side.RIGHT,), detectors.hits(body, _FREE_TEXT, previous))
            count += len(_reported(hits))
            out.append(_apply(body, hits) + line[len(body) :])
            previous = body
    return "".join(out), count


# --- what was found ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Kind:
    slug: str  # goes into the redaction marker
    label: str  # goes into the finding title
    shown_prefix: int = 0  # leading characters that are a public format prefix, safe to show
    heuristic: bool = False  # a guess: the finding says how to mark a false positive

    @property
    def marker(self) -> str:
        return f"[REDACTED:{self.slug}]"


@dataclass(frozen=True)
class _Hit:
    kind: _Kind
    value: str
    start: int
    end: int
    rank: int  # lower wins when hits overlap: the more specific detector names the secret
    reportable: bool = True  # private key body lines are redacted without a finding of their own

    def overlaps(self, other: _Hit) -> bool:
        return self.start < other.end and other.start < self.end


_PRIVATE_KEY = _Kind("private-key", "private key")
_AWS_KEY_ID = _Kind("aws-access-key", "AWS access key ID", shown_prefix=4)
_AWS_SECRET = _Kind("aws-secret-key", "AWS secret access key")
_SLACK_TOKEN = _Kind("slack-token", "Slack token", shown_prefix=4)
_SLACK_WEBHOOK = _Kind("slack-webhook", "Slack webhook URL")
_AWS_KEY_ID_FORMAT = re.compile(r"(?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA)[0-9A-Z]{16}")

# detect-secrets' secret_type -> our kind; an unknown type gets a kind made from its name.
_KINDS = {
    "Private Key": _PRIVATE_KEY,
    "Anthropic API Key": _Kind("anthropic-api-key", "Anthropic API key", shown_prefix=4),
    "GitHub Token": _Kind("github-token", "GitHub token", shown_prefix=4),
    "GitLab Token": _Kind("gitlab-token", "GitLab token", shown_prefix=4),
    "OpenAI Token": _Kind("openai-api-key", "OpenAI API key", shown_prefix=3),
    "Stripe Access Key": _Kind("stripe-key", "Stripe live key", shown_prefix=4),
    "PyPI Token": _Kind("pypi-token", "PyPI token", shown_prefix=4),
    "SendGrid API Key": _Kind("sendgrid-key", "SendGrid API key", shown_prefix=3),
    "JSON Web Token": _Kind("jwt", "JSON Web Token", shown_prefix=3),
    "Secret Keyword": _Kind("credential", "hard-coded credential", heuristic=True),
    "Base64 High Entropy String": _Kind(
        "high-entropy-string", "high-entropy string (likely a key or token)", heuristic=True
    ),
    "Basic Auth Credentials": _Kind("url-password", "password in a URL", heuristic=True),
    "IBM Cloud IAM Key": _Kind("ibm-cloud-iam-key", "IBM Cloud IAM key", heuristic=True),
}


def _kind_of(secret_type: str, value: str) -> _Kind:
    if secret_type == "AWS Access Key":  # one detector, two very different secrets
        return _AWS_KEY_ID if _AWS_KEY_ID_FORMAT.fullmatch(value) else _AWS_SECRET
    if secret_type == "Slack Token":
        return _SLACK_WEBHOOK if value.lower().startswith("https://") else _SLACK_TOKEN
    known = _KINDS.get(secret_type)
    if known is not None:
        return known
    slug = re.sub(r"[^a-z0-9]+", "-", secret_type.lower()).strip("-")
    return _Kind(slug, secret_type)


# --- detectors ---------------------------------------------------------------------------------

# Format detectors: a match is a secret whatever the line around it looks like.
_FORMAT_PLUGINS = (
    "AWSKeyDetector",
    "AzureStorageKeyDetector",
    "CloudantDetector",
    "DiscordBotTokenDetector",
    "GitLabTokenDetector",
    "IbmCosHmacDetector",
    "JwtTokenDetector",
    "MailchimpDetector",
    "NpmDetector",
    "OpenAIDetector",
    "PrivateKeyDetector",
    "PypiTokenDetector",
    "SendGridDetector",
    "SlackDetector",
    "SoftlayerDetector",
    "SquareOAuthDetector",
    "StripeDetector",
    "TelegramBotTokenDetector",
    "TwilioKeyDetector",
)
# Heuristic detectors: their matches go through false-positive filters first.
_BASE64_ENTROPY_LIMIT = 4.5
_HEURISTIC_PLUGINS: tuple[dict[str, Any], ...] = (
    {"name": "KeywordDetector"},
    {"name": "Base64HighEntropyString", "limit": _BASE64_ENTROPY_LIMIT},
    {"name": "BasicAuthDetector"},
    {"name": "IbmCloudIamDetector"},
)
# These take any value assigned to a credential-like name: it must look generated.
_ASSIGNMENT_PLUGINS = frozenset({"KeywordDetector", "BasicAuthDetector", "IbmCloudIamDetector"})

_FORMAT_RANK, _ASSIGNMENT_RANK, _ENTROPY_RANK = 0, 1, 2

# KeywordDetector picks its patterns by file extension, and only its "config" patterns
# accept unquoted values (``TOKEN=abc``): dotenv files and free text are read as config.
_FREE_TEXT = "free-text.cfg"
_DOTENV = re.compile(r"(?:^|/)(?:\.env(?:\.[^/]*)?|[^/]*\.env)$")

# detect-secrets keeps its settings in process-wide state; serialise our use of it.
_SETTINGS_LOCK = threading.Lock()


@contextmanager
def _detectors() -> Iterator[_Detectors]:
    """Configure detect-secrets for one scan, and put the caller's settings back after it."""
    from detect_secrets.settings import get_plugins, transient_settings

    config = {
        "plugins_used": [{"name": name} for name in _FORMAT_PLUGINS] + list(_HEURISTIC_PLUGINS),
        # No optional filters: in particular not the verification policy, whose presence
        # makes plugins call the issuer's API to check a secret.
        "filters_used": [],
    }
    with _SETTINGS_LOCK, transient_settings(config):
        plugins: list[BasePlugin] = list(get_plugins())
        plugins.extend(detector() for detector in _own_detector_types())
        yield _Detectors(plugins)


def _own_detector_types() -> tuple[type[BasePlugin], ...]:
    from detect_secrets.plugins.base import RegexBasedDetector

    class AnthropicKeyDetector(RegexBasedDetector):
        """Anthropic API, admin and OAuth keys: ``sk-ant-api03-...``, ``sk-ant-admin01-...``."""

        secret_type = "Anthropic API Key"
        denylist = (re.compile(r"sk-ant-[A-Za-z0-9_\-]{24,}"),)

    class GitHubTokenDetector(RegexBasedDetector):
        """Classic (``ghp_`` and friends) and fine-grained (``github_pat_``) GitHub tokens."""

        secret_type = "GitHub Token"
        denylist = (
            re.compile(r"(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,}"),
            re.compile(r"github_pat_[A-Za-z0-9_]{22,}"),
        )

    return (AnthropicKeyDetector, GitHubTokenDetector)


class _Detectors:
    """The plugins of one scan; valid only inside the `_detectors` context that made them."""

    def __init__(self, plugins: Sequence[BasePlugin]) -> None:
        heuristic = {str(config["name"]) for config in _HEURISTIC_PLUGINS}
        self._plugins = [(plugin, type(plugin).__name__ in heuristic) for plugin in plugins]

    def hits(self, text: str, path: str, previous: str) -> list[_Hit]:
        """Every secret on ``text``; ``previous`` is the line before it, for allowlist pragmas."""
        if not text.strip():
            return []
        filename = path + ".cfg" if _DOTENV.search(path) else path
        hits: list[_Hit] = []
        for plugin, heuristic in self._plugins:
            for found in plugin.analyze_line(filename=filename, line=text):
                value = found.secret_value
                if not value or (heuristic and _is_false_positive(value, text, plugin)):
                    continue
                hits.extend(_occurrences(_kind_of(found.type, value), value, text, plugin))
        if hits and _is_allowlisted(path, text, previous):
            return []
        return hits


def _occurrences(kind: _Kind, value: str, text: str, plugin: BasePlugin) -> Iterator[_Hit]:
    name = type(plugin).__name__
    rank = (
        _ENTROPY_RANK
        if name == "Base64HighEntropyString"
        else _ASSIGNMENT_RANK
        if name in _ASSIGNMENT_PLUGINS
        else _FORMAT_RANK
    )
    start = text.find(value)
    while start >= 0:
        end = start + len(value)
        if kind is _PRIVATE_KEY:
            yield _private_key_hit(text, start, end)
        else:
            yield _Hit(kind, value, start, _widen(text, end), rank=rank)
        start = text.find(value, end)


# Some detectors report only the start of a token (detect-secrets' GitLab detector reports
# the ``glpat`` prefix, its JWT detector stops before the signature): a hit grows over the
# token characters after it. Growing can only hide more, never less.
_TOKEN_CHARS = frozenset(string.ascii_letters + string.digits + "_-")


def _widen(text: str, end: int) -> int:
    while end < len(text) and text[end] in _TOKEN_CHARS:
        end += 1
    return end


def _is_false_positive(value: str, line: str, plugin: BasePlugin) -> bool:
    from detect_secrets.filters import heuristic

    return (
        heuristic.is_sequential_string(value)
        or heuristic.is_potential_uuid(value)
        or heuristic.is_likely_id_string(value, line, plugin)
        or heuristic.is_templated_secret(value)
        or _is_embedded_media(value)
        or _is_content_digest(value)
        or (type(plugin).__name__ in _ASSIGNMENT_PLUGINS and _is_not_a_value(value, line))
    )


def _is_not_a_value(value: str, line: str) -> bool:
    """For a value assigned to a credential-like name: a lookup or a placeholder.

    detect-secrets' indirect-reference filter (``token = vault.get("x")``) is kept to
    these: applied to an entropy hit, it would drop ``key = b64decode("<the key>")``.
    """
    from detect_secrets.filters import heuristic

    return heuristic.is_indirect_reference(line) or not _looks_generated(value)


def _is_allowlisted(path: str, line: str, previous: str) -> bool:
    from detect_secrets.filters.allowlist import is_line_allowlisted
    from detect_secrets.util.code_snippet import get_code_snippet

    context = get_code_snippet(lines=[previous, line], line_number=2)
    return bool(is_line_allowlisted(filename=path, line=line, context=context))


# Base64 of a file that starts with an image or PDF signature: a test fixture, not a key.
# PNG, JPEG, GIF, RIFF (WebP), PDF, SVG as "<svg " and as "<?xml".
_MEDIA_PREFIXES = ("iVBORw0KGg", "/9j/", "R0lGOD", "UklGR", "JVBERi0", "PHN2Zy", "PD94bWw")
# Subresource-integrity and npm-style digests of public content.
_DIGEST = re.compile(r"sha(?:1|256|384|512)-[A-Za-z0-9+/]+=*")


def _is_embedded_media(value: str) -> bool:
    return value.startswith(_MEDIA_PREFIXES)


def _is_content_digest(value: str) -> bool:
    return _DIGEST.fullmatch(value) is not None


_MIN_GENERATED_LENGTH = 8
_MIN_GENERATED_ENTROPY = 3.0  # bits per character, over the value's own characters


def _looks_generated(value: str) -> bool:
    """Whether a value assigned to ``password``/``api_key``/... looks like a real secret.

    At least 8 characters, no whitespace, letters and digits mixed, and at least 3 bits of
    entropy per character. That keeps ``"changeme"``, ``"your-api-key-here"``,
    ``"Anthropic API Key"`` and ``process.env.TOKEN`` out, and ``"hunter2"`` too: short
    human-chosen passwords and passphrases without digits are missed on purpose, a
    generated key is not (a random 20-character key lacks a digit 3% of the time).
    """
    return (
        len(value) >= _MIN_GENERATED_LENGTH
        and not any(char.isspace() for char in value)
        and any(char.isdigit() for char in value)
        and any(char.isalpha() for char in value)
        and _shannon_entropy(value) >= _MIN_GENERATED_ENTROPY
    )


def _shannon_entropy(value: str) -> float:
    counts = [value.count(char) for char in set(value)]
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts)


# --- private keys over several lines -----------------------------------------------------------

_KEY_END = re.compile(r"-+ ?END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)? ?-+|Private-MAC:")
_KEY_DASHES = re.compile(r"-+ ?$")  # before BEGIN: ``-----BEGIN`` or ``---- BEGIN``


def _private_key_hit(text: str, start: int, end: int) -> _Hit:
    """From the dashes before BEGIN to the END marker on this line, or to the line's end."""
    dashes = _KEY_DASHES.search(text, 0, start)
    start = dashes.start() if dashes else start
    closing = _KEY_END.search(text, end)
    return _Hit(_PRIVATE_KEY, text[start:end], start, closing.end() if closing else len(text), 0)


class _KeyBlocks:
    """Tracks, per side of a hunk, whether we are inside a private key's body."""

    def __init__(self) -> None:
        self._open: set[Side] = set()

    def hits(self, text: str, sides: tuple[Side, ...], found: list[_Hit]) -> list[_Hit]:
        """``found`` plus the key body on this line; opens or closes blocks for ``sides``."""
        body = self._body(text, sides)
        for hit in found:
            if hit.kind is _PRIVATE_KEY and not _KEY_END.search(text, hit.start):
                self._open.update(sides)  # BEGIN without END on this line: the body follows
        return found if body is None else [body, *found]

    def _body(self, text: str, sides: tuple[Side, ...]) -> _Hit | None:
        if not self._open.intersection(sides):
            return None
        closing = _KEY_END.search(text)
        if closing is not None:
            self._open.difference_update(sides)
        end = closing.start() if closing else len(text)
        start = len(text) - len(text.lstrip())
        if not text[start:end].strip():
            return None
        return _Hit(_PRIVATE_KEY, "", start, end, rank=-1, reportable=False)


# --- applying hits -----------------------------------------------------------------------------


def _reported(hits: list[_Hit]) -> list[_Hit]:
    """One hit per secret: the most specific detector's, and the first of repeated values."""
    kept: list[_Hit] = []
    for hit in sorted(hits, key=lambda h: (h.rank, h.start)):
        if any(hit.overlaps(other) for other in kept):
            continue
        if any(hit.value == other.value and hit.kind == other.kind for other in kept):
            continue
        kept.append(hit)
    return sorted((hit for hit in kept if hit.reportable), key=lambda h: h.start)


def _apply(text: str, hits: list[_Hit]) -> str:
    """Replace every hit's span, overlapping spans merged under the most specific kind."""
    out: list[str] = []
    cursor = 0
    for start, end, kind in _merged(hits):
        out.append(text[cursor:start])
        out.append(kind.marker)
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


def _merged(hits: list[_Hit]) -> list[tuple[int, int, _Kind]]:
    spans: list[tuple[int, int, _Hit]] = []
    for hit in sorted(hits, key=lambda h: h.start):
        if spans and hit.start < spans[-1][1]:
            start, end, best = spans[-1]
            spans[-1] = (start, max(end, hit.end), min(best, hit, key=lambda h: h.rank))
        else:
            spans.append((hit.start, hit.end, hit))
    return [(start, end, hit.kind) for start, end, hit in spans]


# --- walking the diff --------------------------------------------------------------------------

_SIDES = {
    LineKind.ADDED: (Side.RIGHT,),
    LineKind.REMOVED: (Side.LEFT,),
    LineKind.CONTEXT: (Side.LEFT, Side.RIGHT),
}


def _scan_file(file: FileDiff, detectors: _Detectors) -> tuple[FileDiff, list[Finding]]:
    hunks: list[Hunk] = []
    findings: list[Finding] = []
    header_secrets: set[tuple[_Kind, str]] = set()
    for hunk in file.hunks:
        scanned, hunk_findings = _scan_hunk(hunk, file.path, detectors)
        section_hits = detectors.hits(hunk.section, file.path, "")
        if section_hits:
            scanned = replace(scanned, section=_apply(hunk.section, section_hits))
            for hit in _reported(section_hits):
                if (hit.kind, hit.value) not in header_secrets:
                    header_secrets.add((hit.kind, hit.value))
                    findings.append(_header_finding(file.path, hit))
        hunks.append(scanned)
        findings.extend(hunk_findings)
    if all(new is old for new, old in zip(hunks, file.hunks, strict=True)):
        return file, findings
    return replace(file, hunks=tuple(hunks)), findings


def _scan_hunk(hunk: Hunk, path: str, detectors: _Detectors) -> tuple[Hunk, list[Finding]]:
    blocks = _KeyBlocks()
    previous = {Side.LEFT: "", Side.RIGHT: ""}
    lines: list[DiffLine] = []
    findings: list[Finding] = []
    for line in hunk.lines:
        sides = _SIDES[line.kind]
        side = sides[-1]  # RIGHT for added and context lines, LEFT for removed ones
        found = detectors.hits(line.text, path, previous[side])
        hits = blocks.hits(line.text, sides, found)
        for each in sides:
            previous[each] = line.text
        if not hits:
            lines.append(line)
            continue
        lines.append(replace(line, text=_apply(line.text, hits)))
        findings.extend(_line_findings(path, line, _reported(hits)))
    if all(new is old for new, old in zip(lines, hunk.lines, strict=True)):
        return hunk, findings
    return replace(hunk, lines=tuple(lines)), findings


# --- findings ----------------------------------------------------------------------------------

_ACTION = (
    "Treat it as compromised: revoke or rotate it with its issuer first, then load it from the "
    "environment or a secret manager instead of the code, and purge it from git history "
    "(for example with `git filter-repo`). Rotation comes first because rewriting history "
    "does not reach existing clones, forks or caches."
)
_FALSE_POSITIVE = (
    "If this is not a secret, add a `pragma: allowlist secret` comment to the line "
    "(detect-secrets syntax) and it will be neither redacted nor reported."
)


def _line_findings(path: str, line: DiffLine, hits: list[_Hit]) -> Iterator[Finding]:
    side = Side.LEFT if line.kind is LineKind.REMOVED else Side.RIGHT
    seen: dict[_Kind, int] = {}
    for hit in hits:
        seen[hit.kind] = seen.get(hit.kind, 0) + 1
        # two secrets of one kind on one line need distinct titles, or dedupe merges them
        ordinal = f" (#{seen[hit.kind]} on this line)" if seen[hit.kind] > 1 else ""
        yield Finding(
            path=path,
            line=line.number(side),
            side=side,
            severity=Severity.MAJOR if line.kind is LineKind.REMOVED else Severity.CRITICAL,
            category="security",
            title=f"Secret in the diff: {hit.kind.label}{ordinal}",
            body=_body(hit, _WHERE[line.kind]),
            origin="secrets",
        )


def _header_finding(path: str, hit: _Hit) -> Finding:
    return Finding(
        path=path,
        line=None,
        side=Side.RIGHT,
        severity=Severity.CRITICAL,
        category="security",
        title=f"Secret in the diff: {hit.kind.label} (in a hunk header)",
        body=_body(hit, "is in a line of this file that git shows in a hunk header."),
        origin="secrets",
    )


_WHERE = {
    LineKind.ADDED: "is added on this line.",
    LineKind.CONTEXT: "is on this unchanged line, so it is already in the repository.",
    LineKind.REMOVED: (
        "is removed on this line, but removing it does not un-leak it: it stays in the "
        "repository's history and in every clone."
    ),
}


def _body(hit: _Hit, where: str) -> str:
    article = "An" if hit.kind.label[0].lower() in "aeiou" else "A"
    hint = f" (`{hit.value[: hit.kind.shown_prefix]}…`)" if hit.kind.shown_prefix else ""
    parts = [
        f"{article} {hit.kind.label}{hint} {where}",
        f"Detected locally and replaced with `{hit.kind.marker}` in everything sent to the "
        "model: the value itself was NOT sent.",
        _ACTION,
    ]
    if hit.kind.heuristic:
        parts.append(_FALSE_POSITIVE)
    return "\n\n".join(parts)
