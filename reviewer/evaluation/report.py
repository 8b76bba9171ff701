"""The evaluation as text (configurations side by side) and as a JSON document."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from reviewer.evaluation.results import CaseResult, ConfigResult, DryRunReport, EvalReport
from reviewer.evaluation.scoring import Counts, total
from reviewer.values import Usage

_UNDEFINED = "—"


# --------------------------------------------------------------------------- text


def render_text(report: EvalReport) -> str:
    cases = report.configs[0].cases if report.configs else ()
    clean = sum(1 for c in cases if c.case.clean)
    lines = [
        f"reviewer eval: {len(cases)} cases in {report.corpus} "
        f"({len(cases) - clean} with expected issues, {clean} clean)",
        "",
        _table(["", *(c.name for c in report.configs)], _summary_rows(report.configs)),
    ]
    operators = _operator_rows(report.configs)
    if operators:
        heading = ["recall by operator", *(c.name for c in report.configs)]
        lines += ["", _table(heading, operators)]
    for config in report.configs:
        lines += [
            f"{config.name}: {c.case.name}: review failed: {c.failure}" for c in config.failed
        ]
    return "\n".join(lines) + "\n"


def _summary_rows(configs: Sequence[ConfigResult]) -> list[list[str]]:
    rows = [["model", *(c.model for c in configs)]]
    rows += _figure_rows("", [c.counts for c in configs])
    judged = [c.judged_counts for c in configs]
    if any(j is not None for j in judged):
        rows += _figure_rows("judged ", [j or Counts() for j in judged])
    rows += [
        ["findings", *(str(c.counts.findings) for c in configs)],
        ["expected", *(str(c.counts.expected) for c in configs)],
        ["matched", *(str(c.counts.matched) for c in configs)],
        ["false positives on clean cases", *(str(c.counts.clean_false_positives) for c in configs)],
        ["tokens (prompt / output)", *(_tokens(c.usage) for c in configs)],
        ["cost", *(f"${c.usage.cost_usd:.4f}" for c in configs)],
        ["wall (model stage)", *(f"{c.wall_seconds:.1f} s" for c in configs)],
    ]
    if any(c.judge_usage.requests or c.judge_usage.cost_usd for c in configs):
        rows.append(["judge cost", *(f"${c.judge_usage.cost_usd:.4f}" for c in configs)])
    if any(c.failed for c in configs):
        rows.append(["failed reviews (not scored)", *(str(len(c.failed)) for c in configs)])
    return rows


def _figure_rows(prefix: str, counts: Sequence[Counts]) -> list[list[str]]:
    return [
        [f"{prefix}precision", *(_ratio(c.precision) for c in counts)],
        [f"{prefix}recall", *(_ratio(c.recall) for c in counts)],
        [f"{prefix}F1", *(_ratio(c.f1) for c in counts)],
    ]


def _operator_rows(configs: Sequence[ConfigResult]) -> list[list[str]]:
    """matched/expected per operator, for corpora whose cases name one."""
    if not configs:
        return []
    operators = sorted(
        {c.case.info.operator for c in configs[0].cases if c.case.info.operator and c.case.expected}
    )
    rows = []
    for operator in operators:
        cells = []
        for config in configs:
            counts = total([c.counts for c in config.scored if c.case.info.operator == operator])
            cells.append(f"{counts.matched}/{counts.expected}")
        rows.append([operator, *cells])
    return rows


def _ratio(value: float | None) -> str:
    return _UNDEFINED if value is None else f"{value:.3f}"


def _tokens(usage: Usage) -> str:
    return f"{usage.prompt_tokens:,} / {usage.output_tokens:,}"


def _table(heading: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in [heading, *rows]) for i in range(len(heading))]
    rendered = []
    for row in [heading, *rows]:
        cells = [
            row[0].ljust(widths[0]),
            *(c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)),
        ]
        rendered.append("  ".join(cells).rstrip())
    return "\n".join(rendered)


def render_dry_run_text(report: DryRunReport) -> str:
    cases = len(report.configs[0].cases) if report.configs else 0
    heading = ["configuration", "model", "requests", "est. input tokens", "est. cost"]
    rows = [
        [
            c.name,
            c.model,
            str(c.requests),
            f"{sum(e.estimated_input_tokens for e in c.cases):,}",
            f"${c.estimated_cost_usd:.4f}",
        ]
        for c in report.configs
    ]
    rows.append(["total", "", "", "", f"${report.estimated_cost_usd:.4f}"])
    title = f"reviewer eval --dry-run: {cases} cases in {report.corpus}; nothing was sent"
    return f"{title}\n\n{_table(heading, rows)}\n"


# --------------------------------------------------------------------------- JSON


def render_json(report: EvalReport) -> str:
    document = {
        "corpus": str(report.corpus),
        "failed": report.failed,
        "configurations": [_config_json(c) for c in report.configs],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _config_json(config: ConfigResult) -> dict[str, Any]:
    judged = config.judged_counts
    return {
        "name": config.name,
        "source": config.source,
        "model": config.model,
        "totals": _counts_json(config.counts),
        "judged": _counts_json(judged) if judged is not None else None,
        "failed_cases": [c.case.name for c in config.failed],
        "usage": _usage_json(config.usage),
        "judge_usage": _usage_json(config.judge_usage) if judged is not None else None,
        "wall_seconds": round(config.wall_seconds, 3),
        "cases": [_case_json(c) for c in config.cases],
    }


def _counts_json(counts: Counts) -> dict[str, Any]:
    return {
        "precision": _rounded(counts.precision),
        "recall": _rounded(counts.recall),
        "f1": _rounded(counts.f1),
        "findings": counts.findings,
        "expected": counts.expected,
        "matched": counts.matched,
        "false_positives": counts.false_positives,
        "missed": counts.missed,
        "clean_false_positives": counts.clean_false_positives,
    }


def _case_json(result: CaseResult) -> dict[str, Any]:
    case = result.case
    judged = result.judged_counts
    return {
        "name": case.name,
        "operator": case.info.operator or None,
        "language": case.info.language or None,
        "kind": case.info.kind or None,
        "source": case.info.source or None,
        "clean": case.clean,
        "failure": result.failure,
        **_counts_json(result.counts),
        "judged": _counts_json(judged) if judged is not None else None,
        "findings": [_finding_json(result, i) for i in range(len(result.findings))],
        "expected": [_expected_json(result, i) for i in range(len(case.expected))],
        "not_reviewed": [{"path": p.path, "reason": p.reason} for p in result.not_reviewed],
        "usage": _usage_json(result.usage),
        "wall_seconds": round(result.wall_seconds, 3),
    }


def _finding_json(result: CaseResult, index: int) -> dict[str, Any]:
    finding = result.findings[index]
    matched = result.matching.for_finding(index)
    verdict = None
    if result.judgement is not None and matched is not None:
        verdict = next(j.verdict for j in result.judgement.judged if j.match == matched)
    return {
        "path": finding.path,
        "line": finding.line,
        "start_line": finding.start_line,
        "side": finding.side.value,
        "severity": finding.severity.value,
        "category": finding.category,
        "title": finding.title,
        "matched_expected": matched.expected if matched else None,
        "distance": matched.distance if matched else None,
        "judged": {"describes": verdict.describes, "reason": verdict.reason} if verdict else None,
    }


def _expected_json(result: CaseResult, index: int) -> dict[str, Any]:
    issue = result.case.expected[index]
    matched = result.matching.for_expected(index)
    return {
        "path": issue.path,
        "lines": list(issue.lines) if issue.lines else None,
        "severity": issue.severity.value if issue.severity else None,
        "description": issue.description,
        "matched_finding": matched.finding if matched else None,
    }


def _usage_json(usage: Usage) -> dict[str, Any]:
    return {
        "requests": usage.requests,
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_creation_input_tokens": usage.cache_creation_input_tokens,
        "cache_read_input_tokens": usage.cache_read_input_tokens,
        "cost_usd": round(usage.cost_usd, 6),
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def render_dry_run_json(report: DryRunReport) -> str:
    document = {
        "dry_run": True,
        "corpus": str(report.corpus),
        "estimated_cost_usd": round(report.estimated_cost_usd, 6),
        "configurations": [
            {
                "name": c.name,
                "source": c.source,
                "model": c.model,
                "requests": c.requests,
                "estimated_cost_usd": round(c.estimated_cost_usd, 6),
                "cases": [
                    {
                        "name": e.case,
                        "requests": e.requests,
                        "estimated_input_tokens": e.estimated_input_tokens,
                        "estimated_cost_usd": round(e.estimated_cost_usd, 6),
                        "skipped": e.skipped,
                    }
                    for e in c.cases
                ],
            }
            for c in report.configs
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
