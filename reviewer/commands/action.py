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

from reviewer import engine
from reviewer.batch import BatchWait
from reviewer.commands.common import (
    Override,
    batch_state_dir,
    client_factory,
    resolve_config,
    say,
)
from reviewer.config import Config
from reviewer.diff import Diff
from reviewer.errors import EXIT_OK, UsageError
from reviewer.github import event as github_event
from reviewer.github.api import (
    GitHub,
    GitHubSettings,
    PostedReview,
    PullRequest,
    PullRequestInfo,
    WriteRefused,
)
from reviewer.github.draft import ReviewDraft, draft_review, finding_annotations, without_posted
from reviewer.github.event import ActionEnvironment, ActionInputs
from reviewer.github.incremental import narrow
from reviewer.github.limits import RetryPolicy
from reviewer.github.marker import History, ReviewState, read_history
from reviewer.github.output import (
    STEP_SUMMARY_LIMIT,
    append_step_summary,
    emit,
    notice,
    write_outputs,
)
from reviewer.render.markdown import render_markdown
from reviewer.values import Review
from reviewer.verdict import exit_code

FORK_WITHOUT_KEY = (
    "Not reviewed: this pull request comes from a fork, and GitHub gives workflows "
    "that run on `pull_request` for forks no secrets, so there is no Anthropic API key. "
    "To review pull requests from forks, run this action on `pull_request_target` "
    "(safe with this action, which reads the diff through the API and runs nothing "
    "from the pull request, as long as the workflow does not check out the pull "
    "request's code), or push the branch to this repository."
)


def run(args: argparse.Namespace) -> int:
    environment = github_event.read_environment(os.environ)
    inputs = github_event.read_inputs(os.environ)
    event = None
    if environment.event_name in github_event.PULL_REQUEST_EVENTS:
        event = github_event.read_event(environment)
    reason = github_event.skip_reason(environment, event, inputs)
    if reason is not None or event is None:
        notice(f"Not reviewed: {reason}", sys.stdout)
        return EXIT_OK
    repository = github_event.require_repository(environment)
    config = _config(inputs, environment)
    # Bedrock and Vertex AI take the cloud's credentials from the environment, not a key.
    if inputs.anthropic_api_key is None and config.provider == "anthropic":
        if event.is_fork and environment.event_name == "pull_request":
            notice(FORK_WITHOUT_KEY, sys.stdout)
            append_step_summary(environment.step_summary, f"## Code review\n\n{FORK_WITHOUT_KEY}")
            return EXIT_OK
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
    workspace = environment.workspace
    repo_root = workspace if workspace is not None and workspace.is_dir() else None
    overrides = [
        Override(key, value, "action inputs")
        for key, value in (
            ("model", inputs.model),
            ("fail_on", inputs.fail_on),
            ("max_comments", inputs.max_comments),
        )
    ]
    return resolve_config(inputs.config, repo_root, overrides)


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
        info = pull.info
        history = read_history(pull.reviews())
        done = history.complete_review_of(info.head_sha)
        if done is not None:
            message = f"Commit {info.head_sha[:7]} was already reviewed: {done.html_url}"
            notice(message, sys.stdout)
            self._finish(message, findings=0, url=done.html_url)
            return EXIT_OK
        fetched = pull.diff()
        scope = _scope(pull, history, fetched.diff)
        if scope.nothing_new:
            notice(scope.notes[0], sys.stdout)
            self._finish(scope.notes[0], findings=0, url="")
            return EXIT_OK
        review = engine.run(
            scope.diff,
            self.config,
            client_factory=client_factory(self.config, self.api_key),
            pr=engine.PullRequestText(title=info.title, description=info.body),
            mode=self._mode(info, scope.diff),
        )
        review = dataclasses.replace(review, skipped=review.skipped + fetched.skipped)
        if review.service_failure is not None:
            return self._service_failed(review, scope.diff)
        draft = self._draft(review, history, scope, fetched.diff, info.head_sha)
        outcome = pull.post(draft)
        self._report(draft, outcome)
        return exit_code(review, self.config.fail_on, on_incomplete=self.config.on_incomplete)

    def _mode(self, info: PullRequestInfo, diff: Diff) -> engine.Mode:
        """Stream the requests, or send them as one batch with the ``batch`` input."""
        if not self.inputs.batch:
            return engine.Stream()
        wait = BatchWait(
            poll_seconds=self.inputs.batch_poll_seconds,
            timeout_minutes=self.inputs.batch_timeout_minutes,
            state_dir=batch_state_dir(None),
            say=say,
        )
        return engine.Batch(wait=wait, source=f"{info.repository}#{info.number}", diff=diff)

    def _draft(
        self, review: Review, history: History, scope: _Scope, diff: Diff, head_sha: str
    ) -> ReviewDraft:

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
        explanation = (
            f"The token may not post reviews here (GitHub said: {refused.message}). This is "
            "expected for a fork's pull request under `pull_request`; otherwise give the job "
            "`permissions: pull-requests: write`. The review follows here and as annotations."
        )
        notice(explanation, sys.stdout)
        for annotation in finding_annotations(draft.review):
            emit(annotation, sys.stdout)
        self._finish(_summary(draft, explanation), findings=len(draft.review.findings), url="")

    def _service_failed(self, review: Review, diff: Diff) -> int:
        # Nothing is posted, so a re-run reviews this head again once the service is back.
        self._finish(render_markdown(review, diff=diff), findings=0, url="")
        print(f"reviewer: error: {review.service_failure}", file=sys.stderr)
        return exit_code(review, self.config.fail_on, on_incomplete=self.config.on_incomplete)

    def _finish(self, summary: str, *, findings: int, url: str) -> None:
        append_step_summary(self.environment.step_summary, summary)
        write_outputs(self.environment.output, {"findings": str(findings), "review_url": url})


def _scope(pull: PullRequest, history: History, diff: Diff) -> _Scope:
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


def _summary(draft: ReviewDraft, lead: str) -> str:
    """The step summary: the review with every finding written out, ``lead`` under its heading."""
    return draft.report(max_chars=STEP_SUMMARY_LIMIT // 2, lead=lead)


def _count(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
