"""`reviewer action` end to end: a subprocess, as the composite action runs it.

Each run is ``python -m reviewer action --write-interval 0`` with the GitHub Actions
environment (``GITHUB_EVENT_NAME``, ``GITHUB_EVENT_PATH`` holding a real webhook
payload, ``GITHUB_REPOSITORY``, ``GITHUB_API_URL`` under ``/api/v3`` as on GitHub
Enterprise Server, ``GITHUB_TOKEN``, ``GITHUB_STEP_SUMMARY``, ``GITHUB_OUTPUT``) and
``ANTHROPIC_BASE_URL``, against two local servers: the fake GitHub REST API over a
real git repository, and the fake Messages API whose model finds ``eval(``,
``TODO`` and ``password`` on added lines. Rate-limit waits here are real (a second).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from reviewer.github.marker import parse_state
from reviewer.github.threads import read_finding_marker, visible_text
from tests.conftest import GitRepo
from tests.fakes.github_api import (
    READ_ONLY_TOKEN,
    WRITE_TOKEN,
    BeforeAnswer,
    CommentRecord,
    GitHubAPI,
    PrimaryRateLimit,
    PullSpec,
    ReviewRecord,
    SecondaryRateLimit,
    ServerError,
)
from tests.fakes.messages_api import (
    FAKE_API_KEY,
    MessagesAPI,
    MessagesRequest,
    Reply,
    StatusFault,
    markers_responder,
    review_requests,
    verification_requests,
)
from tests.fakes.request_format import added_lines_in_request

BASE = [f"line_{n} = {n}" for n in range(1, 41)]
FIRST_PUSH = {3: "result = eval(data)", 20: "# TODO: handle errors", 35: "db_password = load()"}
EVAL = "**🔴 critical** · security — **eval() runs arbitrary code**\n\nLine 3 of app.py contains `eval(`."
PASSWORD = (
    "**🟠 major** · security — **Possible hard-coded password**\n\n"
    "Line 35 of app.py contains `password`."
)
TODO_20 = (
    "**🟡 minor** · maintainability — **Unresolved TODO**\n\nLine 20 of app.py contains `TODO`."
)
# The request count is the review's plus the verification pass's (one per finding), or 1 alone
# when nothing is verified (a batch, or findings from the cache); the tests say which.
FOOTER = re.compile(
    r"---\n<sub>Model `claude-sonnet-5-5` · (?:1 request|\d+ requests) · tokens: [\d,]+ in / [\d,]+ out / "
    r"[\d,]+ cache write / [\d,]+ cache read · cache hits \d+% of prompt · cost \$\d+\.\d{4}"
    r"(?: · local [\d.]+ s)?(?: · model [\d.]+ s wall \(requests add up to [\d.]+ s\))?</sub>\n"
)


def content(changes: Mapping[int, str]) -> str:
    return "".join(f"{changes.get(n, line)}\n" for n, line in enumerate(BASE, 1))


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str
    summary: str
    outputs: dict[str, str]


@dataclass
class Harness:
    repo: GitRepo
    github: GitHubAPI
    model: MessagesAPI
    tmp: Path
    runs: itertools.count[int]

    def push(self, changes: Mapping[int, str], *, extra: Mapping[str, str | bytes] = {}) -> str:
        self.repo.git("checkout", "-q", "feature")
        self.repo.write("app.py", content(changes))
        for name, data in extra.items():
            self.repo.write(name, data)
        sha = self.repo.commit("push")
        self.repo.git("checkout", "-q", "main")
        return sha

    def force_push(self, changes: Mapping[int, str]) -> str:
        self.repo.git("checkout", "-q", "-B", "feature", "main")
        self.repo.write("app.py", content(changes))
        sha = self.repo.commit("rewritten")
        self.repo.git("checkout", "-q", "main")
        return sha

    def run(
        self,
        *,
        action: str = "opened",
        event: str = "pull_request",
        number: int = 7,
        token: str = WRITE_TOKEN,
        key: str | None = FAKE_API_KEY,
        inputs: Mapping[str, str] = {},
        environment: Mapping[str, str] = {},
        payload: object = None,
    ) -> Run:
        folder = self.tmp / f"run{next(self.runs)}"
        folder.mkdir()
        event_path = folder / "event.json"
        data = self.github.payload(number, action) if payload is None else payload
        event_path.write_text(json.dumps(data), encoding="utf-8")
        summary, outputs = folder / "summary.md", folder / "outputs"
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(self.tmp / "home"),
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": event,
            "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_REPOSITORY": "octo/app",
            "GITHUB_API_URL": self.github.base_url,
            "GITHUB_TOKEN": token,
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_OUTPUT": str(outputs),
            "GITHUB_WORKSPACE": str(self.tmp / "workspace"),
            "ANTHROPIC_BASE_URL": self.model.base_url,
            **({"ANTHROPIC_API_KEY": key} if key is not None else {}),
            **{f"INPUT_{name.upper()}": value for name, value in inputs.items()},
            **environment,
        }
        done = subprocess.run(
            [sys.executable, "-m", "reviewer", "action", "--write-interval", "0"],
            env=env,
            cwd=self.tmp / "workspace",
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert "Traceback" not in done.stderr, done.stderr
        return Run(
            done.returncode,
            done.stdout,
            done.stderr,
            summary.read_text(encoding="utf-8") if summary.exists() else "",
            _outputs(outputs),
        )

    def reviews(self) -> tuple[ReviewRecord, ...]:
        return self.github.reviews(7)

    def model_prompts(self) -> list[str]:
        """The review requests' prompts (the verification pass's are left out), in order."""
        return [
            r.body["messages"][0]["content"][0]["text"]
            for r in review_requests(self.model.requests)
            if r.path == "/v1/messages"
        ]


def _outputs(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    found = re.findall(r"(\w+)<<(\S+)\n(.*?)\n\2\n", path.read_text(encoding="utf-8"), re.DOTALL)
    return {name: value for name, _, value in found}


def comments(review: ReviewRecord) -> list[tuple[int, str, int | None, str]]:
    """The review's inline comments, each body without its hidden finding marker."""
    for c in review.comments:
        assert read_finding_marker(c.body, c.path) is not None, c.body
    return [(c.line, c.side, c.start_line, visible_text(c.body)) for c in review.comments]


