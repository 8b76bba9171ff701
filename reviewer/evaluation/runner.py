"""Review every case of a corpus with every configuration, and score the findings.

The review itself is injected (``review_case``): the command passes a function
that runs the normal review engine on the case's diff (and its ``tree/`` or
``repo.bundle``), so this module knows nothing of models or requests. The same
goes for the dry run's ``estimate_case`` and the optional ``judge``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from reviewer.config import Config
from reviewer.errors import ServiceError
from reviewer.evaluation.corpus import Case, Corpus
from reviewer.evaluation.judge import Judge, judge_matching
from reviewer.evaluation.matching import Matching, match
from reviewer.evaluation.results import (
    CaseEstimate,
    CaseResult,
    ConfigEstimate,
    ConfigResult,
    DryRunReport,
    EvalReport,
)
from reviewer.values import DryRun, Review


@dataclass(frozen=True)
class NamedConfig:
    name: str  # the column heading in the table
    config: Config


ReviewCase = Callable[[Case, Config], Review]
EstimateCase = Callable[[Case, Config], DryRun]
Progress = Callable[[NamedConfig, CaseResult], None]


def evaluate(
    corpus: Corpus,
    configs: Sequence[NamedConfig],
    review_case: ReviewCase,
    *,
    judge: Judge | None = None,
    progress: Progress | None = None,
) -> EvalReport:
    """Review and score every case with each configuration, in order.

    A review that fails with a ServiceError (or reports a service failure) is
    recorded on its case and the run goes on; any other error stops the run.
    """
    results = []
    for named in configs:
        cases = []
        for case in corpus.cases:
            result = review_and_score(case, named.config, review_case, judge)
            cases.append(result)
            if progress is not None:
                progress(named, result)
        results.append(
            ConfigResult(named.name, named.config.source, named.config.model, tuple(cases))
        )
    return EvalReport(corpus.root, tuple(results))


def review_and_score(
    case: Case, config: Config, review_case: ReviewCase, judge: Judge | None = None
) -> CaseResult:
    try:
        review = review_case(case, config)
    except ServiceError as exc:
        return _failed(case, str(exc))
    if review.service_failure is not None:
        return _failed(case, str(review.service_failure), review)
    return score(case, review, judge)


def score(case: Case, review: Review, judge: Judge | None = None) -> CaseResult:
    """Match a case's review against its labels (and ask the judge about the matches)."""
    matching = match(review.findings, case.expected, diff=case.diff)
    judgement = None
    if judge is not None:
        judgement = judge_matching(
            case.name, case.diff, review.findings, case.expected, matching, judge
        )
    return CaseResult(
        case=case,
        findings=review.findings,
        matching=matching,
        usage=review.usage,
        wall_seconds=review.timing.wall_seconds,
        not_reviewed=review.not_reviewed,
        judgement=judgement,
    )


def _failed(case: Case, reason: str, review: Review | None = None) -> CaseResult:
    unmatched = Matching((), (), tuple(range(len(case.expected))))
    if review is None:
        return CaseResult(case=case, findings=(), matching=unmatched, failure=reason)
    return CaseResult(
        case=case,
        findings=(),
        matching=unmatched,
        usage=review.usage,
        wall_seconds=review.timing.wall_seconds,
        not_reviewed=review.not_reviewed,
        failure=reason,
    )


def estimate(
    corpus: Corpus, configs: Sequence[NamedConfig], estimate_case: EstimateCase
) -> DryRunReport:
    """Plan every case with each configuration; nothing is sent."""
    return DryRunReport(
        corpus.root,
        tuple(
            ConfigEstimate(
                named.name,
                named.config.source,
                named.config.model,
                tuple(_estimate(case, estimate_case(case, named.config)) for case in corpus.cases),
            )
            for named in configs
        ),
    )


def _estimate(case: Case, dry: DryRun) -> CaseEstimate:
    return CaseEstimate(
        case=case.name,
        requests=len(dry.requests),
        estimated_input_tokens=sum(r.estimated_input_tokens for r in dry.requests),
        estimated_cost_usd=dry.estimated_cost_usd,
        skipped=len(dry.skipped),
    )


def config_names(paths: Sequence[Path]) -> tuple[str, ...]:
    """Column headings for ``--config`` files: their stems, or their paths if stems repeat."""
    if not paths:
        return ("defaults",)
    stems = [path.stem for path in paths]
    if len(set(stems)) == len(stems):
        return tuple(stems)
    return tuple(str(path) for path in paths)
