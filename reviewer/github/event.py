"""What a GitHub Actions run hands the action: environment, inputs and the event payload.

Names are GitHub's: the default environment variables (``GITHUB_EVENT_NAME``,
``GITHUB_EVENT_PATH``, ``GITHUB_REPOSITORY``, ``GITHUB_API_URL``, ...) and the
``pull_request``, ``pull_request_review_comment`` and ``issue_comment`` webhook
payloads (``number``, ``pull_request.head.sha``, ``comment.author_association``,
``issue.pull_request``, ...; docs.github.com/en/webhooks/webhook-events-and-payloads).
Action inputs arrive as ``INPUT_<NAME>`` variables, the convention GitHub uses
for JavaScript and Docker actions; action.yml sets them for the composite step.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reviewer.errors import InputError

PULL_REQUEST_EVENTS = frozenset({"pull_request", "pull_request_target"})
COMMENT_EVENTS = frozenset({"pull_request_review_comment", "issue_comment"})
# GitHub's author_association values (docs: "Webhook events and payloads").
ASSOCIATIONS = frozenset(
    {
        "OWNER",
        "MEMBER",
        "COLLABORATOR",
        "CONTRIBUTOR",
        "FIRST_TIMER",
        "FIRST_TIME_CONTRIBUTOR",
        "MANNEQUIN",
        "NONE",
    }
)
DEFAULT_TRUSTED_ASSOCIATIONS = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})
REVIEWED_ACTIONS = frozenset({"opened", "synchronize", "reopened", "ready_for_review"})
DEFAULT_API_URL = "https://api.github.com"
DEFAULT_BATCH_POLL_SECONDS = 30.0
# A batch may take up to 24 hours; a job should not hold a runner that long by default.
DEFAULT_BATCH_TIMEOUT_MINUTES = 60.0
_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class ActionEnvironment:
    event_name: str
    event_path: Path | None
    repository: str | None
    api_url: str
    step_summary: Path | None
    output: Path | None
    workspace: Path | None


@dataclass(frozen=True)
class ActionInputs:
    github_token: str | None
    anthropic_api_key: str | None
    model: str | None
    config: Path | None
    fail_on: str | None
    max_comments: int | None
    review_drafts: bool
    review_bots: bool
    request_changes: bool
    batch: bool = False  # send the requests as one Message Batch and wait for it
    batch_poll_seconds: float = DEFAULT_BATCH_POLL_SECONDS
    batch_timeout_minutes: float = DEFAULT_BATCH_TIMEOUT_MINUTES
    # Who may dismiss findings and talk to the bot (GitHub's author_association values).
    trusted_associations: frozenset[str] = DEFAULT_TRUSTED_ASSOCIATIONS


@dataclass(frozen=True)
class PullRequestEvent:
    action: str
    number: int
    draft: bool
    head_sha: str
    author: str
    author_is_bot: bool
    is_fork: bool  # the head branch lives in another repository
    title: str | None
    body: str | None


def read_environment(env: Mapping[str, str]) -> ActionEnvironment:
    event_name = _value(env, "GITHUB_EVENT_NAME")
    if event_name is None:
        raise InputError(
            "GITHUB_EVENT_NAME is not set: `reviewer action` runs inside GitHub Actions",
            hint="to review a local change, use `reviewer review`",
        )
    api_url = (_value(env, "GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")
    if not api_url.startswith(("https://", "http://")):
        raise InputError(f"GITHUB_API_URL must be an http(s) URL, got {api_url!r}")
    return ActionEnvironment(
        event_name=event_name,
        event_path=_path(env, "GITHUB_EVENT_PATH"),
        repository=_value(env, "GITHUB_REPOSITORY"),
        api_url=api_url,
        step_summary=_path(env, "GITHUB_STEP_SUMMARY"),
        output=_path(env, "GITHUB_OUTPUT"),
        workspace=_path(env, "GITHUB_WORKSPACE"),
    )


def read_inputs(env: Mapping[str, str]) -> ActionInputs:
    """The action's inputs; the token and key fall back to the usual variables."""
    config = _value(env, "INPUT_CONFIG")
    return ActionInputs(
        github_token=_value(env, "INPUT_GITHUB_TOKEN") or _value(env, "GITHUB_TOKEN"),
        anthropic_api_key=_value(env, "INPUT_ANTHROPIC_API_KEY")
        or _value(env, "ANTHROPIC_API_KEY"),
        model=_value(env, "INPUT_MODEL"),
        config=Path(config) if config else None,
        fail_on=_value(env, "INPUT_FAIL_ON"),
        max_comments=_count(env, "INPUT_MAX_COMMENTS"),
        review_drafts=_flag(env, "INPUT_REVIEW_DRAFTS"),
        review_bots=_flag(env, "INPUT_REVIEW_BOTS"),
        request_changes=_flag(env, "INPUT_REQUEST_CHANGES"),
        batch=_flag(env, "INPUT_BATCH"),
        batch_poll_seconds=_positive(env, "INPUT_BATCH_POLL_SECONDS", DEFAULT_BATCH_POLL_SECONDS),
        batch_timeout_minutes=_positive(
            env, "INPUT_BATCH_TIMEOUT_MINUTES", DEFAULT_BATCH_TIMEOUT_MINUTES
        ),
        trusted_associations=_associations(env, "INPUT_TRUSTED_ASSOCIATIONS"),
    )


def require_repository(environment: ActionEnvironment) -> str:
    repository = environment.repository
    if repository is None or not _REPOSITORY.fullmatch(repository):
        raise InputError(f"GITHUB_REPOSITORY must be OWNER/NAME, got {repository!r}")
    return repository