@pytest.fixture
def harness(git_repo: GitRepo, tmp_path: Path) -> Iterator[Harness]:
    git_repo.write("app.py", content({}))
    git_repo.commit("base")
    git_repo.git("branch", "feature")
    (tmp_path / "workspace").mkdir()
    (tmp_path / "home").mkdir(exist_ok=True)
    with (
        GitHubAPI(git_repo.path) as github,
        MessagesAPI(markers_responder(extract=added_lines_in_request)) as model,
    ):
        github.add_pull(PullSpec(number=7, head_ref="feature", title="Load data"))
        yield Harness(git_repo, github, model, tmp_path, itertools.count(1))


# ---------------------------------------------------------------- a pull request's life


def test_a_pull_request_through_its_pushes(harness: Harness) -> None:
    """First review, a re-run, incremental pushes, a push changing nothing, a force-push."""
    first_head = harness.push(FIRST_PUSH)
    first_url = _first_review(harness, first_head)
    _rerun_posts_nothing(harness, first_url)
    _second_push_is_reviewed_incrementally(harness, first_head)
    _third_push_does_not_repeat_a_finding(harness)
    _push_that_leaves_the_diff_alone_posts_nothing(harness)
    _force_push_gets_a_full_review(harness)
    # Every request went to the Enterprise-style prefix (anything else is a 404 there).
    assert {r.status for r in harness.github.requests} == {200, 201}  # 201: replies


def _first_review(harness: Harness, head: str) -> str:
    run = harness.run()
    assert run.code == 0
    [review] = harness.reviews()
    assert (review.login, review.event, review.state, review.commit_id) == (
        "github-actions[bot]",
        "COMMENT",
        "COMMENTED",
        head,
    )
    assert comments(review) == [
        (3, "RIGHT", None, EVAL),
        (35, "RIGHT", None, PASSWORD),
        (20, "RIGHT", None, TODO_20),
    ]
    state = parse_state(review.body)
    assert state is not None
    assert (state.head_sha, state.complete, len(state.fingerprints)) == (head, True, 3)
    assert " · 4 requests · " in review.body  # the review and a verification per finding
    assert FOOTER.sub("FOOTER\n", review.body) == (
        "## Code review\n\nFound 3 issue(s).\n\n**3 findings** in 1 file\n\n"
        "| Severity | Count |\n| --- | ---: |\n| 🔴 critical | 1 |\n| 🟠 major | 1 |\n"
        "| 🟡 minor | 1 |\n| ⚪ nit | 0 |\n\n"
        "_3 findings are inline comments on the diff._\n\nFOOTER\n"
        f"<!-- reviewer:state {json.dumps(_state_json(review.body), separators=(',', ':'))} -->\n"
    )
    url = f"https://github.com/octo/app/pull/7#pullrequestreview-{review.review_id}"
    assert run.outputs == {"findings": "3", "review_url": url}
    assert run.summary.startswith(
        f"## Code review\n\n_Posted as [a review on the pull request]({url})._"
    )
    assert "eval() runs arbitrary code" in run.summary  # the summary writes every finding out
    assert f"posted review {url}: 3 inline comments" in run.stderr
    assert len(harness.model_prompts()) == 1
    assert len(verification_requests(harness.model.requests)) == 3  # one per finding
    return url


