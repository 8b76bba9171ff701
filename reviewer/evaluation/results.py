"""What an evaluation produced: per case, per configuration, for the whole corpus."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reviewer.evaluation.corpus import Case
from reviewer.evaluation.judge import Judgement
from reviewer.evaluation.matching import Matching
from reviewer.evaluation.scoring import Counts, count, total
from reviewer.values import Finding, PathReason, Usage


@dataclass(frozen=True)
class CaseResult:
    case: Case
    findings: tuple[Finding, ...]
    matching: Matching
    usage: Usage = field(default_factory=Usage)
    wall_seconds: float = 0.0
    not_reviewed: tuple[PathReason, ...] = ()
    failure: str | None = None  # why the review did not happen; the case is not scored
    judgement: Judgement | None = None

    @property
    def counts(self) -> Counts:
        return count(self.matching, findings=len(self.findings), expected=len(self.case.expected))

    @property
    def judged_counts(self) -> Counts | None:
        if self.judgement is None:
            return None
        return count(
            self.judgement.matching, findings=len(self.findings), expected=len(self.case.expected)
        )


@dataclass(frozen=True)
class ConfigResult:
    name: str
    source: str  # the configuration file, or "defaults"
    model: str
    cases: tuple[CaseResult, ...]

    @property
    def scored(self) -> tuple[CaseResult, ...]:
        """The cases that were reviewed: a failed review scores nothing either way."""
        return tuple(c for c in self.cases if c.failure is None)

    @property
    def failed(self) -> tuple[CaseResult, ...]:
        return tuple(c for c in self.cases if c.failure is not None)

    @property
    def counts(self) -> Counts:
        return total([c.counts for c in self.scored])

    @property
    def judged_counts(self) -> Counts | None:
        judged = [c.judged_counts for c in self.scored]
        if not judged or any(j is None for j in judged):
            return None
        return total([j for j in judged if j is not None])

    @property
    def usage(self) -> Usage:
        """What the reviews used, failed ones included: they were paid for."""
        return sum((c.usage for c in self.cases), Usage())

    @property
    def judge_usage(self) -> Usage:
        return sum((c.judgement.usage for c in self.cases if c.judgement), Usage())

    @property
    def wall_seconds(self) -> float:
        return sum(c.wall_seconds for c in self.cases)


@dataclass(frozen=True)
class EvalReport:
    corpus: Path
    configs: tuple[ConfigResult, ...]

    @property
    def failed(self) -> bool:
        """Whether any review failed: the run did not measure what it was asked to."""
        return any(c.failed for c in self.configs)


@dataclass(frozen=True)
class CaseEstimate:
    case: str
    requests: int
    estimated_input_tokens: int
    estimated_cost_usd: float
    skipped: int  # files the plan skips


@dataclass(frozen=True)
class ConfigEstimate:
    name: str
    source: str
    model: str
    cases: tuple[CaseEstimate, ...]

    @property
    def requests(self) -> int:
        return sum(c.requests for c in self.cases)

    @property
    def estimated_cost_usd(self) -> float:
        return sum(c.estimated_cost_usd for c in self.cases)


@dataclass(frozen=True)
class DryRunReport:
    corpus: Path
    configs: tuple[ConfigEstimate, ...]

    @property
    def estimated_cost_usd(self) -> float:
        return sum(c.estimated_cost_usd for c in self.configs)
