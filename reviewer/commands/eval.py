"""``reviewer eval CORPUS``: score configurations on labelled changes.

Every case of the corpus is reviewed by the normal engine, once per ``--config``
(side by side), and its findings are matched against the case's labels
(``reviewer.evaluation``). ``--dry-run`` plans every case and prices it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reviewer import engine
from reviewer.commands.common import (
    Override,
    client_factory,
    make_model_client,
    resolve_config,
    say,
    write_text,
)
from reviewer.config import Config
from reviewer.errors import EXIT_OK
from reviewer.evaluation import report
from reviewer.evaluation.corpus import Case, load_corpus
from reviewer.evaluation.gate import Gate, check_gate, exit_code, parse_threshold
from reviewer.evaluation.model_judge import ModelJudge
from reviewer.evaluation.results import CaseResult
from reviewer.evaluation.runner import NamedConfig, Progress, config_names, estimate, evaluate
from reviewer.values import DryRun, Review


def run(args: argparse.Namespace) -> int:
    gate = Gate(
        min_f1=None if args.min_f1 is None else parse_threshold(args.min_f1, option="--min-f1"),
        min_precision=None
        if args.min_precision is None
        else parse_threshold(args.min_precision, option="--min-precision"),
    )
    corpus = load_corpus(args.corpus)
    configs = _configs(args.config or [], args.model)
    as_json = args.format == "json"
    if args.dry_run:
        planned = estimate(corpus, configs, _estimate_case)
        write_text(
            args.output,
            report.render_dry_run_json(planned) if as_json else report.render_dry_run_text(planned),
        )
        return EXIT_OK
    judge = _judge(args.judge, configs[0].config) if args.judge else None
    try:
        scored = evaluate(
            corpus, configs, _review_case, judge=judge, progress=_progress(len(corpus.cases))
        )
    finally:
        if judge is not None:
            judge.close()
    result = check_gate(scored, gate)
    write_text(args.output, report.render_json(scored) if as_json else report.render_text(scored))
    for failure in result.failures:
        print(f"reviewer: gate: {failure}", file=sys.stderr)
    return exit_code(scored, result)


def _configs(paths: list[Path], model: str | None) -> list[NamedConfig]:
    """One configuration per ``--config`` (none: the defaults), ``--model`` over each."""
    overrides = [Override("model", model, "--model")]
    if not paths:
        return [NamedConfig("defaults", resolve_config(None, None, overrides))]
    return [
        NamedConfig(name, resolve_config(path, None, overrides))
        for name, path in zip(config_names(paths), paths, strict=True)
    ]


def _judge(model: str, config: Config) -> ModelJudge:
    """The judge model, on the first configuration's provider and credentials."""
    checked = resolve_config(None, None, [Override("model", model, "--judge")])
    return ModelJudge(make_model_client(config), checked.model)


def _review_case(case: Case, config: Config) -> Review:
    # No local cache: every configuration is measured on what the model says now.
    return engine.run(case.diff, config, client_factory=client_factory(config))


def _estimate_case(case: Case, config: Config) -> DryRun:
    return engine.dry_run(engine.prepare(case.diff, config))


def _progress(total: int) -> Progress:
    done: dict[str, int] = {}

    def report_case(named: NamedConfig, result: CaseResult) -> None:
        done[named.name] = done.get(named.name, 0) + 1
        state = "failed: " + result.failure if result.failure else "scored"
        say(f"{named.name}: {done[named.name]}/{total} {result.case.name} {state}")

    return report_case
