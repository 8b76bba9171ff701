"""The GitHub publisher through real PyGithub and HTTP, against the local fake GitHub API.

The publisher and the fake share one manual clock: a rate-limit wait advances it
instead of sleeping, so the tests assert exact waits and take no time.
"""

from __future__ import annotations

import dataclasses
import json
import urllib.request
from collections.abc import Iterator

import pytest

from reviewer.errors import AuthError, InputError, ServiceError
from reviewer.github.api import (
    NO_PATCH_REASON,
    GitHub,
    GitHubSettings,
    PostedReview,
    PullRequest,
    WriteRefused,
)
from reviewer.github.draft import ReviewComment, ReviewDraft, draft_review
from reviewer.github.limits import RetryPolicy
from reviewer.github.marker import PROBE_MARKER, ReviewState, parse_state
from reviewer.values import Finding, Review, Severity, Side
from tests.conftest import GitRepo
from tests.fakes.github_api import (
    READ_ONLY_TOKEN,
    WRITE_TOKEN,
    GitHubAPI,
    PrimaryRateLimit,
    PullSpec,
    SecondaryRateLimit,
    ServerError,
)

START = 1_800_000_000.0
BASE_LINES = [f"line_{n} = {n}\n" for n in range(1, 41)]


class FakeClock:
    """Epoch time that moves only when someone sleeps."""

    def __init__(self) -> None:
        self.now = START
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def edited(changes: dict[int, str]) -> str:
    lines = list(BASE_LINES)
    for number, text in changes.items():
        lines[number - 1] = text
    return "".join(lines)


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.write("app.py", "".join(BASE_LINES))
    git_repo.commit("base")
    git_repo.git("checkout", "-q", "-b", "feature")
    # Three hunks: around lines 2, 20 and 35.
    git_repo.write(
        "app.py", edited({2: "changed_2 = 2\n", 20: "changed_20 = 20\n", 35: "x = 35\n"})
    )
    git_repo.commit("feature")
    git_repo.git("checkout", "-q", "main")
    return git_repo


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(repo: GitRepo, clock: FakeClock) -> Iterator[GitHubAPI]:
    with GitHubAPI(repo.path, clock=clock.time) as server:
        server.add_pull(PullSpec(number=7, head_ref="feature"))
        yield server


def connect(
    fake: GitHubAPI, clock: FakeClock, *, token: str = WRITE_TOKEN, **settings: object
) -> GitHub:
    return GitHub(
        GitHubSettings(
            api_url=fake.base_url,
            token=token,
            seconds_between_writes=0,
            **settings,  # type: ignore[arg-type]
        ),
        clock=clock,
        log=lambda _line: None,
    )


@pytest.fixture
def pull(fake: GitHubAPI, clock: FakeClock) -> Iterator[PullRequest]:
    with connect(fake, clock) as github:
        yield github.pull_request("octo/app", 7)


def finding(line: int, title: str, *, side: Side = Side.RIGHT) -> Finding:
    return Finding("app.py", line, side, Severity.MAJOR, "correctness", title, "Because.")


def draft_for(pull: PullRequest, *findings: Finding, run_id: str = "run1") -> ReviewDraft:
    review = Review(
        model="claude-sonnet-5-5", findings=findings, inline=findings, summary="Looked at it."
    )
    state = ReviewState(pull.info.head_sha, True, run_id, tuple(f.fingerprint() for f in findings))
    return draft_review(review, diff=pull.diff().diff, state=state)


def with_bad_comment(draft: ReviewDraft, at: int) -> ReviewDraft:
    """The draft with a comment GitHub refuses (a line outside the diff) at index ``at``."""
    bad = ReviewComment(finding(13, "Refused by GitHub"), 13, Side.RIGHT, None, "Refused by GitHub")
    comments = list(draft.comments)
    comments.insert(at, bad)
    findings = (*draft.review.findings, bad.finding)
    review = dataclasses.replace(draft.review, findings=findings, inline=findings)
    return dataclasses.replace(draft, comments=tuple(comments), review=review)


def submitted(fake: GitHubAPI) -> list[str]:
    return [r.state for r in fake.reviews(7)]


# ---------------------------------------------------------------- reading


