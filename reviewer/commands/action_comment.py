"""`reviewer action` on a comment: answers in the bot's threads, and ``/reviewer`` commands.

Runs on ``pull_request_review_comment`` and ``issue_comment`` events (those are
run in the base repository's context, with its secrets, whoever commented: so
only comments by trusted authors are acted on, ``trusted_associations``):

* a reply in one of the bot's threads, or ``/reviewer <question>`` in any review
  comment, is answered in that thread; ``/reviewer <question>`` in the pull
  request's conversation is answered there, as a comment;
* ``/reviewer review`` reviews the whole pull request again now;
* ``/reviewer ignore``, or a reply such as "won't fix" or "intended", dismisses the
  thread's finding: nothing is posted now, and the finding is never raised again.

Bots (this one included) are never answered, and a comment is answered once: the
bot's replies carry the id of the comment they answer, looked for before posting.
"""

from __future__ import annotations

import argparse
import sys

from reviewer.commands.action_review import ReviewRun, action_config, github_settings
from reviewer.commands.common import make_model_client
from reviewer.config import Config
from reviewer.diff import Diff, Hunk
from reviewer.errors import EXIT_OK, UsageError
from reviewer.github import event as github_event
from reviewer.github.answer import Question, Said, ask, cost_line
from reviewer.github.api import GitHub, PullRequest
from reviewer.github.conversation import (
    Command,
    bot_replies,
    bot_root,
    is_dismissal,
    is_own,
    read_command,
)
from reviewer.github.event import ActionEnvironment, ActionInputs, CommentEvent
from reviewer.github.identity import FindingKey, locate
from reviewer.github.output import append_step_summary, notice
from reviewer.github.threads import (
    ANY_MARKER,
    ReviewThread,
    read_reply_marker,
    reply_marker,
    visible_text,
)
from reviewer.prompt import request_block
from reviewer.values import Side

# How much of the pull request's diff a question in its conversation is given.
CONVERSATION_DIFF_CHARS = 60_000


def on_comment(
    args: argparse.Namespace, environment: ActionEnvironment, inputs: ActionInputs
) -> int:
    event = github_event.read_comment_event(environment)
    command = read_command(event.body)
    reason = _skip_reason(event, command, inputs)
    if reason is not None:
        notice(f"Nothing to do: {reason}", sys.stdout)
        return EXIT_OK
    repository = github_event.require_repository(environment)
    config = action_config(inputs, environment)
    with GitHub(github_settings(args, environment, inputs)) as github:
        pull = github.pull_request(repository, event.number)
        if command is not None and command.verb == "review":
            run = ReviewRun(environment, inputs, config, _api_key(inputs, config))
            return run.review(pull, full=True)
        talk = _Talk(environment, inputs, config, pull, event)
        if event.event_name == "issue_comment":
            return talk.in_conversation(command)
        return talk.in_thread(command)


def _skip_reason(event: CommentEvent, command: Command | None, inputs: ActionInputs) -> str | None:
    if event.action != "created":
        return f"comment action {event.action!r} is not answered (answered: created)"
    if not event.on_pull_request:
        return "the comment is on an issue, not a pull request"
    if event.author_is_bot or ANY_MARKER in event.body:
        return f"the comment is by a bot ({event.author}), which is never answered"
    if event.association not in inputs.trusted_associations:
        return (
            f"@{event.author} ({event.association}) is not among the trusted authors "
            f"({', '.join(sorted(inputs.trusted_associations))}; input trusted_associations)"
        )
    if event.event_name == "issue_comment" and command is None:
        return "the comment does not start with /reviewer"
    return None


def _api_key(inputs: ActionInputs, config: Config) -> str | None:
    if inputs.anthropic_api_key is None and config.provider == "anthropic":
        raise UsageError(
            "no Anthropic API key: the anthropic_api_key input and ANTHROPIC_API_KEY are empty",
            hint="add the key as a repository secret and pass it as the anthropic_api_key input",
        )
    return inputs.anthropic_api_key