def _state_json(body: str) -> object:
    match = re.search(r"<!-- reviewer:state (\{.*\}) -->", body)
    assert match is not None
    return json.loads(match.group(1))


def _rerun_posts_nothing(harness: Harness, first_url: str) -> None:
    before = harness.reviews()
    again = harness.run(action="synchronize")
    assert again.code == 0
    assert harness.reviews() == before
    assert len(harness.model.requests) == 1 + 3  # the model was not asked again
    head = before[0].commit_id
    assert again.stdout == f"::notice::Commit {head[:7]} was already reviewed: {first_url}\n"
    assert again.outputs == {"findings": "0", "review_url": first_url}


def _second_push_is_reviewed_incrementally(harness: Harness, first_head: str) -> None:
    # A new TODO in a hunk of its own (lines 9-15); the other hunks are unchanged.
    second_head = harness.push({**FIRST_PUSH, 12: "# TODO: second"})
    assert harness.run(action="synchronize").code == 0
    second = harness.reviews()[-1]
    assert second.commit_id == second_head
    assert comments(second) == [(12, "RIGHT", None, TODO_20.replace("20", "12"))]
    assert f"_Incremental review: the changes since `{first_head[:7]}`, in 1 file._" in second.body
    prompt = harness.model_prompts()[-1]
    assert "# TODO: second" in prompt
    for reviewed_before in ("eval(data)", "handle errors", "db_password"):
        assert reviewed_before not in prompt


def _third_push_does_not_repeat_a_finding(harness: Harness) -> None:
    # Line 22 changes: the hunk of the first TODO is sent again and its finding found again.
    before = harness.reviews()
    harness.push({**FIRST_PUSH, 12: "# TODO: second", 22: "line_22 = 222"})
    run = harness.run(action="synchronize")
    assert run.code == 0
    assert "handle errors" in harness.model_prompts()[-1]
    after = harness.reviews()
    assert [r.review_id for r in after] == [r.review_id for r in before]  # no new review
    state = parse_state(after[-1].body)  # the last review's hidden state moved to this head
    assert state is not None
    assert state.head_sha == harness.github.head_sha(7)
    assert visible_text(after[-1].body) == visible_text(before[-1].body)
    assert run.stdout == (
        "::notice::Nothing new to post: every finding of this review was raised before.\n"
    )
    assert '"repeated_open": 1' in run.stderr  # the first TODO came back: not posted


def _push_that_leaves_the_diff_alone_posts_nothing(harness: Harness) -> None:
    reviews, prompts = harness.reviews(), harness.model_prompts()
    harness.repo.git("checkout", "-q", "feature")
    harness.repo.commit("an empty commit")
    harness.repo.git("checkout", "-q", "main")
    run = harness.run(action="synchronize")
    assert run.code == 0
    state = parse_state(reviews[-1].body)
    assert state is not None
    last = state.head_sha[:7]
    assert run.stdout == (
        f"::notice::Nothing new to review: the diff has not changed since `{last}`.\n"
    )
    assert (harness.reviews(), harness.model_prompts()) == (reviews, prompts)