@dataclass(frozen=True)
class CommentEvent:
    """A comment of a ``pull_request_review_comment`` or ``issue_comment`` payload."""

    event_name: str
    action: str
    number: int  # the pull request's (an issue_comment's issue number)
    on_pull_request: bool  # False for an issue_comment on a plain issue
    comment_id: int
    body: str
    author: str
    author_is_bot: bool
    association: str
    in_reply_to: int | None  # a review comment's parent, when it is a reply


def read_event(environment: ActionEnvironment) -> PullRequestEvent:
    """The pull request of a ``pull_request``/``pull_request_target`` payload."""
    return _event_from_payload(_load(environment))


def read_comment_event(environment: ActionEnvironment) -> CommentEvent:
    """The comment of a ``pull_request_review_comment``/``issue_comment`` payload."""
    payload = _load(environment)
    review_comment = environment.event_name == "pull_request_review_comment"
    number_field = "pull_request.number" if review_comment else "issue.number"
    login = payload.get("comment.user.login", str)
    user_type = payload.get("comment.user.type", str, required=False)
    reply_to = payload.get("comment.in_reply_to_id", int, required=False)
    return CommentEvent(
        event_name=environment.event_name,
        action=payload.get("action", str),
        number=payload.get(number_field, int),
        on_pull_request=review_comment
        or payload.get("issue.pull_request", dict, required=False) is not None,
        comment_id=payload.get("comment.id", int),
        body=payload.get("comment.body", str, required=False) or "",
        author=login,
        author_is_bot=user_type == "Bot" or login.endswith("[bot]"),
        association=payload.get("comment.author_association", str),
        in_reply_to=reply_to,
    )


def _load(environment: ActionEnvironment) -> _Payload:
    path = environment.event_path
    if path is None:
        raise InputError("GITHUB_EVENT_PATH is not set: there is no event payload to read")
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read the event payload {path}: {exc.strerror or exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"the event payload {path} is not valid JSON: {exc}") from None
    return _Payload(payload, str(path))


def skip_reason(
    environment: ActionEnvironment, event: PullRequestEvent | None, inputs: ActionInputs
) -> str | None:
    """Why this run reviews nothing, or None. ``event`` is None for other events."""
    if environment.event_name not in PULL_REQUEST_EVENTS or event is None:
        return (
            f"the {environment.event_name} event is not reviewed: "
            "run the action on pull_request or pull_request_target"
        )
    if event.action not in REVIEWED_ACTIONS:
        shown = ", ".join(sorted(REVIEWED_ACTIONS))
        return f"pull request action {event.action!r} is not reviewed (reviewed: {shown})"
    if event.draft and not inputs.review_drafts:
        return f"pull request #{event.number} is a draft (set review_drafts: true to review drafts)"
    if event.author_is_bot and not inputs.review_bots:
        return (
            f"pull request #{event.number} was opened by the bot {event.author} "
            "(set review_bots: true to review bots' pull requests)"
        )
    return None


class _Payload:
    """Typed reads from the payload, each naming the field when it is missing or wrong."""

    def __init__(self, data: Any, source: str) -> None:
        self.data = data
        self.source = source

    def get(self, dotted: str, kind: type[Any], *, required: bool = True) -> Any:
        node = self.data
        for key in dotted.split("."):
            node = node.get(key) if isinstance(node, dict) else None
        if node is None and not required:
            return None
        if not isinstance(node, kind) or (kind is int and isinstance(node, bool)):
            raise InputError(
                f"the event payload {self.source} has no valid {dotted} "
                f"(expected {kind.__name__}, got {type(node).__name__})"
            )
        return node


def _event_from_payload(payload: _Payload) -> PullRequestEvent:
    head_repo = payload.get("pull_request.head.repo.full_name", str, required=False)
    base_repo = payload.get("pull_request.base.repo.full_name", str)
    login = payload.get("pull_request.user.login", str)
    user_type = payload.get("pull_request.user.type", str, required=False)
    return PullRequestEvent(
        action=payload.get("action", str),
        number=payload.get("pull_request.number", int),
        draft=bool(payload.get("pull_request.draft", bool, required=False)),
        head_sha=payload.get("pull_request.head.sha", str),
        author=login,
        author_is_bot=user_type == "Bot" or login.endswith("[bot]"),
        # A deleted fork leaves head.repo null: still not this repository.
        is_fork=head_repo != base_repo,
        title=payload.get("pull_request.title", str, required=False),
        body=payload.get("pull_request.body", str, required=False),
    )


def _value(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _path(env: Mapping[str, str], name: str) -> Path | None:
    value = _value(env, name)
    return Path(value) if value else None


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = _value(env, name)
    if value is None or value.lower() == "false":
        return False
    if value.lower() == "true":
        return True
    raise InputError(f"{name} must be true or false, got {value!r}")


def _count(env: Mapping[str, str], name: str) -> int | None:
    value = _value(env, name)
    if value is None:
        return None
    if not value.isdigit():
        raise InputError(f"{name} must be a whole number, got {value!r}")
    return int(value)


def _associations(env: Mapping[str, str], name: str) -> frozenset[str]:
    value = _value(env, name)
    if value is None:
        return DEFAULT_TRUSTED_ASSOCIATIONS
    given = {word.strip().upper() for word in value.replace(",", " ").split()}
    unknown = sorted(given - ASSOCIATIONS)
    if unknown or not given:
        known = ", ".join(sorted(ASSOCIATIONS))
        raise InputError(f"{name} takes author associations ({known}), got {value!r}")
    return frozenset(given)


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    value = _value(env, name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number <= 0:
        raise InputError(f"{name} must be a positive number, got {value!r}")
    return number
