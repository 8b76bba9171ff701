"""The pure parts of the GitHub action: comments, bodies, markers, narrowing, limits, inputs."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reviewer.diff import parse_diff
from reviewer.errors import InputError
from reviewer.github.draft import (
    COMMENT,
    REQUEST_CHANGES,
    draft_review,
    finding_annotations,
    place,
    without_posted,
)
from reviewer.github.event import (
    ActionEnvironment,
    read_environment,
    read_event,
    read_inputs,
    skip_reason,
)
from reviewer.github.incremental import ChangedSince, narrow
from reviewer.github.limits import FailedAttempt, GiveUp, RetryPolicy, Wait, next_step
from reviewer.github.marker import (
    PastReview,
    ReviewState,
    parse_state,
    read_history,
    render_state,
)
from reviewer.github.output import (
    STEP_SUMMARY_LIMIT,
    Annotation,
    append_step_summary,
    command,
    write_outputs,
)
from reviewer.render.markdown import GITHUB_COMMENT_LIMIT
from reviewer.values import Finding, PathReason, Review, Severity, Side

HEAD = "a" * 40
OLD_HEAD = "b" * 40

# Two hunks of app.py: lines 1-6 and 20-25 of the new file.
DIFF = parse_diff(
    "diff --git a/app.py b/app.py\n--- a/app.py\n+++ b/app.py\n"
    "@@ -1,5 +1,6 @@\n a = 1\n-b = 2\n+b = 3\n+c = 4\n d = 5\n e = 6\n f = 7\n"
    "@@ -19,5 +20,6 @@\n s = 1\n t = 2\n+u = 3\n v = 4\n w = 5\n x = 6\n"
)


def finding(
    line: int | None,
    *,
    side: Side = Side.RIGHT,
    start_line: int | None = None,
    suggestion: str | None = None,
    severity: Severity = Severity.MINOR,
    title: str = "Something to fix",
    path: str = "app.py",
) -> Finding:
    return Finding(
        path=path,
        line=line,
        side=side,
        severity=severity,
        category="correctness",
        title=title,
        body="Why it matters.",
        start_line=start_line,
        suggestion=suggestion,
    )


def review_of(*findings: Finding, max_comments: int = 25) -> Review:
    inline = tuple(f for f in findings if f.line is not None)[:max_comments]
    return Review(model="claude-sonnet-5-5", findings=findings, inline=inline, summary="Summary.")


def state(*fingerprints: str, complete: bool = True, head: str = HEAD) -> ReviewState:
    return ReviewState(head, complete, "run1", fingerprints)


# ---------------------------------------------------------------- placing comments


def test_a_single_line_suggestion_on_the_right_is_committable() -> None:
    comment = place(finding(3, suggestion="c = 5"), DIFF)
    assert comment is not None
    assert (comment.path, comment.line, comment.side, comment.start_line) == (
        "app.py",
        3,
        Side.RIGHT,
        None,
    )
    assert comment.body == (
        "**🟡 minor** · correctness — **Something to fix**\n\nWhy it matters.\n\n"
        "```suggestion\nc = 5\n```"
    )


def test_a_range_within_one_hunk_keeps_its_start_and_its_committable_suggestion() -> None:
    comment = place(finding(4, start_line=2, suggestion="b = 3\nc = 4\nd = 5"), DIFF)
    assert comment is not None
    assert (comment.start_line, comment.line) == (2, 4)
    assert "```suggestion\nb = 3\nc = 4\nd = 5\n```" in comment.body


def test_a_range_across_hunks_is_cut_to_its_line_and_its_suggestion_is_not_committable() -> None:
    comment = place(finding(22, start_line=3, suggestion="u = 4"), DIFF)
    assert comment is not None
    assert (comment.start_line, comment.line) == (None, 22)
    assert "```suggestion" not in comment.body
    assert "```diff\n+u = 4\n```" in comment.body


def test_a_left_side_comment_sits_on_a_removed_line_and_never_suggests_a_commit() -> None:
    comment = place(finding(2, side=Side.LEFT, suggestion="b = 2"), DIFF)
    assert comment is not None
    assert (comment.line, comment.side) == (2, Side.LEFT)
    assert "```diff\n+b = 2\n```" in comment.body
    assert "```suggestion" not in comment.body


@pytest.mark.parametrize(
    "outside",
    [
        finding(None),  # file-level
        finding(12),  # between the hunks
        finding(10, side=Side.LEFT),  # old lines 6-18 are outside both hunks
        finding(2, path="other.py"),
    ],
)
def test_findings_github_would_refuse_inline_get_no_comment(outside: Finding) -> None:
    assert place(outside, DIFF) is None


# ---------------------------------------------------------------- the review body


def test_the_body_lists_only_what_is_not_inline_and_ends_with_the_marker() -> None:
    inline = finding(3, title="Inline one", severity=Severity.MAJOR)
    file_level = finding(None, title="About the whole file")
    outside = finding(12, title="Not on the diff")
    review = review_of(inline, file_level, outside)
    draft = draft_review(review, diff=DIFF, state=state(inline.fingerprint()))
    assert [c.finding for c in draft.comments] == [inline]
    body = draft.body()
    assert "**3 findings** in 1 file" in body
    assert "_1 finding is an inline comment on the diff; the others are listed below._" in body
    assert "Inline one" not in body
    assert "About the whole file" in body
    assert "Not on the diff" in body
    assert body.endswith(render_state(draft.state) + "\n")
    assert parse_state(body) == draft.state


def test_moved_comments_are_listed_in_the_body_with_a_note() -> None:
    first, second = finding(3, title="First"), finding(21, title="Second")
    draft = draft_review(review_of(first, second), diff=DIFF, state=state())
    body = draft.body(moved=draft.comments[1:])
    assert "1 comment GitHub would not place on the diff is listed below." in body
    assert "Second" in body
    assert "First" not in body


def test_the_body_stays_under_githubs_limit_with_a_note_when_findings_are_left_out() -> None:
    many = tuple(
        Finding("app.py", None, Side.RIGHT, Severity.NIT, "style", f"Finding {i}", "x" * 2_000)
        for i in range(60)
    )
    fingerprints = tuple(f.fingerprint() for f in many)
    draft = draft_review(review_of(*many), diff=DIFF, state=state(*fingerprints))
    body = draft.body()
    assert len(body) <= GITHUB_COMMENT_LIMIT
    assert "left out (the least severe)" in body
    assert parse_state(body) == draft.state  # the marker is never cut


@pytest.mark.parametrize(
    ("worst", "threshold", "event"),
    [
        (Severity.CRITICAL, Severity.MAJOR, REQUEST_CHANGES),
        (Severity.MINOR, Severity.MAJOR, COMMENT),
        (Severity.CRITICAL, None, COMMENT),
    ],
)
def test_changes_are_requested_only_when_asked_and_a_finding_is_severe_enough(
    worst: Severity, threshold: Severity | None, event: str
) -> None:
    draft = draft_review(
        review_of(finding(3, severity=worst)),
        diff=DIFF,
        state=state(),
        request_changes_at=threshold,
    )
    assert draft.event == event


def test_findings_posted_before_are_dropped_and_the_inline_cap_is_refilled() -> None:
    old, new1, new2 = finding(3, title="old"), finding(4, title="new1"), finding(21, title="new2")
    review = review_of(old, new1, new2, max_comments=2)
    assert review.inline == (old, new1)
    kept = without_posted(review, frozenset({old.fingerprint()}), max_comments=2)
    assert kept.findings == (new1, new2)
    assert kept.inline == (new1, new2)


def test_annotations_point_at_new_lines_and_name_removed_ones_in_the_text() -> None:
    found = list(
        finding_annotations(
            review_of(finding(4, start_line=2), finding(2, side=Side.LEFT), finding(None))
        )
    )
    assert [command(a) for a in found] == [
        "::warning file=app.py,line=2,endLine=4,title=minor%3A Something to fix::Why it matters.",
        "::warning file=app.py,title=minor%3A Something to fix::"
        "(on removed lines app.py:2) Why it matters.",
        "::warning file=app.py,title=minor%3A Something to fix::Why it matters.",
    ]


# ---------------------------------------------------------------- markers and history


def past(
    body: str, *, state: str = "COMMENTED", author: str = "Bot", association: str = "NONE"
) -> PastReview:
    return PastReview(1, state, body, "https://github.com/o/r/pull/1#r1", author, association)


def test_the_marker_round_trips_and_only_trusted_submitted_reviews_count() -> None:
    mine = state("0123456789abcdef")
    body = f"## Code review\n\n{render_state(mine)}\n"
    assert parse_state(body) == mine
    history = read_history(
        [
            past(body),
            past(render_state(state("fedcba9876543210")), author="User"),  # an outsider's forgery
            past(render_state(state("1111111111111111")), state="PENDING"),
            past(render_state(state("2222222222222222")), author="User", association="MEMBER"),
        ]
    )
    assert history.fingerprints == {"0123456789abcdef", "2222222222222222"}


@pytest.mark.parametrize(
    "body",
    [
        "<!-- reviewer:state {not json} -->",
        '<!-- reviewer:state {"v":2,"head":"'
        + HEAD
        + '","complete":true,"run":"r","findings":[]} -->',
        '<!-- reviewer:state {"v":1,"head":"nothex","complete":true,"run":"r","findings":[]} -->',
        '<!-- reviewer:state {"v":1,"head":"'
        + HEAD
        + '","complete":true,"run":"r","findings":["x"]} -->',
    ],
)
def test_malformed_markers_are_ignored(body: str) -> None:
    assert parse_state(body) is None


def test_an_incomplete_review_does_not_count_as_done_nor_as_the_incremental_base() -> None:
    history = read_history(
        [
            past(render_state(state(head=OLD_HEAD))),
            past(render_state(state(head=HEAD, complete=False))),
        ]
    )
    assert history.complete_review_of(HEAD) is None
    assert history.complete_review_of(OLD_HEAD) is not None
    last = history.last_complete
    assert last is not None
    assert last.head_sha == OLD_HEAD


# ---------------------------------------------------------------- narrowing to what changed


def test_only_hunks_showing_changed_lines_are_kept() -> None:
    since = parse_diff("--- a/app.py\n+++ b/app.py\n@@ -20,2 +20,3 @@\n s = 1\n+t = 2\n u = 3\n")
    narrowed = narrow(DIFF, ChangedSince(OLD_HEAD, since, frozenset()))
    assert [h.new_start for f in narrowed.files for h in f.hunks] == [20]


def test_a_removal_touches_the_hunk_around_it() -> None:
    since = parse_diff("--- a/app.py\n+++ b/app.py\n@@ -3,3 +3,2 @@\n c = 4\n-gone\n d = 5\n")
    narrowed = narrow(DIFF, ChangedSince(OLD_HEAD, since, frozenset()))
    assert [h.new_start for f in narrowed.files for h in f.hunks] == [1]


def test_files_without_a_patch_keep_every_hunk_and_untouched_files_go() -> None:
    two_files = parse_diff(
        "--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-a\n+b\n"
        "--- a/lib.py\n+++ b/lib.py\n@@ -1 +1 @@\n-a\n+b\n"
    )
    narrowed = narrow(two_files, ChangedSince(OLD_HEAD, parse_diff(""), frozenset({"lib.py"})))
    assert [f.path for f in narrowed.files] == ["lib.py"]
    assert narrow(two_files, ChangedSince(OLD_HEAD, parse_diff(""), frozenset())).is_empty


# ---------------------------------------------------------------- rate limits and retries

POLICY = RetryPolicy(max_wait_s=300)


def failure(status: int | None, message: str = "x", **headers: str) -> FailedAttempt:
    return FailedAttempt(status, message, {k.replace("_", "-"): v for k, v in headers.items()})


def test_retry_after_is_waited_out() -> None:
    assert next_step(failure(403, retry_after="30"), [], POLICY, now=0) == Wait(
        30, "secondary rate limit, retry-after 30 s"
    )
    assert isinstance(next_step(failure(429, retry_after="5"), [], POLICY, now=0), Wait)


def test_a_spent_primary_limit_waits_until_its_reset_plus_a_second() -> None:
    step = next_step(
        failure(
            403, "API rate limit exceeded", x_ratelimit_remaining="0", x_ratelimit_reset="1120"
        ),
        [],
        POLICY,
        now=1000.0,
    )
    assert step == Wait(121.0, "primary rate limit, resets at 1120")


def test_a_secondary_limit_without_retry_after_backs_off_from_a_minute() -> None:
    limited = failure(403, "You have exceeded a secondary rate limit")
    first = next_step(limited, [], RetryPolicy(), now=0)
    second = next_step(limited, [limited], RetryPolicy(), now=0)
    assert (first, second) == (
        Wait(60, "secondary rate limit, no retry-after"),
        Wait(120, "secondary rate limit, no retry-after"),
    )


def test_a_wait_beyond_the_maximum_gives_up_saying_how_long() -> None:
    step = next_step(
        failure(403, x_ratelimit_remaining="0", x_ratelimit_reset="4000"), [], POLICY, 0
    )
    assert isinstance(step, GiveUp)
    assert "rate limited for 4001 s" in step.reason


def test_server_errors_back_off_then_give_up() -> None:
    error = failure(502, "Server Error")
    steps = [next_step(error, [error] * n, RetryPolicy(), now=0) for n in range(4)]
    assert steps[:3] == [
        Wait(1, "HTTP 502 (Server Error)"),
        Wait(2, "HTTP 502 (Server Error)"),
        Wait(4, "HTTP 502 (Server Error)"),
    ]
    assert isinstance(steps[3], GiveUp)
    assert isinstance(next_step(failure(None, "ConnectionError"), [], RetryPolicy(), 0), Wait)


@pytest.mark.parametrize("status", [401, 404, 406, 422])
def test_other_client_errors_and_plain_403s_are_final(status: int) -> None:
    assert next_step(failure(status), [], POLICY, 0) is None
    assert next_step(failure(403, "Resource not accessible by integration"), [], POLICY, 0) is None


# ---------------------------------------------------------------- the Actions environment


def payload(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "action": "opened",
        "pull_request": {
            "number": 7,
            "draft": False,
            "title": "Add things",
            "body": None,
            "user": {"login": "octocat", "type": "User"},
            "head": {"sha": HEAD, "repo": {"full_name": "octo/app"}},
            "base": {"repo": {"full_name": "octo/app"}},
        },
    }
    data.update(changes)
    return data


def environment_for(tmp_path: Path, data: object, event: str = "pull_request") -> ActionEnvironment:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return read_environment(
        {
            "GITHUB_EVENT_NAME": event,
            "GITHUB_EVENT_PATH": str(path),
            "GITHUB_REPOSITORY": "octo/app",
        }
    )


def test_a_pull_request_payload_is_read(tmp_path: Path) -> None:
    event = read_event(environment_for(tmp_path, payload()))
    assert (event.number, event.head_sha, event.is_fork, event.author_is_bot) == (
        7,
        HEAD,
        False,
        False,
    )
    assert event.title == "Add things"


def test_a_fork_and_a_bot_are_recognised(tmp_path: Path) -> None:
    data = payload()
    pull = data["pull_request"]
    assert isinstance(pull, dict)
    pull["head"] = {"sha": HEAD, "repo": None}  # a deleted fork
    pull["user"] = {"login": "dependabot[bot]", "type": "Bot"}
    event = read_event(environment_for(tmp_path, data))
    assert event.is_fork
    assert event.author_is_bot


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "opened"}, "has no valid pull_request.base.repo.full_name"),
        (payload(action=3), "has no valid action (expected str, got int)"),
        ("[1, 2", "is not valid JSON"),
    ],
)
def test_a_bad_payload_names_what_is_wrong(tmp_path: Path, data: object, message: str) -> None:
    environment = environment_for(tmp_path, data)
    if isinstance(data, str):
        assert environment.event_path is not None
        environment.event_path.write_text(data, encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(message)):
        read_event(environment)


def test_a_missing_payload_file_is_an_input_error(tmp_path: Path) -> None:
    environment = read_environment(
        {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(tmp_path / "none.json")}
    )
    with pytest.raises(InputError, match="cannot read the event payload"):
        read_event(environment)


def test_skip_reasons(tmp_path: Path) -> None:
    inputs = read_inputs({})
    environment = environment_for(tmp_path, payload())
    opened = read_event(environment)
    assert skip_reason(environment, opened, inputs) is None
    labeled = read_event(environment_for(tmp_path, payload(action="labeled")))
    assert "'labeled' is not reviewed" in (skip_reason(environment, labeled, inputs) or "")
    push = environment_for(tmp_path, payload(), event="push")
    assert "push event is not reviewed" in (skip_reason(push, None, inputs) or "")
    data = payload()
    pull = data["pull_request"]
    assert isinstance(pull, dict)
    pull["draft"] = True
    drafted = read_event(environment_for(tmp_path, data))
    assert "is a draft" in (skip_reason(environment, drafted, inputs) or "")
    assert skip_reason(environment, drafted, read_inputs({"INPUT_REVIEW_DRAFTS": "true"})) is None


def test_inputs_are_checked(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="INPUT_REVIEW_BOTS must be true or false"):
        read_inputs({"INPUT_REVIEW_BOTS": "yes"})
    with pytest.raises(InputError, match="INPUT_MAX_COMMENTS must be a whole number"):
        read_inputs({"INPUT_MAX_COMMENTS": "-1"})
    inputs = read_inputs({"GITHUB_TOKEN": "t", "INPUT_GITHUB_TOKEN": " ", "ANTHROPIC_API_KEY": "k"})
    assert (inputs.github_token, inputs.anthropic_api_key) == ("t", "k")


# ---------------------------------------------------------------- runner output


def test_workflow_commands_escape_their_data_and_properties() -> None:
    annotation = Annotation("warning", "50% done\nnext", file="a,b:c.py", line=3, title="t")
    assert command(annotation) == "::warning file=a%2Cb%3Ac.py,line=3,title=t::50%25 done%0Anext"


def test_outputs_use_a_delimiter_and_the_summary_stays_under_its_limit(tmp_path: Path) -> None:
    outputs = tmp_path / "out"
    write_outputs(outputs, {"review_url": "https://x/y"})
    lines = outputs.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("review_url<<ghadelimiter_")
    assert lines[1:] == ["https://x/y", lines[0].split("<<")[1]]
    summary = tmp_path / "summary"
    append_step_summary(summary, "é" * STEP_SUMMARY_LIMIT)
    text = summary.read_bytes()
    assert len(text) <= STEP_SUMMARY_LIMIT
    assert text.endswith(b"_(cut at the step summary's 1 MiB limit)_\n")


def test_skipped_files_reach_the_body() -> None:
    review = Review(
        model="claude-sonnet-5-5",
        findings=(),
        inline=(),
        summary="Fine.",
        skipped=(PathReason("big.bin", "GitHub sent no patch"),),
    )
    body = draft_review(review, diff=DIFF, state=state()).body()
    assert "| `big.bin` | GitHub sent no patch |" in body
    assert "No findings." in body


@settings(max_examples=80, deadline=None)
@given(
    severities=st.lists(st.sampled_from(list(Severity)), max_size=6),
    lines=st.lists(st.integers(min_value=1, max_value=40), min_size=6, max_size=6),
    bodies=st.lists(
        st.sampled_from(["APPROVE", "LGTM, approve this PR", '{"event": "APPROVE"}', "fine"]),
        min_size=6,
        max_size=6,
    ),
    threshold=st.sampled_from([None, *Severity]),
)
def test_no_answer_and_no_setting_makes_a_review_approve(
    severities: list[Severity], lines: list[int], bodies: list[str], threshold: Severity | None
) -> None:
    # Whatever the model said (including "APPROVE" in every field it controls) and however
    # the action is configured, the only events are COMMENT and REQUEST_CHANGES.
    findings = [
        dataclasses.replace(finding(line, severity=severity), title=body, body=body)
        for severity, line, body in zip(severities, lines, bodies, strict=False)
    ]
    draft = draft_review(
        review_of(*findings), diff=DIFF, state=state(), request_changes_at=threshold
    )
    assert draft.event in {"COMMENT", "REQUEST_CHANGES"}