def test_reads_the_pull_request_under_the_enterprise_prefix(
    fake: GitHubAPI, pull: PullRequest, repo: GitRepo
) -> None:
    assert pull.info.head_sha == repo.git("rev-parse", "feature").strip()
    assert pull.info.base_sha == repo.git("rev-parse", "main").strip()
    fetched = pull.diff()
    assert fetched.via_files is False
    assert [h.new_start for f in fetched.diff.files for h in f.hunks] == [1, 17, 32]
    assert pull.reviews() == ()
    assert {r.path.split("/")[1] for r in fake.requests} == {"repos"}
    assert all(r.status == 200 for r in fake.requests)


def test_a_diff_refused_as_too_large_is_read_file_by_file(repo: GitRepo, clock: FakeClock) -> None:
    repo.git("checkout", "-q", "feature")
    for n in range(120):  # more than one page of the files listing
        repo.write(f"pkg/mod_{n:03}.py", f"value = {n}\n")
    repo.write("logo.png", bytes(range(256)))
    repo.write("big.py", "".join(f"row_{n} = {n}\n" for n in range(60)))
    repo.move("app.py", "renamed.py")
    repo.commit("many files")
    with (
        GitHubAPI(repo.path, clock=clock.time, max_diff_files=100, max_patch_lines=40) as fake,
        connect(fake, clock) as github,
    ):
        fake.add_pull(PullSpec(number=7, head_ref="feature"))
        fetched = github.pull_request("octo/app", 7).diff()
        diff_requests = [r for r in fake.requests if r.headers.get("accept", "").endswith("diff")]
        pages = [r.query.get("page") for r in fake.requests if r.path.endswith("/files")]
    assert [r.status for r in diff_requests] == [406]
    assert pages == [None, "2"]  # the Link header was followed
    assert fetched.via_files is True
    assert sorted(s.path for s in fetched.skipped) == ["big.py", "logo.png"]
    assert {s.reason for s in fetched.skipped} == {NO_PATCH_REASON}
    paths = {f.path for f in fetched.diff.files}
    assert len([p for p in paths if p.startswith("pkg/")]) == 120
    renamed = fetched.diff.file("renamed.py")
    assert renamed is not None
    assert renamed.old_path == "app.py"
    assert [h.new_start for h in renamed.hunks] == [1, 17, 32]


def test_a_file_that_is_not_utf8_keeps_its_lines(repo: GitRepo, clock: FakeClock) -> None:
    repo.git("checkout", "-q", "feature")
    repo.write("legacy.txt", "caf\xe9 cr\xe8me\n".encode("latin-1"))
    repo.commit("a latin-1 file")
    with GitHubAPI(repo.path, clock=clock.time) as fake, connect(fake, clock) as github:
        fake.add_pull(PullSpec(number=7, head_ref="feature"))
        fetched = github.pull_request("octo/app", 7).diff()
    assert fetched.via_files is False
    legacy = fetched.diff.file("legacy.txt")
    assert legacy is not None
    assert [line.text for h in legacy.hunks for line in h.lines] == ["caf\ufffd cr\ufffdme"]


def test_what_changed_since_an_earlier_head(
    fake: GitHubAPI, clock: FakeClock, repo: GitRepo
) -> None:
    first = fake.head_sha(7)
    repo.git("checkout", "-q", "feature")
    repo.write("app.py", edited({2: "changed_2 = 2\n", 20: "changed_20 = 20\n", 35: "y = 35\n"}))
    repo.commit("second push")
    with connect(fake, clock) as github:
        changed = github.pull_request("octo/app", 7).changed_since(first)
    assert changed is not None
    assert [(f.path, [h.new_start for h in f.hunks]) for f in changed.diff.files] == [
        ("app.py", [32])
    ]
    repo.git("reset", "-q", "--hard", "main")
    repo.write("app.py", edited({5: "rewritten = 5\n"}))
    repo.commit("force-pushed")
    with connect(fake, clock) as github:
        rewritten = github.pull_request("octo/app", 7)
        assert rewritten.changed_since(first) is None  # diverged
        assert rewritten.changed_since("0" * 40) is None  # unknown commit


# ---------------------------------------------------------------- errors


def test_a_bad_token_is_an_auth_error(fake: GitHubAPI, clock: FakeClock) -> None:
    with connect(fake, clock, token="ghs_wrong") as github, pytest.raises(AuthError) as raised:
        github.pull_request("octo/app", 7)
    assert raised.value.exit_code == 3
    assert (
        "GitHub refused the token while reading repository octo/app (401): Bad credentials"
        in str(raised.value)
    )