def _force_push_gets_a_full_review(harness: Harness) -> None:
    last_state = parse_state(harness.reviews()[-1].body)
    assert last_state is not None
    last_head = last_state.head_sha
    harness.force_push({3: "result = eval(data)", 30: "# TODO: rewritten"})
    assert harness.run(action="synchronize").code == 0
    latest = harness.reviews()[-1]
    assert (
        f"_Full review: the branch no longer contains `{last_head[:7]}`, the last commit "
        "reviewed._" in latest.body
    )
    assert "eval(data)" in harness.model_prompts()[-1]  # everything was sent again
    assert [c.line for c in latest.comments] == [30]  # the eval finding was posted before
    assert "_1 finding posted in earlier reviews is not repeated._" in latest.body
    # The password and both TODOs are gone from the rewritten branch: their threads are closed.
    closed = [t for t in harness.github.threads(7) if t.resolved_by is not None]
    assert sorted(t.root.body.split("**")[3] for t in closed) == [
        "Possible hard-coded password",
        "Unresolved TODO",
        "Unresolved TODO",
    ]
    assert all(visible_text(t.replies[0].body).startswith("Fixed in `") for t in closed)


# ---------------------------------------------------------------- forks


def test_a_fork_without_an_api_key_is_told_its_options(harness: Harness) -> None:
    harness.push(FIRST_PUSH)
    harness.github.update_pull(7, head_repo="contributor/app")
    run = harness.run(key=None)
    assert run.code == 0
    assert run.stdout.startswith("::notice::Not reviewed: this pull request comes from a fork")
    assert "`pull_request_target`" in run.stdout
    assert "pull_request_target" in run.summary
    assert harness.github.requests == ()
    assert harness.model.requests == ()


def test_a_fork_with_a_read_only_token_gets_annotations_and_a_step_summary(
    harness: Harness,
) -> None:
    harness.push(FIRST_PUSH)
    harness.github.update_pull(7, head_repo="contributor/app")
    run = harness.run(token=READ_ONLY_TOKEN)
    assert run.code == 0
    assert harness.reviews() == ()
    lines = run.stdout.splitlines()
    assert lines[0].startswith(
        "::notice::The token may not post reviews here (GitHub said: Resource not accessible by "
        "integration)."
    )
    assert lines[1:] == [
        "::warning file=app.py,line=3,title=critical%3A eval() runs arbitrary code::"
        "Line 3 of app.py contains `eval(`.",
        "::warning file=app.py,line=35,title=major%3A Possible hard-coded password::"
        "Line 35 of app.py contains `password`.",
        "::warning file=app.py,line=20,title=minor%3A Unresolved TODO::"
        "Line 20 of app.py contains `TODO`.",
    ]
    assert "The token may not post reviews here" in run.summary
    assert "eval() runs arbitrary code" in run.summary
    assert run.outputs == {"findings": "3", "review_url": ""}


# ---------------------------------------------------------------- GitHub's limits and faults


def test_rate_limits_and_server_errors_are_waited_out_and_nothing_posts_twice(
    harness: Harness,
) -> None:
    harness.push(FIRST_PUSH)
    reviews = r"/repos/octo/app/pulls/7/reviews"
    harness.github.inject(
        PrimaryRateLimit(reset_in=1, method="GET", path=reviews),  # wait for x-ratelimit-reset
        ServerError(502, method="GET", path=reviews),  # retried after a second
        SecondaryRateLimit(retry_after=1, method="POST", path=reviews),  # wait for retry-after
        ServerError(502, method="POST", path=reviews, after_write=True),  # answer lost
    )
    run = harness.run()
    assert run.code == 0
    [review] = harness.reviews()  # posted once
    calls = [r for r in harness.github.requests if r.path == reviews]
    assert [(r.method, r.status) for r in calls] == [
        ("GET", 403),
        ("GET", 502),
        ("GET", 200),
        ("POST", 403),
        ("GET", 200),  # before a write is sent again, look for it: not there
        ("POST", 502),
        ("GET", 200),  # there this time: not posted again
    ]
    assert calls[1].arrived_at >= calls[0].arrived_at + 1.0  # the primary limit's reset
    assert calls[5].arrived_at >= calls[3].arrived_at + 1.0  # the secondary's retry-after
    assert "primary rate limit, resets at" in run.stderr
    assert "secondary rate limit, retry-after 1 s; waiting 1 s" in run.stderr
    assert "HTTP 502 (Server Error); waiting 1 s" in run.stderr
    assert run.outputs["review_url"].endswith(f"#pullrequestreview-{review.review_id}")


