"""The one mapping from a finished review to an exit code, for every entry point."""

from __future__ import annotations

import pytest

from reviewer.values import Finding, PathReason, Review, ServiceFailure, Severity, Side
from reviewer.verdict import exit_code

MAJOR = Finding("a.py", 3, Side.RIGHT, Severity.MAJOR, "bug", "Off by one", "body")


def review(*findings: Finding, missing: int = 0, failure: ServiceFailure | None = None) -> Review:
    return Review(
        model="claude-sonnet-5-5",
        findings=findings,
        inline=findings,
        summary="",
        not_reviewed=tuple(PathReason(f"f{i}.py", "API error 500") for i in range(missing)),
        service_failure=failure,
    )


@pytest.mark.parametrize(
    ("threshold", "expected"),
    [(Severity.CRITICAL, 0), (Severity.MAJOR, 1), (Severity.NIT, 1), (None, 0)],
)
def test_findings_fail_only_at_or_above_the_threshold(
    threshold: Severity | None, expected: int
) -> None:
    assert exit_code(review(MAJOR), threshold) == expected


def test_a_service_failure_is_3_unless_the_policy_passes_then_findings_decide() -> None:
    failed = review(MAJOR, missing=2, failure=ServiceFailure("API error 529"))
    assert exit_code(failed, Severity.MAJOR) == 3
    assert exit_code(failed, None) == 3
    lenient = exit_code(failed, Severity.MAJOR, on_service_failure="pass", on_incomplete="pass")
    assert lenient == 1
    assert exit_code(failed, None, on_service_failure="pass", on_incomplete="pass") == 0


def test_an_incomplete_review_is_3_by_default_and_judged_on_findings_when_it_passes() -> None:
    partial = review(missing=26)
    assert exit_code(partial, Severity.CRITICAL) == 3
    assert exit_code(partial, Severity.CRITICAL, on_incomplete="pass") == 0
    assert exit_code(review(MAJOR, missing=1), Severity.MAJOR, on_incomplete="pass") == 1
    assert exit_code(review(), Severity.CRITICAL) == 0  # complete and clean
