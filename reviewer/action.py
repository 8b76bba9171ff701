"""The `reviewer action` command: review the pull request of a GitHub Actions event.

One run posts at most one review, on the head commit GitHub reports now:

1. Events other than a pull request opened, pushed to, reopened or marked ready
   (and drafts and bots' pull requests, unless asked) end with a notice, exit 0.
2. A fork's pull request under ``pull_request`` has no secrets: without an API
   key the run explains the options and exits 0.
3. Earlier reviews' markers are read: a head already reviewed in full ends the
   run; otherwise only the hunks changed since the last reviewed head are sent
   (all of them after a force-push), and findings posted before are dropped.
4. The review is posted (inline comments checked against the diff; any GitHub
   still refuses move into the body). A token that may not write (403) gets the
   review as workflow annotations and the step summary instead.

Exit codes are the CLI's: 0 done, 1 a finding reached ``fail_on``, 2 bad input
(payload, repository, configuration), 3 a service failed (GitHub, the model).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reviewer.action_batch import BatchWait
    from reviewer.config import Config
    from reviewer.diff import Diff
    from reviewer.engine import PullRequestText
    from reviewer.github_event import ActionEnvironment, ActionInputs
    from reviewer.github_marker import History
    from reviewer.github_review import ReviewDraft
    from reviewer.publish.github import PostedReview, PullRequest, PullRequestInfo, WriteRefused
    from reviewer.values import Review

DEFAULT_WRITE_INTERVAL_S = 1.0
DEFAULT_MAX_RATE_LIMIT_WAIT_S = 900.0

FORK_WITHOUT_KEY = (
    "Not reviewed: this pull request comes from a fork, and GitHub gives workflows "
    "that run on `pull_request` for forks no secrets, so there is no Anthropic API key. "
    "To review pull requests from forks, run this action on `pull_request_target` "
    "(safe with this action, which reads the diff through the API and runs nothing "
    "from the pull request, as long as the workflow does not check out the pull "
    "request's code), or push the branch to this repository."
)


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add the ``action`` subcommand to the ``reviewer`` parser."""
    action = commands.add_parser(
        "action",
        help="review the pull request of a GitHub Actions event and post the review",
        description="Review the pull request of the current GitHub Actions event and post "
        "one review. Reads GITHUB_EVENT_NAME, GITHUB_EVENT_PATH, GITHUB_REPOSITORY, "
        "GITHUB_API_URL, GITHUB_STEP_SUMMARY, GITHUB_OUTPUT, the token (INPUT_GITHUB_TOKEN "
        "or GITHUB_TOKEN), the key (INPUT_ANTHROPIC_API_KEY or ANTHROPIC_API_KEY) and the "
        "action's other INPUT_* variables.",
        epilog="Exit codes: 0 done, 1 findings at or above fail_on, 2 bad input or "
        "configuration, 3 GitHub or the model failed.",
    )
    action.add_argument(
        "--write-interval",
        type=float,
        default=DEFAULT_WRITE_INTERVAL_S,
        metavar="SECONDS",
        help="pause between write requests to GitHub (default: %(default)s, as GitHub advises)",
    )
    action.add_argument(
        "--max-rate-limit-wait",
        type=float,
        default=DEFAULT_MAX_RATE_LIMIT_WAIT_S,
        metavar="SECONDS",
        help="fail rather than wait longer than this for a GitHub rate limit "
        "(default: %(default)s)",
    )
    action.set_defaults(run=run_action)


