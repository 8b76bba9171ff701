"""The hidden state a posted review carries, and what earlier reviews tell a new run.

Each review ends with an HTML comment (invisible on GitHub) holding the head
commit reviewed, whether every file got reviewed, the fingerprint of every
finding posted, and the id of the run that posted it::

    <!-- reviewer:state {"v":1,"head":"<sha>","complete":true,"run":"…","findings":["…"],
                         "keys":[{"path":"…","lines":[…],"ctx":"…","words":[…]}]} -->

(on one line). ``keys`` are the identities (``identity.FindingKey``) of the
findings listed in the body rather than inline: inline ones carry theirs in
their own comment, where their thread's state is.

A later run reads these back: the same head reviewed completely means there is
nothing to do; the last complete head is where an incremental review starts;
a fingerprint seen before is not posted again; and the run id lets a run that
lost the answer to its own POST find out whether the review was created.

Anyone who can comment can write such a comment, so only reviews by a bot
account (the Actions token and GitHub Apps post as bots) or by someone with
write access are believed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from reviewer.github.identity import FindingKey, key_from_json, key_json

STATE_PREFIX = "<!-- reviewer:state "
STATE_SUFFIX = " -->"
# Marks the throwaway pending reviews used to find comments GitHub refuses.
PROBE_MARKER = "<!-- reviewer:probe -->"
TRUSTED_ASSOCIATIONS = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})

_VERSION = 1
_STATE = re.compile(re.escape(STATE_PREFIX) + r"(\{[^\n]*?\})" + re.escape(STATE_SUFFIX))
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_FINGERPRINT = re.compile(r"[0-9a-f]{16}")
_RUN = re.compile(r"[0-9A-Za-z_.-]{1,64}")


@dataclass(frozen=True)
class ReviewState:
    head_sha: str
    complete: bool  # False when some files were not reviewed (a model request failed)
    run_id: str
    fingerprints: tuple[str, ...]
    keys: tuple[FindingKey, ...] = ()  # findings posted in the body, not inline


@dataclass(frozen=True)
class PastReview:
    """A review already on the pull request, as the publisher read it."""

    review_id: int
    state: str  # GitHub's: COMMENTED, CHANGES_REQUESTED, APPROVED, DISMISSED, PENDING
    body: str
    html_url: str
    author_type: str  # "Bot" or "User"
    author_association: str

    @property
    def trusted(self) -> bool:
        return self.author_type == "Bot" or self.author_association in TRUSTED_ASSOCIATIONS


def render_state(state: ReviewState) -> str:
    payload: dict[str, object] = {
        "v": _VERSION,
        "head": state.head_sha,
        "complete": state.complete,
        "run": state.run_id,
        "findings": list(state.fingerprints),
    }
    if state.keys:
        payload["keys"] = [{"path": key.path, **key_json(key)} for key in state.keys]
    return STATE_PREFIX + json.dumps(payload, separators=(",", ":")) + STATE_SUFFIX


def with_state(body: str, state: ReviewState) -> str:
    """``body`` with its last state marker replaced by ``state`` (appended when it has none)."""
    found = list(_STATE.finditer(body))
    marker = render_state(state)
    if not found:
        return f"{body.rstrip()}\n{marker}\n"
    last = found[-1]
    return body[: last.start()] + marker + body[last.end() :]


def parse_state(body: str) -> ReviewState | None:
    """The last well-formed state in ``body``; None when there is none."""
    for match in reversed(list(_STATE.finditer(body))):
        state = _state_from_json(match.group(1))
        if state is not None:
            return state
    return None


def _state_from_json(text: str) -> ReviewState | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("v") != _VERSION:
        return None
    head, complete, run, findings = (data.get(k) for k in ("head", "complete", "run", "findings"))
    if not (
        isinstance(head, str)
        and _SHA.fullmatch(head)
        and isinstance(complete, bool)
        and isinstance(run, str)
        and _RUN.fullmatch(run)
        and isinstance(findings, list)
        and all(isinstance(f, str) and _FINGERPRINT.fullmatch(f) for f in findings)
    ):
        return None
    return ReviewState(head, complete, run, tuple(findings), _keys(data.get("keys")))


def _keys(data: object) -> tuple[FindingKey, ...]:
    """The stored keys that are well formed; the others are left out."""
    if not isinstance(data, list):
        return ()
    keys = []
    for entry in data:
        path = entry.get("path") if isinstance(entry, dict) else None
        key = key_from_json(path, entry) if isinstance(path, str) else None
        if key is not None:
            keys.append(key)
    return tuple(keys)


@dataclass(frozen=True)
class PostedState:
    review: PastReview
    state: ReviewState


@dataclass(frozen=True)
class History:
    """The states of this tool's earlier reviews on a pull request, oldest first."""

    posted: tuple[PostedState, ...]

    @property
    def fingerprints(self) -> frozenset[str]:
        """Every finding posted so far."""
        return frozenset(fp for p in self.posted for fp in p.state.fingerprints)

    def complete_review_of(self, head_sha: str) -> PastReview | None:
        for entry in reversed(self.posted):
            if entry.state.head_sha == head_sha and entry.state.complete:
                return entry.review
        return None

    def review_by_run(self, run_id: str) -> PastReview | None:
        for entry in self.posted:
            if entry.state.run_id == run_id:
                return entry.review
        return None

    @property
    def body_keys(self) -> tuple[FindingKey, ...]:
        """The findings earlier reviews listed in their body (not inline)."""
        return tuple(key for p in self.posted for key in p.state.keys)

    @property
    def last_complete(self) -> ReviewState | None:
        """Where an incremental review starts: the last head reviewed in full."""
        for entry in reversed(self.posted):
            if entry.state.complete:
                return entry.state
        return None


def read_history(reviews: Sequence[PastReview]) -> History:
    posted = []
    for review in reviews:
        if review.state == "PENDING" or not review.trusted:
            continue
        state = parse_state(review.body)
        if state is not None:
            posted.append(PostedState(review, state))
    return History(tuple(posted))
