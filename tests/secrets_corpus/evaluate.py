"""Run a corpus through the secret scan as one diff, and judge each sample.

Every sample becomes a new file of one diff (``corpus/NNNNN/<its path>``), so the scan
sees the corpus the way it sees a pull request, and each finding belongs to exactly
one sample.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reviewer.diff import Diff, FileDiff, parse_diff
from reviewer.secrets import scan_diff
from reviewer.secrets.engines import ProviderEngine
from reviewer.values import Finding
from tests.secrets_corpus.corpus import Sample


@dataclass(frozen=True)
class Outcome:
    sample: Sample
    sent: bool  # some of the secret's random material is in what would be sent
    flagged: bool  # a finding points at a line holding the secret
    findings: int  # findings in the sample's file (for a negative: false positives)
    redacted: bool  # anything in the file was changed


def corpus_diff(samples: Sequence[Sample]) -> str:
    """One diff adding each sample as a new file."""
    parts: list[str] = []
    for index, sample in enumerate(samples):
        path = f"corpus/{index:05d}/{sample.path}"
        lines = sample.text.splitlines()
        parts.append(f"diff --git a/{path} b/{path}\nnew file mode 100644\n")
        parts.append(f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{len(lines)} @@\n")
        parts.extend(f"+{line}\n" for line in lines)
    return "".join(parts)


def evaluate(samples: Sequence[Sample], engine: ProviderEngine) -> tuple[Outcome, ...]:
    diff = parse_diff(corpus_diff(samples))
    scan = scan_diff(diff, engine=engine)
    by_path: dict[str, list[Finding]] = {}
    for finding in scan.findings:
        by_path.setdefault(finding.path, []).append(finding)
    return tuple(
        _judge(sample, before, after, by_path.get(after.path, []))
        for sample, before, after in zip(samples, diff.files, scan.diff.files, strict=True)
    )


def sent_text(file: FileDiff) -> str:
    return "\n".join(line.text for hunk in file.hunks for line in hunk.lines)


def _judge(sample: Sample, before: FileDiff, after: FileDiff, findings: list[Finding]) -> Outcome:
    sent = sent_text(after)
    secret_lines = {
        number
        for number, line in enumerate(sample.text.splitlines(), start=1)
        if sample.secret and sample.secret in line
    }
    return Outcome(
        sample=sample,
        sent=sample.positive and sample.leaked(sent),
        flagged=any(f.line in secret_lines for f in findings),
        findings=len(findings),
        redacted=sent != sent_text(before),
    )


def as_diff(samples: Sequence[Sample]) -> Diff:
    return parse_diff(corpus_diff(samples))