def run_action(args: argparse.Namespace) -> int:
    from reviewer import github_event
    from reviewer.errors import UsageError
    from reviewer.github_limits import RetryPolicy
    from reviewer.github_output import append_step_summary, notice
    from reviewer.publish.github import GitHub, GitHubSettings

    environment = github_event.read_environment(os.environ)
    inputs = github_event.read_inputs(os.environ)
    event = None
    if environment.event_name in github_event.PULL_REQUEST_EVENTS:
        event = github_event.read_event(environment)
    reason = github_event.skip_reason(environment, event, inputs)
    if reason is not None or event is None:
        notice(f"Not reviewed: {reason}", sys.stdout)
        return 0
    repository = github_event.require_repository(environment)
    config = _config(inputs, environment)
    # Bedrock and Vertex AI take the cloud's credentials from the environment, not a key.
    if inputs.anthropic_api_key is None and config.provider == "anthropic":
        if event.is_fork and environment.event_name == "pull_request":
            notice(FORK_WITHOUT_KEY, sys.stdout)
            append_step_summary(environment.step_summary, f"## Code review\n\n{FORK_WITHOUT_KEY}")
            return 0
        raise UsageError(
            "no Anthropic API key: the anthropic_api_key input and ANTHROPIC_API_KEY are empty",
            hint="add the key as a repository secret and pass it as the anthropic_api_key input",
        )
    if inputs.github_token is None:
        raise UsageError(
            "no GitHub token: the github_token input and GITHUB_TOKEN are empty",
            hint="leave github_token at its default, ${{ github.token }}",
        )
    settings = GitHubSettings(
        api_url=environment.api_url,
        token=inputs.github_token,
        seconds_between_writes=args.write_interval,
        retry=RetryPolicy(max_wait_s=args.max_rate_limit_wait),
    )
    run = _Run(environment, inputs, config, inputs.anthropic_api_key)
    with GitHub(settings) as github:
        return run.review(github.pull_request(repository, event.number))


def _config(inputs: ActionInputs, environment: ActionEnvironment) -> Config:
    """The repository's configuration (from the checkout, if any), then the inputs over it."""
    from reviewer.config import config_from_mapping, load_config

    workspace = environment.workspace
    repo_root = workspace if workspace is not None and workspace.is_dir() else None
    config = load_config(inputs.config, repo_root)
    overrides = {
        key: value
        for key, value in (
            ("model", inputs.model),
            ("fail_on", inputs.fail_on),
            ("max_comments", inputs.max_comments),
        )
        if value is not None
    }
    checked = config_from_mapping(overrides, source="action inputs")
    return dataclasses.replace(config, **{key: getattr(checked, key) for key in overrides})


@dataclass(frozen=True)
class _Scope:
    """What this run sends to the model, and the notes that say so in the review."""

    diff: Diff
    notes: tuple[str, ...]
    nothing_new: bool = False


