"""``--min-f1`` / ``--min-precision``: whether an evaluation passes, and the exit code.

Every configuration must reach each threshold. When a judge ran, its figures
are the ones held to the threshold (they can only be lower). A figure that is
undefined passes: precision without findings (none of them was wrong), F1
without findings or expected issues (nothing to get wrong).
"""

from __future__ import annotations

from dataclasses import dataclass

from reviewer.errors import EXIT_FINDINGS, EXIT_OK, EXIT_SERVICE, UsageError
from reviewer.evaluation.results import EvalReport


@dataclass(frozen=True)
class Gate:
    min_f1: float | None = None
    min_precision: float | None = None


@dataclass(frozen=True)
class GateResult:
    passed: bool
    failures: tuple[str, ...] = ()  # one sentence per missed threshold


def check_gate(report: EvalReport, gate: Gate) -> GateResult:
    failures: list[str] = []
    for config in report.configs:
        counts = config.judged_counts or config.counts
        figures = (
            ("F1", counts.f1, gate.min_f1),
            ("precision", counts.precision, gate.min_precision),
        )
        for label, value, threshold in figures:
            if threshold is not None and value is not None and value < threshold:
                failures.append(f"{config.name}: {label} {value:.3f} is below {threshold:.3f}")
    return GateResult(passed=not failures, failures=tuple(failures))


def exit_code(report: EvalReport, gate_result: GateResult) -> int:
    """3 when a review failed (the figures are incomplete), 1 when the gate failed, else 0."""
    if report.failed:
        return EXIT_SERVICE
    return EXIT_OK if gate_result.passed else EXIT_FINDINGS


def parse_threshold(raw: str, *, option: str) -> float:
    """A threshold from the command line: a number from 0 to 1."""
    try:
        value = float(raw)
    except ValueError:
        raise UsageError(f"{option}: expected a number from 0 to 1, got {raw!r}") from None
    if not 0.0 <= value <= 1.0:
        raise UsageError(f"{option}: expected a number from 0 to 1, got {raw!r}")
    return value
