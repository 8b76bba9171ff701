"""`reviewer action` on a pull request event: review the pull request and post the review.

One run posts at most one review, on the head commit GitHub reports now:

1. Events other than a pull request opened, pushed to, reopened or marked ready
   (and drafts and bots' pull requests, unless asked) end with a notice, exit 0.
2. A fork's pull request under ``pull_request`` has no secrets: without an API
   key the run explains the options and exits 0.
3. Earlier reviews' markers are read: a head already reviewed in full ends the
   run; otherwise only the hunks changed since the last reviewed head are sent
   (all of them after a force-push).
4. The review threads are read (``github/conversation.py``): a finding the bot
   raised before — open, or dismissed by a person — is not posted again, however
   the model words it now and wherever its lines moved (``github/identity.py``);
   an open thread whose code changed and whose finding is not raised again gets
   "Fixed in `sha`." and is resolved (left open, and said so, when the token may
   not resolve threads).
5. The review is posted (inline comments checked against the diff; any GitHub
   still refuses move into the body) when it has something new, or is the first.
   A token that may not write (403) gets the review as workflow annotations and
   the step summary instead.

On ``pull_request_review_comment`` and ``issue_comment`` events, a trusted
person's reply in one of the bot's threads, or ``/reviewer <question>``, is
answered once in that thread (or as a pull-request comment); ``/reviewer
review`` reviews the whole pull request again now; ``/reviewer ignore`` (or a
reply saying "won't fix", "intended", ...) dismisses the thread's finding.

Exit codes are the CLI's: 0 done, 1 a finding reached ``fail_on``, 2 bad input
(payload, repository, configuration), 3 a service failed (GitHub, the model).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import uuid
from dataclasses import dataclass

from reviewer import engine
from reviewer.batch import BatchWait
from reviewer.commands.common import (
    Override,
    batch_state_dir,
    client_factory,
    find_repo_root,
    resolve_config,
    say,
    warn,
)
from reviewer.config import Config
from reviewer.diff import Diff
from reviewer.errors import EXIT_OK, AuthError, UsageError
from reviewer.github import event as github_event
from reviewer.github.api import (
    GitHub,
    GitHubSettings,
    PostedReview,
    PullRequest,
    PullRequestInfo,
    WriteRefused,
)
from reviewer.github.conversation import Convergence, Raised, converge, read_raised
from reviewer.github.draft import ReviewDraft, draft_review, finding_annotations
from reviewer.github.event import ActionEnvironment, ActionInputs
from reviewer.github.identity import key_for
from reviewer.github.incremental import narrow
from reviewer.github.limits import RetryPolicy
from reviewer.github.marker import History, ReviewState, read_history, with_state
from reviewer.github.output import (
    STEP_SUMMARY_LIMIT,
    append_step_summary,
    emit,
    notice,
    write_outputs,
)
from reviewer.github.threads import reply_marker
from reviewer.render.markdown import render_markdown
from reviewer.repository.tree import GitTree, fetch_commit, tree_for
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


def on_pull_request(
    args: argparse.Namespace, environment: ActionEnvironment, inputs: ActionInputs
) -> int:
    """A pull request opened, pushed to, reopened or marked ready: review it, post once."""
    event = None
    if environment.event_name in github_event.PULL_REQUEST_EVENTS:
        event = github_event.read_event(environment)
    reason = github_event.skip_reason(environment, event, inputs)
    if reason is not None or event is None:
        notice(f"Not reviewed: {reason}", sys.stdout)
        return EXIT_OK
    repository = github_event.require_repository(environment)
    config = action_config(inputs, environment)
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
    settings = github_settings(args, environment, inputs)
    run = ReviewRun(environment, inputs, config, inputs.anthropic_api_key)
    with GitHub(settings) as github:
        return run.review(github.pull_request(repository, event.number))


def github_settings(
    args: argparse.Namespace, environment: ActionEnvironment, inputs: ActionInputs
) -> GitHubSettings:
    if inputs.github_token is None:
        raise UsageError(
            "no GitHub token: the github_token input and GITHUB_TOKEN are empty",
            hint="leave github_token at its default, ${{ github.token }}",
        )
    return GitHubSettings(
        api_url=environment.api_url,
        token=inputs.github_token,
        seconds_between_writes=args.write_interval,
        retry=RetryPolicy(max_wait_s=args.max_rate_limit_wait),
    )


def action_config(inputs: ActionInputs, environment: ActionEnvironment) -> Config:
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
class _Outcome:
    """What a review run did besides the review: threads it closed, and why some stay open."""

    fixed: int = 0
    resolved: int = 0
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReviewRun:
    environment: ActionEnvironment
    inputs: ActionInputs
    config: Config
    api_key: str | None

    def review(self, pull: PullRequest, *, full: bool = False) -> int:
        """Review the pull request; ``full``: all of it now (``/reviewer review``)."""
        info = pull.info
        history = read_history(pull.reviews())
        done = None if full else history.complete_review_of(info.head_sha)
        if done is not None:
            message = f"Commit {info.head_sha[:7]} was already reviewed: {done.html_url}"
            notice(message, sys.stdout)
            self._finish(message, findings=0, url=done.html_url)
            return EXIT_OK
        raised = read_raised(
            pull.threads(),
            history.body_keys,
            trusted=self.inputs.trusted_associations,
            may_dismiss=pull.may_write,
        )
        fetched = pull.diff()
        if full:
            scope = _Scope(fetched.diff, ("Full review, as asked with `/reviewer review`.",))
        else:
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
            tree=self._tree(info.head_sha),
        )
        review = dataclasses.replace(review, skipped=review.skipped + fetched.skipped)
        if review.service_failure is not None:
            return self._service_failed(review, scope.diff)
        plan = converge(
            raised,
            [key_for(f, fetched.diff) for f in review.findings],
            pr_diff=fetched.diff,
            reviewed=scope.diff,
            not_reviewed={entry.path for entry in review.not_reviewed},
        )
        draft = self._draft(review, plan, scope, fetched.diff, info.head_sha)
        closed = close_fixed(pull, plan.fixed, info.head_sha)
        draft = dataclasses.replace(draft, notes=draft.notes + closed.notes)
        if draft.review.findings or not history.posted or review.not_reviewed or full:
            self._report(draft, pull.post(draft))
        else:
            self._quiet(pull, history, draft, closed)
        counts = {"new": len(draft.comments), "fixed": closed.fixed, "resolved": closed.resolved}
        print(f"reviewer: converge {json_counts(counts, plan)}", file=sys.stderr)
        return exit_code(review, self.config.fail_on, on_incomplete=self.config.on_incomplete)

    def _quiet(
        self, pull: PullRequest, history: History, draft: ReviewDraft, closed: _Outcome
    ) -> None:
        """Nothing new to post: the last review's hidden state moves to this head (an edit,
        which notifies nobody), so a re-run or the next push starts from here; the step
        summary says what happened."""
        last = history.posted[-1]
        state = dataclasses.replace(
            draft.state, fingerprints=last.state.fingerprints, keys=last.state.keys
        )
        try:
            pull.update_review_body(last.review.review_id, with_state(last.review.body, state))
        except AuthError as exc:
            if exc.status != 403:
                raise
            # Not our review, or a read-only token: the next run reviews a little more.
        message = "Nothing new to post: every finding of this review was raised before."
        if closed.fixed:
            message += f" {_count(closed.fixed, 'thread')} answered as fixed."
        notice(message, sys.stdout)
        self._finish(_summary(draft, message), findings=0, url="")

    def _tree(self, head_sha: str) -> GitTree | None:
        """The pull request's head commit for the repository tools, read through git.

        The workspace's checkout (the base branch under ``pull_request_target``) fetches
        the head by its id; it is never checked out and nothing of it is run. Without a
        checkout the review runs without the tools; when the fetch fails, it says so.
        """
        if self.config.context != "tools":
            return None
        workspace = self.environment.workspace
        repo = find_repo_root(workspace) if workspace is not None else None
        if repo is None:
            return None  # no checkout: no tree to read, as `context: tools` allows
        if fetch_commit(repo, head_sha):
            return tree_for(repo, source="commit", rev=head_sha)
        warn(
            f"the repository tools are off for this run: commit {head_sha[:7]} could not be "
            f"fetched into {repo} (the checkout's origin must be this repository)"
        )
        return None

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
        self, review: Review, plan: Convergence, scope: _Scope, diff: Diff, head_sha: str
    ) -> ReviewDraft:
        keys = [key_for(f, diff) for f in review.findings]
        kept = tuple(review.findings[i] for i in plan.post)
        inline = tuple(f for f in kept if f.line is not None)[: self.config.max_comments]
        new = dataclasses.replace(review, findings=kept, inline=inline)
        notes = list(scope.notes)
        if plan.repeated_open:
            verb = "is" if plan.repeated_open == 1 else "are"
            notes.append(
                f"{_count(plan.repeated_open, 'finding')} posted in earlier reviews {verb} "
                "not repeated."
            )
        if plan.repeated_dismissed:
            verb = "is" if plan.repeated_dismissed == 1 else "are"
            notes.append(
                f"{_count(plan.repeated_dismissed, 'finding')} dismissed earlier {verb} "
                "not repeated."
            )
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
            keys=[(f, keys[i]) for i, f in enumerate(review.findings) if i in set(plan.post)],
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


def close_fixed(pull: PullRequest, fixed: tuple[Raised, ...], head_sha: str) -> _Outcome:
    """Answer each fixed thread "Fixed in `sha`." and resolve it, as far as the token may."""
    replied = resolved = 0
    refusal: str | None = None
    for item in fixed:
        thread = item.thread
        if thread is None:
            continue
        root = thread.root.database_id
        body = f"Fixed in `{head_sha[:7]}`.\n\n{reply_marker(root, 'fixed')}\n"
        try:
            pull.reply(root, body)
        except AuthError as exc:
            if exc.status != 403:
                raise
            return _Outcome(replied, resolved, (f"Threads fixed in this push stay open: {exc}",))
        replied += 1
        reason = (
            pull.resolve(thread.thread_id)
            if thread.viewer_can_resolve
            else ("the token may not resolve review threads")
        )
        if reason is None:
            resolved += 1
        else:
            refusal = reason
    notes: tuple[str, ...] = ()
    if refusal is not None:
        notes = (
            f"{_count(replied - resolved, 'fixed thread')} answered but left open: GitHub "
            f"said {refusal!r}. Resolving threads needs `contents: write` in the workflow's "
            "`permissions` (see the README).",
        )
    return _Outcome(replied, resolved, notes)


def json_counts(counts: dict[str, int], plan: Convergence) -> str:
    """One line for the log: what this run posted, closed and did not repeat."""
    import json

    return json.dumps(
        {
            **counts,
            "repeated_open": plan.repeated_open,
            "repeated_dismissed": plan.repeated_dismissed,
            "left_to_people": plan.left_to_people,
        },
        sort_keys=True,
    )


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
