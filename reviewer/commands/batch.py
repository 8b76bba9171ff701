"""``reviewer batch resume|status ID``: finish or inspect a review sent as a Message Batch.

``reviewer review --batch`` (and the Action's ``batch`` input) submit every
request of a run as one batch and save, before waiting, the state that resume
needs (``reviewer.batch``). ``resume`` rebuilds the same requests from that
state, waits for the batch and reports the review as ``review`` would.
"""

from __future__ import annotations

import argparse
import asyncio

from reviewer import engine
from reviewer.batch import BatchWait, describe, load_state
from reviewer.commands.common import (
    Override,
    apply_overrides,
    batch_state_dir,
    cache_scope,
    client_factory,
    find_repo_root,
    generated_paths,
    make_model_client,
    say,
    verdict,
    write_report,
)
from reviewer.diff import parse_diff
from reviewer.errors import EXIT_OK
from reviewer.model import batch_progress


def resume(args: argparse.Namespace) -> int:
    repo = find_repo_root(args.repo)
    state_dir = batch_state_dir(repo)
    state = load_state(state_dir, args.batch_id)
    config = apply_overrides(state.config, [Override("fail_on", args.fail_on, "--fail-on")])
    diff = parse_diff(state.diff_text, source=state.diff_source)
    # The same generated files as when the batch was planned, if the tree still says so.
    generated = generated_paths(repo, diff)
    mode = engine.Resume(
        batch_id=state.batch_id,
        request_digests=state.request_digests,
        wait=BatchWait(poll_seconds=args.poll_seconds, state_dir=state_dir, say=say),
    )
    with cache_scope(repo, enabled=not args.no_cache) as cache:
        review = engine.run(
            diff,
            config,
            client_factory=client_factory(config),
            pr=engine.PullRequestText(state.title, state.description),
            cache=cache,
            mode=mode,
            generated=generated,
        )
    write_report(review, diff, format=args.format, output=args.output)
    return verdict(review, config)


def status(args: argparse.Namespace) -> int:
    state = load_state(batch_state_dir(find_repo_root(args.repo)), args.batch_id)
    progress = asyncio.run(batch_progress(make_model_client(state.config), state.batch_id))
    print(describe(progress))
    return EXIT_OK