@pytest.mark.parametrize(
    ("repository", "number", "message"),
    [
        ("octo/nope", 7, "repository octo/nope not found at http://"),
        ("octo/app", 99, "pull request #99 not found in octo/app"),
    ],
)
def test_unknown_repository_or_pull_request_is_an_input_error(
    fake: GitHubAPI, clock: FakeClock, repository: str, number: int, message: str
) -> None:
    with connect(fake, clock) as github, pytest.raises(InputError, match=message) as raised:
        github.pull_request(repository, number)
    assert raised.value.exit_code == 2


def test_server_errors_on_reads_are_retried_with_backoff_then_reported(
    fake: GitHubAPI, clock: FakeClock, pull: PullRequest
) -> None:
    fake.inject(*[ServerError(502, method="GET", path=r".*/reviews")] * 4)
    with pytest.raises(ServiceError, match="HTTP 502 after 4 tries") as raised:
        pull.reviews()
    assert raised.value.exit_code == 3
    assert clock.sleeps == [1, 2, 4]


# ---------------------------------------------------------------- rate limits


def test_a_secondary_rate_limit_on_the_write_is_waited_out_and_posts_once(
    fake: GitHubAPI, clock: FakeClock, pull: PullRequest
) -> None:
    draft = draft_for(pull, finding(2, "First"))
    fake.inject(SecondaryRateLimit(retry_after=30, method="POST"))
    posted = pull.post(draft)
    assert isinstance(posted, PostedReview)
    assert clock.sleeps == [30]
    posts = [r for r in fake.requests if r.method == "POST"]
    assert [r.status for r in posts] == [403, 200]
    assert posts[1].arrived_at - posts[0].arrived_at >= 30
    assert submitted(fake) == ["COMMENTED"]


def test_a_spent_primary_limit_waits_for_its_reset(
    fake: GitHubAPI, clock: FakeClock, pull: PullRequest
) -> None:
    fake.inject(PrimaryRateLimit(reset_in=120, method="GET"))
    assert pull.reviews() == ()
    assert clock.sleeps == [121]  # until x-ratelimit-reset, plus a second
    statuses = [r.status for r in fake.requests if r.path.endswith("/reviews")]
    assert statuses == [403, 200]


def test_a_secondary_limit_without_retry_after_waits_a_minute(
    fake: GitHubAPI, clock: FakeClock, pull: PullRequest
) -> None:
    fake.inject(SecondaryRateLimit(retry_after=None, status=429, method="GET"))
    pull.reviews()
    assert clock.sleeps == [60]


def test_a_limit_longer_than_allowed_fails_the_run_instead_of_waiting(
    fake: GitHubAPI, clock: FakeClock
) -> None:
    with connect(fake, clock, retry=RetryPolicy(max_wait_s=600)) as github:
        pull = github.pull_request("octo/app", 7)
        fake.inject(PrimaryRateLimit(reset_in=3000, method="GET"))
        with pytest.raises(ServiceError, match="longer than the 600 s this run may wait"):
            pull.reviews()
    assert clock.sleeps == []


def test_content_creation_limit_trips_a_secondary_limit_that_is_waited_out(
    repo: GitRepo, clock: FakeClock
) -> None:
    with GitHubAPI(repo.path, clock=clock.time, writes_per_minute=2) as fake:
        fake.add_pull(PullSpec(number=7, head_ref="feature"))
        with connect(fake, clock) as github:
            pull = github.pull_request("octo/app", 7)
            for run in ("a", "b", "c"):
                draft = draft_for(pull, finding(2, f"Run {run}"), run_id=run)
                assert isinstance(pull.post(draft), PostedReview)
    assert clock.sleeps == [60]
    assert submitted(fake) == ["COMMENTED"] * 3


# ---------------------------------------------------------------- idempotent writes


def test_a_write_whose_answer_was_lost_is_not_posted_twice(
    fake: GitHubAPI, clock: FakeClock, pull: PullRequest
) -> None:
    draft = draft_for(pull, finding(2, "Only once"))
    fake.inject(ServerError(502, method="POST", after_write=True))
    posted = pull.post(draft)
    assert isinstance(posted, PostedReview)
    reviews = fake.reviews(7)
    assert [r.state for r in reviews] == ["COMMENTED"]
    assert posted.review_id == reviews[0].review_id
    assert [(r.method, r.status) for r in fake.requests if "/reviews" in r.path] == [
        ("POST", 502),
        ("GET", 200),  # found its own marker: no second POST
    ]


