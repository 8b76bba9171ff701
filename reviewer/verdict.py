"""The one place a finished review becomes an exit code.

Every entry point (``review``, ``hook``, ``action``, ``batch resume``) ends
here, so a threshold means the same thing everywhere. Errors raised along the
way carry their own exit code (``reviewer.errors``) and never reach this.
"""

from __future__ import annotations

from typing import Literal

from reviewer.errors import EXIT_FINDINGS, EXIT_OK, EXIT_SERVICE
from reviewer.values import Review, Severity

# What a run does when the service failed and nothing was reviewed, or when part of
# the change was not reviewed: ``fail`` (exit 3) for a review or a CI gate; ``pass``
# for the pre-commit hook, which does not stand in the way for reasons outside the change.
Policy = Literal["fail", "pass"]


def exit_code(
    review: Review,
    threshold: Severity | None,
    *,
    on_service_failure: Policy = "fail",
    on_incomplete: Policy = "fail",
) -> int:
    """3 when the service failed, or when files were left unreviewed, unless the policy
    for that passes; else 1 when a finding reaches ``threshold`` (None: never); else 0.

    A CI gate must not go green on a review that covered a fifth of the change.
    """
    if review.service_failure is not None and on_service_failure == "fail":
        return EXIT_SERVICE
    if review.not_reviewed and on_incomplete == "fail":
        return EXIT_SERVICE
    return EXIT_FINDINGS if review.reaches(threshold) else EXIT_OK
