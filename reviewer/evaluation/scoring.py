"""Precision, recall and F1 from matched counts, per case and in total.

* precision = matched findings / findings (undefined, None, without findings)
* recall = matched expected issues / expected issues (None without expected issues)
* F1 = 2 x matched / (findings + expected): the harmonic mean of the two when
  both are defined, 0 when there are issues but no findings, None when there is
  neither.

Findings on a clean case (one that expects no issue) are all false positives;
they count in the findings, and are also reported on their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from reviewer.evaluation.matching import Matching


@dataclass(frozen=True)
class Counts:
    findings: int = 0
    expected: int = 0
    matched: int = 0  # pairs: as many findings as expected issues
    clean_false_positives: int = 0  # findings on cases that expect no issue

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            findings=self.findings + other.findings,
            expected=self.expected + other.expected,
            matched=self.matched + other.matched,
            clean_false_positives=self.clean_false_positives + other.clean_false_positives,
        )

    @property
    def false_positives(self) -> int:
        return self.findings - self.matched

    @property
    def missed(self) -> int:
        return self.expected - self.matched

    @property
    def precision(self) -> float | None:
        return self.matched / self.findings if self.findings else None

    @property
    def recall(self) -> float | None:
        return self.matched / self.expected if self.expected else None

    @property
    def f1(self) -> float | None:
        total = self.findings + self.expected
        return 2 * self.matched / total if total else None


def count(matching: Matching, *, findings: int, expected: int) -> Counts:
    """The counts of one case from its matching."""
    return Counts(
        findings=findings,
        expected=expected,
        matched=len(matching.matches),
        clean_false_positives=findings if expected == 0 else 0,
    )


def total(counts: list[Counts] | tuple[Counts, ...]) -> Counts:
    return sum(counts, Counts())
