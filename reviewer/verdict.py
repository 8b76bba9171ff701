"""The one place a finished review becomes an exit code.

Every entry point (``review``, ``hook``, ``action``, ``batch resume``) ends
here, so a threshold means the same thing everywhere. Errors raised along the
way carry their own exit code (``reviewer.errors``) and never reach this.
"""

from __future__ import annotations

from typing import Literal

from reviewer.errors import EXIT_FINDINGS, EXIT_OK, EXIT_SERVICE
from reviewer.values import Review, Severity

# What a run does when the service failed and nothing was reviewed: ``fail``
# (exit 3) for a review or a CI gate; ``pass`` for the pre-commit hook, which
# does not stand in the way for reasons outside the change.
OnServiceFailure = Literal["fail", "pass"]


def exit_code(
    review: Review, threshold: Severity | None, *, on_service_failure: OnServiceFailure = "fail"
) -> int:
    """3 when the service failed (unless the policy passes), 1 when a finding reaches
    ``threshold`` (None: never), else 0."""
    if review.service_failure is not None and on_service_failure == "fail":
        return EXIT_SERVICE
    return EXIT_FINDINGS if review.reaches(threshold) else EXIT_OK
