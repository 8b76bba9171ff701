"""Counts of the findings a report shows, so that every headline agrees with its list."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from reviewer.render.wording import plural
from reviewer.values import SEVERITIES, Finding, Severity


@dataclass(frozen=True)
class Tally:
    by_severity: tuple[tuple[Severity, int], ...]  # every severity, most severe first
    files: int  # distinct files with a finding

    @property
    def total(self) -> int:
        return sum(count for _, count in self.by_severity)

    def count(self, severity: Severity) -> int:
        return dict(self.by_severity)[severity]

    @property
    def headline(self) -> str:
        """``3 findings in 2 files: 1 critical, 2 minor.``, or ``No findings.``"""
        if not self.total:
            return "No findings."
        found = ", ".join(f"{count} {severity.value}" for severity, count in self._present())
        return f"{plural(self.total, 'finding')} in {plural(self.files, 'file')}: {found}."

    @property
    def line(self) -> str:
        """Every severity, none left out: ``1 critical · 0 major · 2 minor · 0 nit``."""
        return " · ".join(f"{count} {severity.value}" for severity, count in self.by_severity)

    def _present(self) -> list[tuple[Severity, int]]:
        return [(severity, count) for severity, count in self.by_severity if count]


def tally_of(findings: Sequence[Finding]) -> Tally:
    counts = Counter(finding.severity for finding in findings)
    return Tally(
        by_severity=tuple((severity, counts[severity]) for severity in SEVERITIES),
        files=len({finding.path for finding in findings}),
    )
