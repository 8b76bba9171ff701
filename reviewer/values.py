"""The plain values that pass between pipeline stages and out to publishers."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"
    NIT = "nit"

    @property
    def rank(self) -> int:
        """0 for the most severe; sorting by rank puts critical first."""
        return _SEVERITY_ORDER.index(self)

    def at_least(self, threshold: Severity) -> bool:
        return self.rank <= threshold.rank


_SEVERITY_ORDER = (Severity.CRITICAL, Severity.MAJOR, Severity.MINOR, Severity.NIT)
SEVERITIES: tuple[Severity, ...] = _SEVERITY_ORDER


class Side(StrEnum):
    """GitHub's sides: RIGHT is the new file, LEFT the old one."""

    RIGHT = "RIGHT"
    LEFT = "LEFT"


@dataclass(frozen=True)
class Finding:
    """One review comment. ``line`` is None for a file-level finding."""

    path: str
    line: int | None
    side: Side
    severity: Severity
    category: str
    title: str
    body: str
    start_line: int | None = None
    suggestion: str | None = None
    origin: str = "model"  # "model" or "secrets": secrets findings never reach the API

    def fingerprint(self) -> str:
        """Stable identity for dedupe across runs: where, what kind, and what was said.

        The body is left out on purpose: the model words the same finding
        differently on a re-run, but the title and anchor stay put.
        """
        key = "\x1f".join(
            [self.path, str(self.line), self.side, self.category, _normalise(self.title)]
        )
        return hashlib.sha256(key.encode()).hexdigest()[:16]


def _normalise(text: str) -> str:
    return " ".join(text.lower().split())


@dataclass(frozen=True)
class PathReason:
    """A file that was not reviewed, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class Usage:
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    cost_usd: float = 0.0
    # Hunks not sent at all because the local review cache had their findings
    # (reviewer.cache); the token counts above are the API's prompt caching.
    cached_hunks: int = 0
    # Requests sent again by reviewer itself (a stream cut after it began, an answer
    # that failed validation); the SDK's own retries are not counted here.
    retries: int = 0
    # Model turns that ended asking for repository tools (reviewer.repository.tools);
    # each is also one of ``requests``.
    tool_turns: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            requests=self.requests + other.requests,
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cache_creation_input_tokens=self.cache_creation_input_tokens
            + other.cache_creation_input_tokens,
            cache_read_input_tokens=self.cache_read_input_tokens + other.cache_read_input_tokens,
            cost_usd=self.cost_usd + other.cost_usd,
            cached_hunks=self.cached_hunks + other.cached_hunks,
            retries=self.retries + other.retries,
            tool_turns=self.tool_turns + other.tool_turns,
        )

    @property
    def prompt_tokens(self) -> int:
        return self.input_tokens + self.cache_creation_input_tokens + self.cache_read_input_tokens

    @property
    def cache_hit_share(self) -> float:
        """Share of prompt tokens that were read from the cache."""
        total = self.prompt_tokens
        return self.cache_read_input_tokens / total if total else 0.0


@dataclass(frozen=True)
class Timing:
    """How long the run took: the local work, and the model stage against its requests."""

    wall_seconds: float = 0.0  # the model stage
    request_seconds: float = 0.0  # sum over requests: what a sequential run would take
    local_seconds: float = 0.0  # before anything is sent: cache look-up, secret scan, plan


@dataclass(frozen=True)
class ServiceFailure:
    """Why no model request produced a review: the service failed, not the change.

    A run that ends so still reports what it has (local secret findings, cached
    reviews); whether it then fails is the caller's policy (``reviewer.verdict``).
    """

    reason: str
    answered: bool = False  # the service answered, but nothing it said was usable

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True)
class NotSent:
    """What a client factory gives the engine when a run should not reach the model.

    The pre-commit hook without an API key is the case: the local findings are
    reported, the rest as not reviewed with ``reason``, and nothing failed.
    """

    reason: str


@dataclass(frozen=True)
class FilteredFinding:
    """A finding the verification pass judged unlikely: not posted inline, but listed."""

    finding: Finding
    reason: str  # the verifier's one line
    confidence: float  # its confidence that dropping is right, 0..1


@dataclass(frozen=True)
class Review:
    """What a review run produced: the input of every publisher."""

    model: str
    findings: tuple[Finding, ...]  # deduped, most severe first; includes file-level ones
    inline: tuple[Finding, ...]  # the subset to post on lines, capped at max_comments
    summary: str
    not_reviewed: tuple[PathReason, ...] = ()
    skipped: tuple[PathReason, ...] = ()
    usage: Usage = field(default_factory=Usage)
    below_min_severity: int = 0  # findings left out by the min_severity setting
    # Set when no model request succeeded because the service failed.
    service_failure: ServiceFailure | None = None
    timing: Timing = field(default_factory=lambda: Timing())
    # Findings the verification pass dropped (reviewer.verify), most severe first.
    filtered: tuple[FilteredFinding, ...] = ()

    @property
    def overflow(self) -> tuple[Finding, ...]:
        """Findings anchored to a line that did not fit under max_comments."""
        inline = set(self.inline)
        return tuple(f for f in self.findings if f.line is not None and f not in inline)

    def worst(self) -> Severity | None:
        return min((f.severity for f in self.findings), key=lambda s: s.rank, default=None)

    def reaches(self, threshold: Severity | None) -> bool:
        """Whether a finding is at least ``threshold`` severe (None: never)."""
        worst = self.worst()
        return threshold is not None and worst is not None and worst.at_least(threshold)


@dataclass(frozen=True)
class PlannedRequest:
    """A request as planned, before anything is sent (what --dry-run shows)."""

    paths: tuple[str, ...]
    hunks: int
    estimated_input_tokens: int


@dataclass(frozen=True)
class DryRun:
    model: str
    requests: tuple[PlannedRequest, ...]
    skipped: tuple[PathReason, ...]
    estimated_cost_usd: float
    cached_hunks: int = 0  # reviewed before: served from the local cache, not planned
    batch: bool = False  # priced as one Message Batch (half price)
    # Included in estimated_cost_usd (reviewer.engine.dry_run says what is assumed).
    estimated_tool_turns: int = 0
    estimated_verifications: int = 0