@dataclass(frozen=True)
class _Run:
    environment: ActionEnvironment
    inputs: ActionInputs
    config: Config
    api_key: str | None

    def review(self, pull: PullRequest) -> int:
        from reviewer.github_marker import read_history
        from reviewer.github_output import notice

        info = pull.info
        history = read_history(pull.reviews())
        done = history.complete_review_of(info.head_sha)
        if done is not None:
            message = f"Commit {info.head_sha[:7]} was already reviewed: {done.html_url}"
            notice(message, sys.stdout)
            self._finish(message, findings=0, url=done.html_url)
            return 0
        fetched = pull.diff()
        scope = _scope(pull, history, fetched.diff)
        if scope.nothing_new:
            notice(scope.notes[0], sys.stdout)
            self._finish(scope.notes[0], findings=0, url="")
            return 0
        batch = self._batch_wait(info)
        review = _run_model(scope.diff, self.config, _pr_text(info), self.api_key, batch)
        review = dataclasses.replace(review, skipped=review.skipped + fetched.skipped)
        if review.service_failure is not None:
            return self._service_failed(review)
        draft = self._draft(review, history, scope, fetched.diff, info.head_sha)
        outcome = pull.post(draft)
        self._report(draft, outcome)
        return self._exit_code(review)

    def _batch_wait(self, info: PullRequestInfo) -> BatchWait | None:
        """How to wait for the model stage's batch; None: stream the requests as usual."""
        if not self.inputs.batch:
            return None
        from reviewer.action_batch import BatchWait
        from reviewer.batch_command import state_dir

        return BatchWait(
            poll_seconds=self.inputs.batch_poll_seconds,
            timeout_minutes=self.inputs.batch_timeout_minutes,
            state_dir=state_dir(None),
            source=f"{info.repository}#{info.number}",
        )

    def _draft(
        self, review: Review, history: History, scope: _Scope, diff: Diff, head_sha: str
    ) -> ReviewDraft:
        from reviewer.github_marker import ReviewState
        from reviewer.github_review import draft_review, without_posted

        new = without_posted(review, history.fingerprints, max_comments=self.config.max_comments)
        notes = list(scope.notes)
        repeated = len(review.findings) - len(new.findings)
        if repeated:
            notes.append(f"{_count(repeated, 'finding')} posted in earlier reviews not repeated.")
        state = ReviewState(
            head_sha=head_sha,
            complete=not review.not_reviewed,
            run_id=uuid.uuid4().hex[:16],
            fingerprints=tuple(f.fingerprint() for f in new.findings),
        )
        return draft_review(
            new,
            diff=diff,
            state=state,
            notes=notes,
            request_changes_at=self.config.fail_on if self.inputs.request_changes else None,
        )

    def _report(self, draft: ReviewDraft, outcome: PostedReview | WriteRefused) -> None:
        from reviewer.publish.github import PostedReview

        if isinstance(outcome, PostedReview):
            moved = f", {len(outcome.moved)} moved into the body" if outcome.moved else ""
            print(
                f"reviewer: posted review {outcome.html_url}: {len(outcome.inline)} inline "
                f"comments{moved}",
                file=sys.stderr,
            )
            link = f"Posted as [a review on the pull request]({outcome.html_url})."
            self._finish(
                _summary(draft, link), findings=len(draft.review.findings), url=outcome.html_url
            )
        else:
            self._write_refused(draft, outcome)

    def _write_refused(self, draft: ReviewDraft, refused: WriteRefused) -> None:
        from reviewer.github_output import emit, notice
        from reviewer.github_review import finding_annotations

        explanation = (
            f"The token may not post reviews here (GitHub said: {refused.message}). This is "
            "expected for a fork's pull request under `pull_request`; otherwise give the job "
            "`permissions: pull-requests: write`. The review follows here and as annotations."
        )
        notice(explanation, sys.stdout)
        for annotation in finding_annotations(draft.review):
            emit(annotation, sys.stdout)
        self._finish(_summary(draft, explanation), findings=len(draft.review.findings), url="")

    def _service_failed(self, review: Review) -> int:
        from reviewer.errors import EXIT_SERVICE
        from reviewer.publish.markdown import render_markdown

        # Nothing is posted, so a re-run reviews this head again once the service is back.
        self._finish(render_markdown(review), findings=0, url="")
        print(f"reviewer: error: {review.service_failure}", file=sys.stderr)
        return EXIT_SERVICE

    def _finish(self, summary: str, *, findings: int, url: str) -> None:
        from reviewer.github_output import append_step_summary, write_outputs

        append_step_summary(self.environment.step_summary, summary)
        write_outputs(self.environment.output, {"findings": str(findings), "review_url": url})

    def _exit_code(self, review: Review) -> int:
        from reviewer.errors import EXIT_FINDINGS, EXIT_OK

        return EXIT_FINDINGS if review.reaches(self.config.fail_on) else EXIT_OK


def _scope(pull: PullRequest, history: History, diff: Diff) -> _Scope:
    from reviewer.incremental import narrow

    last = history.last_complete
    if last is None:
        return _Scope(diff, ())
    since = f"`{last.head_sha[:7]}`"
    changed = pull.changed_since(last.head_sha)
    if changed is None:
        note = f"Full review: the branch no longer contains {since}, the last commit reviewed."
        return _Scope(diff, (note,))
    narrowed = narrow(diff, changed)
    if narrowed.is_empty:
        note = f"Nothing new to review: the diff has not changed since {since}."
        return _Scope(narrowed, (note,), nothing_new=True)
    files = _count(len(narrowed.files), "file")
    return _Scope(narrowed, (f"Incremental review: the changes since {since}, in {files}.",))


def _run_model(
    diff: Diff, config: Config, pr: PullRequestText, api_key: str | None, batch: BatchWait | None
) -> Review:
    import asyncio

    from reviewer import engine
    from reviewer.cli import anthropic_client

    prepared = engine.prepare(diff, config, pr)
    if not prepared.requests:
        return engine.assemble(prepared, config, [])
    client = anthropic_client(config, api_key)
    if batch is not None:
        from reviewer.action_batch import review_as_batch

        return asyncio.run(review_as_batch(client, prepared, config, diff=diff, pr=pr, wait=batch))
    return asyncio.run(engine.review(prepared, config, client))


def _pr_text(info: PullRequestInfo) -> PullRequestText:
    from reviewer.engine import PullRequestText

    return PullRequestText(title=info.title, description=info.body)


def _summary(draft: ReviewDraft, lead: str) -> str:
    """The step summary: the review with every finding written out, after ``lead``."""
    from reviewer.github_output import STEP_SUMMARY_LIMIT

    return f"{lead}\n\n{draft.report(max_chars=STEP_SUMMARY_LIMIT // 2)}"


def _count(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
