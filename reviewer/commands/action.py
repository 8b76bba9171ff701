"""``reviewer action``: what a GitHub Actions event asks for, handed to the module that does it.

A pull request event (opened, pushed to, reopened, ready for review) is reviewed
and the review posted (``action_review``); a comment event
(``pull_request_review_comment``, ``issue_comment``) is answered in its thread or
runs its ``/reviewer`` command (``action_comment``). Everything else ends with a
notice (``action_review`` says why).

Exit codes are the CLI's: 0 done, 1 a finding reached ``fail_on``, 2 bad input
(payload, repository, configuration), 3 a service failed (GitHub, the model) or the
review did not cover the change (``on_incomplete: fail``).
"""

from __future__ import annotations

import argparse
import os

from reviewer.commands.action_comment import on_comment
from reviewer.commands.action_review import on_pull_request
from reviewer.github import event as github_event


def run(args: argparse.Namespace) -> int:
    environment = github_event.read_environment(os.environ)
    inputs = github_event.read_inputs(os.environ)
    if environment.event_name in github_event.COMMENT_EVENTS:
        return on_comment(args, environment, inputs)
    return on_pull_request(args, environment, inputs)