class _Talk:
    def __init__(
        self,
        environment: ActionEnvironment,
        inputs: ActionInputs,
        config: Config,
        pull: PullRequest,
        event: CommentEvent,
    ) -> None:
        self.environment = environment
        self.inputs = inputs
        self.config = config
        self.pull = pull
        self.event = event

    def in_thread(self, command: Command | None) -> int:
        event, trusted = self.event, self.inputs.trusted_associations
        thread = _thread_of(self.pull.threads(), event.comment_id)
        if thread is None:
            return self._done(f"comment {event.comment_id} is in no review thread")
        key = bot_root(thread, trusted)
        if key is None and command is None:
            return self._done("the reply is not in one of the bot's threads")
        dismissed = command.verb == "ignore" if command is not None else is_dismissal(event.body)
        if dismissed:
            if key is None:
                return self._done("`/reviewer ignore` dismisses a finding in the bot's thread")
            return self._done(f"@{event.author} dismissed the finding; it will not be repeated")
        if (event.comment_id, "answer") in bot_replies(thread, trusted):
            return self._done(f"comment {event.comment_id} was answered already")
        question = Question(
            text=command.text if command is not None else event.body,
            finding=_visible(thread.root.body) if key is not None else None,
            path=thread.path,
            hunk=_hunk_text(self.pull.diff().diff, thread, key),
            thread=_history(thread, event.comment_id, trusted),
        )
        body = self._answer(question)
        self.pull.reply(thread.root.database_id, body)
        return self._done(f"answered @{event.author} in the thread of {thread.path}", posted=True)

    def in_conversation(self, command: Command | None) -> int:
        event = self.event
        if command is None or command.verb == "ignore":
            return self._done("`/reviewer ignore` works as a reply in one of the bot's threads")
        for comment in self.pull.issue_comments():
            marker = read_reply_marker(comment.body)
            trusted = (
                comment.author_is_bot or comment.association in self.inputs.trusted_associations
            )
            if marker is not None and marker.to == event.comment_id and trusted:
                return self._done(f"comment {event.comment_id} was answered already")
        diff = self.pull.diff().diff
        shown = request_block(diff.files)
        if len(shown) > CONVERSATION_DIFF_CHARS:
            shown = shown[:CONVERSATION_DIFF_CHARS] + "\n(the rest of the diff is left out)"
        question = Question(command.text, None, None, shown, ())
        self.pull.comment(self._answer(question))
        return self._done(
            f"answered @{event.author} in the pull request's conversation", posted=True
        )

    def _answer(self, question: Question) -> str:
        client = make_model_client(self.config, _api_key(self.inputs, self.config))
        answered = ask(client, question, model=self.config.model)
        marker = reply_marker(self.event.comment_id, "answer")
        cost = cost_line(self.config.model, answered.usage)
        return f"{answered.text}\n\n{cost}\n\n{marker}\n"

    def _done(self, message: str, *, posted: bool = False) -> int:
        if posted:
            print(f"reviewer: {message}", file=sys.stderr)
        else:
            notice(f"Nothing posted: {message}.", sys.stdout)
        append_step_summary(
            self.environment.step_summary, f"## Code review\n\n{message[:1].upper()}{message[1:]}."
        )
        return EXIT_OK


def _thread_of(threads: tuple[ReviewThread, ...], comment_id: int) -> ReviewThread | None:
    for thread in threads:
        if any(c.database_id == comment_id for c in thread.comments):
            return thread
    return None


def _visible(body: str) -> str:
    return visible_text(body)


def _history(thread: ReviewThread, until: int, trusted: frozenset[str]) -> tuple[Said, ...]:
    said = []
    for comment in thread.comments:
        if comment.database_id == until:
            break
        own = is_own(comment, trusted) and ANY_MARKER in comment.body
        said.append(Said("reviewer (you)" if own else f"@{comment.author}", _visible(comment.body)))
    return tuple(said)


def _hunk_text(diff: Diff, thread: ReviewThread, key: FindingKey | None) -> str | None:
    """The hunk of the pull request's diff the thread sits on now, as a unified diff."""
    file = diff.file(thread.path)
    if file is None:
        return None
    located = locate(key, diff) if key is not None else None
    line = located.line if located is not None else thread.line
    hunk = file.hunk_for(line, Side.RIGHT) if line is not None else None
    return None if hunk is None else _unified(hunk)


def _unified(hunk: Hunk) -> str:
    return "\n".join([hunk.header, *(f"{line.kind.value}{line.text}" for line in hunk.lines)])