def test_a_lost_write_that_did_not_land_is_sent_again(
    fake: GitHubAPI, clock: FakeClock, pull: PullRequest
) -> None:
    fake.inject(ServerError(502, method="POST"))
    posted = pull.post(draft_for(pull, finding(2, "Retried")))
    assert isinstance(posted, PostedReview)
    assert clock.sleeps == [1]
    assert submitted(fake) == ["COMMENTED"]


# ---------------------------------------------------------------- 422: refused comments


@pytest.mark.parametrize("bad_at", [0, 2, 4])
def test_comments_github_refuses_are_found_and_moved_into_the_body(
    fake: GitHubAPI, pull: PullRequest, bad_at: int
) -> None:
    draft = with_bad_comment(
        draft_for(
            pull,
            finding(1, "One"),
            finding(2, "Two"),
            finding(20, "Three"),
            finding(35, "Four"),
        ),
        bad_at,
    )
    posted = pull.post(draft)
    assert isinstance(posted, PostedReview)
    assert [c.finding.title for c in posted.moved] == ["Refused by GitHub"]
    assert sorted(c.finding.title for c in posted.inline) == ["Four", "One", "Three", "Two"]
    reviews = fake.reviews(7)
    assert [r.state for r in reviews] == ["COMMENTED"]  # no pending probe left, nothing twice
    final = reviews[0]
    assert sorted(c.line for c in final.comments) == [1, 2, 20, 35]
    assert "Refused by GitHub" in final.body
    assert "1 comment GitHub would not place on the diff is listed below." in final.body
    assert parse_state(final.body) == draft.state
    probes = [r for r in fake.requests if r.method == "POST" and "event" not in (r.body or {})]
    deletes = [r for r in fake.requests if r.method == "DELETE"]
    assert len(probes) == posted.probes <= 5
    assert len(deletes) == sum(1 for p in probes if p.status == 200)


def test_a_stale_probe_from_a_crashed_run_is_cleared_first(
    fake: GitHubAPI, pull: PullRequest
) -> None:
    draft = draft_for(pull, finding(2, "Two"), finding(20, "Three"))
    request = urllib.request.Request(  # a probe left pending by a run that died
        f"{fake.base_url}/repos/octo/app/pulls/7/reviews",
        data=json.dumps({"commit_id": draft.commit_sha, "body": PROBE_MARKER}).encode(),
        headers={"Authorization": f"token {WRITE_TOKEN}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as answer:
        assert answer.status == 200
    assert submitted(fake) == ["PENDING"]
    posted = pull.post(draft)
    assert isinstance(posted, PostedReview)
    assert posted.moved == ()  # the pending review, not a comment, was the trouble
    assert submitted(fake) == ["COMMENTED"]


def test_when_probes_run_out_the_undecided_comments_go_to_the_body(
    fake: GitHubAPI, clock: FakeClock
) -> None:
    with connect(fake, clock, max_probes=1) as github:
        pull = github.pull_request("octo/app", 7)
        draft = with_bad_comment(
            draft_for(pull, finding(1, "One"), finding(2, "Two"), finding(20, "Three")), 3
        )
        posted = pull.post(draft)
    assert isinstance(posted, PostedReview)
    assert posted.probes == 1
    titles = {c.finding.title for c in posted.inline} | {c.finding.title for c in posted.moved}
    assert titles == {"One", "Two", "Three", "Refused by GitHub"}  # nothing lost
    assert "Refused by GitHub" in {c.finding.title for c in posted.moved}
    assert submitted(fake) == ["COMMENTED"]


def test_a_read_only_token_is_refused_the_write(fake: GitHubAPI, clock: FakeClock) -> None:
    with connect(fake, clock, token=READ_ONLY_TOKEN) as github:
        pull = github.pull_request("octo/app", 7)
        outcome = pull.post(draft_for(pull, finding(2, "Two")))
    assert outcome == WriteRefused("Resource not accessible by integration")
    assert submitted(fake) == []