def test_comments_github_refuses_after_a_race_move_into_the_body(harness: Harness) -> None:
    first_head = harness.push(FIRST_PUSH)

    def push_during_the_run() -> None:  # between reading the pull request and its diff
        harness.push({**FIRST_PUSH, 27: "# TODO: late"})

    read_pull = r"/repos/octo/app/pulls/7"
    harness.github.inject(
        BeforeAnswer(lambda: None, method="GET", path=read_pull),  # the pull request itself
        BeforeAnswer(push_during_the_run, method="GET", path=read_pull),  # then its diff
    )
    run = harness.run()
    assert run.code == 0
    [review] = harness.reviews()  # one review: probes were pending and deleted
    assert review.commit_id == first_head  # the head the run read first
    assert [c.line for c in review.comments] == [3, 35, 20]
    assert "1 comment GitHub would not place on the diff is listed below." in review.body
    assert "Line 27 of app.py contains `TODO`." in review.body
    posts = [r for r in harness.github.requests if r.method == "POST" and r.path != "graphql"]
    assert posts[0].status == 422
    assert posts[-1].status == 200
    assert all("event" not in (r.body or {}) for r in posts[1:-1])  # the probes were pending
    assert "1 moved into the body" in run.stderr


def test_a_diff_too_large_for_github_is_read_file_by_file(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write("app.py", content({}))
    git_repo.commit("base")
    git_repo.git("checkout", "-q", "-b", "feature")
    git_repo.write("app.py", content(FIRST_PUSH))
    git_repo.write("logo.png", bytes(range(256)))
    git_repo.commit("with an image")
    git_repo.git("checkout", "-q", "main")
    (tmp_path / "workspace").mkdir()
    with (
        GitHubAPI(git_repo.path, max_diff_files=1) as github,
        MessagesAPI(markers_responder(extract=added_lines_in_request)) as model,
    ):
        github.add_pull(PullSpec(number=7, head_ref="feature"))
        harness = Harness(git_repo, github, model, tmp_path, itertools.count(1))
        run = harness.run()
        [review] = harness.reviews()
        refused = [r.status for r in github.requests if "diff" in r.headers.get("accept", "")]
    assert run.code == 0
    assert refused == [406]
    assert len(review.comments) == 3
    assert (
        "| `logo.png` | GitHub sent no patch for this file (binary, or too large to show) |"
        in review.body
    )


def test_a_model_outage_posts_nothing_so_a_rerun_reviews_again(harness: Harness) -> None:
    harness.push(FIRST_PUSH)
    harness.model.inject(StatusFault(500, should_retry=False))
    run = harness.run()
    assert run.code == 3
    assert harness.reviews() == ()
    assert run.stderr.startswith("reviewer: error: ")
    assert "500" in run.stderr
    assert run.summary.startswith(
        "## Code review — incomplete\n\n> [!WARNING]\n> **Review incomplete: "
    )
    assert run.outputs == {"findings": "0", "review_url": ""}


# ---------------------------------------------------------------- batch mode

STATE_MARKER = re.compile(r"<!-- reviewer:state .* -->\n")


def _without_run_details(body: str) -> str:
    """A review body without its cost footer and its marker (which holds a random run id)."""
    return STATE_MARKER.sub("", FOOTER.sub("FOOTER\n", body))


def _batch_submissions(harness: Harness) -> int:
    return sum(
        1 for r in harness.model.requests if r.method == "POST" and r.path == "/v1/messages/batches"
    )


def test_batch_input_posts_the_review_streaming_posts(harness: Harness) -> None:
    harness.push(FIRST_PUSH)
    harness.github.add_pull(PullSpec(number=8, head_ref="feature", title="Load data"))
    harness.model.set_batch_polls(3)  # in progress twice, then ended
    streamed = harness.run(number=7)
    assert streamed.code == 0
    messages_before = len(harness.model_prompts())

    batched = harness.run(
        number=8,
        inputs={"batch": "true", "batch_poll_seconds": "0.05"},
        environment={"REVIEWER_CACHE_DIR": str(harness.tmp / "cache")},
    )

    assert batched.code == 0, batched.stderr
    assert _batch_submissions(harness) == 1
    assert len(harness.model_prompts()) == messages_before  # nothing streamed
    [stream_review] = harness.github.reviews(7)
    [batch_review] = harness.github.reviews(8)
    assert comments(batch_review) == comments(stream_review)
    assert len(comments(batch_review)) == 3
    assert _without_run_details(batch_review.body) == _without_run_details(stream_review.body)
    assert " · 1 request · " in batch_review.body  # a batch is not verified
    assert "in_progress, 0/1 done" in batched.stderr
    assert "ended, 1/1 done" in batched.stderr
    # At half price: the batch review's footer costs less than the streamed one's.
    cost = re.compile(r"cost \$(\d+\.\d{4})")
    [streamed_cost] = cost.findall(stream_review.body)
    [batched_cost] = cost.findall(batch_review.body)
    assert float(batched_cost) < float(streamed_cost)


def test_a_batch_past_its_timeout_exits_3_and_can_be_resumed_locally(harness: Harness) -> None:
    harness.push(FIRST_PUSH)
    harness.model.set_batch_polls(1_000_000)  # never ends while the job waits
    cache_dir = harness.tmp / "cache"
    run = harness.run(
        inputs={"batch": "true", "batch_poll_seconds": "0.05", "batch_timeout_minutes": "0.005"},
        environment={"REVIEWER_CACHE_DIR": str(cache_dir)},
    )

    assert run.code == 3
    assert harness.reviews() == ()
    assert _batch_submissions(harness) == 1
    [batch_id] = set(re.findall(r"msgbatch_\w+", run.stderr))
    assert f"Message Batch {batch_id} did not end within 0.005 minutes" in run.stderr
    assert f"reviewer batch resume {batch_id}" in run.stderr
    assert (cache_dir / "batches" / f"{batch_id}.json").is_file()

    # The saved state lets the batch be finished elsewhere, with the same findings.
    harness.model.set_batch_polls(1)
    resumed = subprocess.run(
        [sys.executable, "-m", "reviewer", "batch", "resume", batch_id, "--format", "json"],
        env={
            "PATH": os.environ["PATH"],
            "HOME": str(harness.tmp / "home"),
            "REVIEWER_CACHE_DIR": str(cache_dir),
            "ANTHROPIC_API_KEY": FAKE_API_KEY,
            "ANTHROPIC_BASE_URL": harness.model.base_url,
        },
        cwd=harness.tmp / "workspace",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert resumed.returncode == 0, resumed.stderr
    report = json.loads(resumed.stdout)
    assert report["not_reviewed"] == []
    found = sorted((f["path"], f["line"], f["title"]) for f in report["findings"])
    assert found == [
        ("app.py", 3, "eval() runs arbitrary code"),
        ("app.py", 20, "Unresolved TODO"),
        ("app.py", 35, "Possible hard-coded password"),
    ]
    assert _batch_submissions(harness) == 1  # resumed, not submitted again


def test_batch_inputs_must_be_positive_numbers(harness: Harness) -> None:
    harness.push(FIRST_PUSH)
    run = harness.run(inputs={"batch": "true", "batch_timeout_minutes": "0"})
    assert run.code == 2
    assert "INPUT_BATCH_TIMEOUT_MINUTES must be a positive number, got '0'" in run.stderr
    assert _batch_submissions(harness) == 0


# ---------------------------------------------------------------- configuration


def test_inputs_review_a_draft_cap_inline_comments_and_fail_the_job(harness: Harness) -> None:
    workspace_config = harness.tmp / "workspace" / ".github" / "reviewer.yml"
    workspace_config.parent.mkdir()
    workspace_config.write_text("max_comments: 2\n", encoding="utf-8")
    harness.push(FIRST_PUSH)
    harness.github.update_pull(7, draft=True)
    run = harness.run(inputs={"review_drafts": "true", "max_comments": "1", "fail_on": "critical"})
    assert run.code == 1  # a critical finding: the job fails
    [review] = harness.reviews()
    assert review.event == "COMMENT"  # failing the job does not request changes
    assert [c.line for c in review.comments] == [3]  # the input wins over the file's 2
    assert (
        "_1 finding is an inline comment on the diff; the others are listed below._" in review.body
    )
    assert "Line 35 of app.py contains `password`." in review.body
    assert "Line 20 of app.py contains `TODO`." in review.body


def test_request_changes_when_asked_and_a_finding_reaches_fail_on(harness: Harness) -> None:
    harness.push(FIRST_PUSH)
    run = harness.run(inputs={"fail_on": "major", "request_changes": "true"})
    assert run.code == 1
    assert [(r.event, r.state) for r in harness.reviews()] == [
        ("REQUEST_CHANGES", "CHANGES_REQUESTED")
    ]


def suggesting(request: MessagesRequest) -> Reply:
    """A model that proposes a committable range and a change to a removed line."""
    return {
        "summary": "Two suggestions.",
        "findings": [
            {
                "path": "app.py",
                "side": "RIGHT",
                "line": 20,
                "start_line": 19,
                "code": "# TODO: handle errors",
                "severity": "minor",
                "category": "error-handling",
                "title": "Handle the error",
                "body": "Say what fails.",
                "suggestion": "line_19 = 19\nraise NotImplementedError",
            },
            {
                "path": "app.py",
                "side": "LEFT",
                "line": 3,
                "start_line": None,
                "code": "line_3 = 3",
                "severity": "nit",
                "category": "style",
                "title": "Keep the old name",
                "body": "The old line read better.",
                "suggestion": "line_3 = 3",
            },
        ],
    }


def test_suggestions_are_committable_only_on_the_right_side(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write("app.py", content({}))
    git_repo.commit("base")
    git_repo.git("branch", "feature")
    (tmp_path / "workspace").mkdir()
    with GitHubAPI(git_repo.path) as github, MessagesAPI(suggesting) as model:
        github.add_pull(PullSpec(number=7, head_ref="feature"))
        harness = Harness(git_repo, github, model, tmp_path, itertools.count(1))
        harness.push(FIRST_PUSH)
        assert harness.run().code == 0
        [review] = harness.reviews()
    assert tuple(replace(c, body=visible_text(c.body)) for c in review.comments) == (
        CommentRecord(
            path="app.py",
            line=20,
            side="RIGHT",
            start_line=19,
            start_side="RIGHT",
            body="**🟡 minor** · error-handling — **Handle the error**\n\nSay what fails.\n\n"
            "```suggestion\nline_19 = 19\nraise NotImplementedError\n```",
        ),
        CommentRecord(
            path="app.py",
            line=3,
            side="LEFT",
            start_line=None,
            start_side=None,
            body="**⚪ nit** · style — **Keep the old name**\n\nThe old line read better.\n\n"
            "Suggested change:\n\n```diff\n+line_3 = 3\n```",
        ),
    )


# ---------------------------------------------------------------- what is not reviewed


@pytest.mark.parametrize(
    ("change", "notice"),
    [
        ({"event": "push"}, "the push event is not reviewed"),
        ({"action": "labeled"}, "pull request action 'labeled' is not reviewed"),
        ({"draft": True}, "pull request #7 is a draft (set review_drafts: true"),
        ({"author": "dependabot[bot]"}, "was opened by the bot dependabot[bot]"),
    ],
)
def test_other_events_drafts_and_bots_exit_0_with_a_notice(
    harness: Harness, change: dict[str, object], notice: str
) -> None:
    harness.push(FIRST_PUSH)
    if "draft" in change or "author" in change:
        harness.github.update_pull(7, **change)
    run = harness.run(
        event=str(change.get("event", "pull_request")), action=str(change.get("action", "opened"))
    )
    assert run.code == 0
    assert run.stdout.startswith("::notice::Not reviewed: ")
    assert notice in run.stdout
    assert harness.github.requests == ()


@pytest.mark.parametrize(
    ("kwargs", "code", "message"),
    [
        ({"payload": {"action": "opened"}}, 2, "has no valid pull_request.base.repo.full_name"),
        (
            {"environment": {"GITHUB_EVENT_PATH": "/nonexistent/event.json"}},
            2,
            "cannot read the event payload /nonexistent/event.json",
        ),
        (
            {"environment": {"GITHUB_REPOSITORY": "octo/nope"}},
            2,
            "repository octo/nope not found at http://",
        ),
        (
            {"token": "ghs_revoked"},
            3,
            "GitHub refused the token while reading repository octo/app (401): Bad credentials",
        ),
        ({"key": None}, 2, "no Anthropic API key"),
    ],
)
def test_bad_input_and_bad_credentials_exit_with_a_clear_message(
    harness: Harness, kwargs: dict[str, object], code: int, message: str
) -> None:
    harness.push(FIRST_PUSH)
    run = harness.run(**kwargs)  # type: ignore[arg-type]
    assert run.code == code
    assert run.stderr.startswith("reviewer: error: ")
    assert message in run.stderr
    assert harness.reviews() == ()


def test_a_payload_that_is_not_json_exits_2(harness: Harness) -> None:
    path = harness.tmp / "raw-event.json"
    path.write_text("{not json", encoding="utf-8")
    run = harness.run(environment={"GITHUB_EVENT_PATH": str(path)})
    assert run.code == 2
    assert f"reviewer: error: the event payload {path} is not valid JSON" in run.stderr
