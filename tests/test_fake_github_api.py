"""The fake GitHub API keeps GitHub's rules: checked over raw HTTP and through PyGithub."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import github
import pytest

from reviewer.diff import parse_diff
from tests.conftest import GitRepo
from tests.fakes.github_api import (
    MAINTAINER_TOKEN,
    READ_ONLY_TOKEN,
    WRITE_TOKEN,
    GitHubAPI,
    PrimaryRateLimit,
    PullSpec,
    SecondaryRateLimit,
    ServerError,
)
from tests.fakes.messages_api import ManualClock

START = 1_800_000_000.0
REVIEWS = "/repos/octo/app/pulls/7/reviews"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text)


def call(
    api: GitHubAPI,
    method: str,
    path: str,
    *,
    token: str | None = WRITE_TOKEN,
    body: object = None,
    accept: str = "application/vnd.github+json",
) -> Answer:
    headers = {"Accept": accept}
    if token is not None:
        headers["Authorization"] = f"token {token}"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    url = path if path.startswith("http") else api.base_url + path
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request) as answer:
            return Answer(answer.status, _lower(answer.headers), answer.read().decode())
    except urllib.error.HTTPError as error:
        return Answer(error.code, _lower(error.headers), error.read().decode())


def _lower(headers: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.write("app.py", "".join(f"line_{n} = {n}\n" for n in range(1, 31)))
    git_repo.write("old_name.py", "".join(f"keep_{n} = {n}\n" for n in range(1, 21)))
    git_repo.commit("base")
    git_repo.git("checkout", "-q", "-b", "feature")
    lines = [f"line_{n} = {n}\n" for n in range(1, 31)]
    lines[1] = "changed_2 = 2\n"  # hunk 1: new lines 1-5
    lines[24] = "changed_25 = 25\n"  # hunk 2: new lines 22-28
    git_repo.write("app.py", "".join(lines))
    git_repo.move("old_name.py", "new_name.py")
    git_repo.write("logo.png", bytes(range(256)))
    git_repo.commit("feature")
    git_repo.git("checkout", "-q", "main")
    return git_repo


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def api(repo: GitRepo, clock: ManualClock) -> Iterator[GitHubAPI]:
    with GitHubAPI(repo.path, clock=clock) as server:
        server.add_pull(PullSpec(number=7, head_ref="feature"))
        yield server


def review(api: GitHubAPI, *comments: dict[str, object], **fields: object) -> Answer:
    body = {"commit_id": api.head_sha(7), "body": "A review.", "event": "COMMENT", **fields}
    body["comments"] = list(comments)
    return call(api, "POST", REVIEWS, body=body)


# ---------------------------------------------------------------- auth and paths


def test_a_bad_token_is_401_and_paths_outside_the_prefix_are_404(api: GitHubAPI) -> None:
    bad = call(api, "GET", "/repos/octo/app", token="ghs_nope")
    assert (bad.status, bad.json["message"]) == (401, "Bad credentials")
    assert call(api, "GET", f"{api.origin}/repos/octo/app").status == 404
    assert call(api, "GET", "/repos/octo/other").json["message"] == "Not Found"
    assert call(api, "GET", "/repos/octo/app/pulls/8").status == 404


def test_pygithub_follows_the_urls_it_is_given(api: GitHubAPI, repo: GitRepo) -> None:
    client = github.Github(
        auth=github.Auth.Token(WRITE_TOKEN), base_url=api.base_url, retry=None, per_page=1
    )
    pull = client.get_repo("octo/app").get_pull(7)
    assert pull.url == f"{api.base_url}/repos/octo/app/pulls/7"
    assert pull.head.sha == repo.git("rev-parse", "feature").strip()
    files = [f.filename for f in pull.get_files()]  # one per page: the Link header is followed
    assert files == ["app.py", "logo.png", "new_name.py"]
    assert [r.query.get("page") for r in api.requests if r.path.endswith("/files")] == [
        None,
        "2",
        "3",
    ]
    client.close()


def test_the_payload_is_the_pull_request_as_the_api_shows_it(api: GitHubAPI) -> None:
    payload = api.payload(7, "synchronize")
    assert payload["action"] == "synchronize"
    assert payload["pull_request"] == call(api, "GET", "/repos/octo/app/pulls/7").json
    assert payload["pull_request"]["head"]["repo"]["full_name"] == "octo/app"


# ---------------------------------------------------------------- diffs


def test_the_diff_is_gits_three_dot_diff(api: GitHubAPI, repo: GitRepo) -> None:
    answer = call(api, "GET", "/repos/octo/app/pulls/7", accept="application/vnd.github.diff")
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("application/vnd.github.diff")
    assert answer.text == repo.git("diff", "-M", "main...feature")


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"max_diff_files": 2}, "maximum number of files (2)"),
        ({"max_diff_lines": 10}, "maximum number of lines (10)"),
    ],
)
def test_a_diff_beyond_githubs_limits_is_406(
    repo: GitRepo, clock: ManualClock, limits: dict[str, int], message: str
) -> None:
    with GitHubAPI(repo.path, clock=clock, **limits) as api:  # type: ignore[arg-type]
        api.add_pull(PullSpec(number=7, head_ref="feature"))
        answer = call(api, "GET", "/repos/octo/app/pulls/7", accept="application/vnd.github.diff")
    assert answer.status == 406
    assert message in answer.json["message"]
    assert answer.json["errors"] == [
        {"resource": "PullRequest", "field": "diff", "code": "too_large"}
    ]


def test_the_files_listing_leaves_out_binary_and_large_patches(
    repo: GitRepo, clock: ManualClock
) -> None:
    with GitHubAPI(repo.path, clock=clock, max_patch_lines=8) as api:
        api.add_pull(PullSpec(number=7, head_ref="feature"))
        files = {f["filename"]: f for f in call(api, "GET", "/repos/octo/app/pulls/7/files").json}
    assert "patch" not in files["logo.png"]
    assert "patch" not in files["new_name.py"]  # a pure rename has no hunks
    assert files["new_name.py"]["changes"] == 0
    assert files["new_name.py"]["previous_filename"] == "old_name.py"
    assert files["new_name.py"]["status"] == "renamed"
    assert "patch" not in files["app.py"]  # 14 lines of hunks, more than 8
    assert files["app.py"]["changes"] == 4


def test_compare_says_how_two_commits_relate(api: GitHubAPI, repo: GitRepo) -> None:
    main, feature = (repo.git("rev-parse", b).strip() for b in ("main", "feature"))
    ahead = call(api, "GET", f"/repos/octo/app/compare/{main}...{feature}").json
    assert (ahead["status"], ahead["ahead_by"], ahead["behind_by"]) == ("ahead", 1, 0)
    assert sorted(f["filename"] for f in ahead["files"]) == ["app.py", "logo.png", "new_name.py"]
    behind = call(api, "GET", f"/repos/octo/app/compare/{feature}...{main}").json
    assert behind["status"] == "behind"
    assert (
        call(api, "GET", f"/repos/octo/app/compare/{main}...{main}").json["status"] == "identical"
    )
    repo.git("checkout", "-q", "main")
    repo.write("other.py", "x = 1\n")
    other = repo.commit("elsewhere")
    assert call(api, "GET", f"/repos/octo/app/compare/{other}...{feature}").json["status"] == (
        "diverged"
    )
    assert call(api, "GET", f"/repos/octo/app/compare/{'0' * 40}...{feature}").status == 404


# ---------------------------------------------------------------- creating reviews


def comment(line: int, side: str = "RIGHT", **extra: object) -> dict[str, object]:
    return {"path": "app.py", "body": "Look.", "line": line, "side": side, **extra}


def test_one_comment_outside_the_diff_refuses_the_whole_review(api: GitHubAPI) -> None:
    refused = review(api, comment(2), comment(12))
    assert refused.status == 422
    assert refused.json["errors"] == ["Line could not be resolved"]
    assert api.reviews(7) == ()
    accepted = review(api, comment(2))
    assert accepted.status == 200
    data = accepted.json
    assert data["state"] == "COMMENTED"
    assert data["pull_request_url"] == f"{api.base_url}/repos/octo/app/pulls/7"
    assert [c.line for c in api.reviews(7)[0].comments] == [2]


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        ({"path": "nope.py", "body": "x", "line": 1}, "Path could not be resolved"),
        (comment(3, side="LEFT"), None),  # old line 3 is context: fine on the LEFT
        (comment(2, side="LEFT"), None),  # the removed line
        (comment(15, side="LEFT"), "Line could not be resolved"),  # between the hunks
        (comment(24, start_line=3), "start_line must be part of the same hunk"),
        (comment(3, start_line=4), "start_line must precede the end line"),
        (comment(4, start_line=2), None),
    ],
)
def test_comment_rules(api: GitHubAPI, bad: dict[str, object], error: str | None) -> None:
    answer = review(api, bad)
    if error is None:
        assert answer.status == 200
    else:
        assert answer.status == 422
        assert error in answer.json["errors"][0]


def test_bodies_over_65536_characters_are_refused(api: GitHubAPI) -> None:
    assert review(api, body="x" * 65_537).status == 422
    assert review(api, comment(2, body="y" * 65_537)).status == 422
    assert review(api, body="x" * 65_536).status == 200


def test_a_read_only_token_reads_but_may_not_write(api: GitHubAPI) -> None:
    assert call(api, "GET", REVIEWS, token=READ_ONLY_TOKEN).status == 200
    refused = call(
        api, "POST", REVIEWS, token=READ_ONLY_TOKEN, body={"event": "COMMENT", "body": "x"}
    )
    assert (refused.status, refused.json["message"]) == (
        403,
        "Resource not accessible by integration",
    )


def test_pending_reviews_are_one_per_user_private_and_deletable(api: GitHubAPI) -> None:
    pending = review(api, comment(2), event=None)
    assert pending.json["state"] == "PENDING"
    again = review(api, comment(4), event=None)
    assert again.json["errors"] == ["User can only have one pending review per pull request"]
    assert call(api, "GET", REVIEWS, token=MAINTAINER_TOKEN).json == []
    assert [r["state"] for r in call(api, "GET", REVIEWS).json] == ["PENDING"]
    review_id = pending.json["id"]
    assert call(api, "DELETE", f"{REVIEWS}/{review_id}").status == 200
    assert api.reviews(7) == ()
    submitted = review(api, comment(2)).json["id"]
    assert call(api, "DELETE", f"{REVIEWS}/{submitted}").status == 422


def test_a_server_error_after_the_write_loses_only_the_answer(api: GitHubAPI) -> None:
    api.inject(ServerError(502, method="POST", after_write=True))
    assert review(api, comment(2)).status == 502
    assert [r.state for r in api.reviews(7)] == ["COMMENTED"]


# ---------------------------------------------------------------- rate limits


def test_every_answer_carries_the_rate_limit(api: GitHubAPI) -> None:
    first = call(api, "GET", "/repos/octo/app")
    second = call(api, "GET", "/repos/octo/app")
    assert first.headers["x-ratelimit-limit"] == "1000"
    assert int(first.headers["x-ratelimit-remaining"]) - 1 == int(
        second.headers["x-ratelimit-remaining"]
    )
    assert first.headers["x-ratelimit-reset"] == str(int(START) + 3600)
    assert first.headers["x-ratelimit-resource"] == "core"


def test_a_secondary_limit_lasts_until_its_retry_after(api: GitHubAPI, clock: ManualClock) -> None:
    api.inject(SecondaryRateLimit(retry_after=30))
    first = call(api, "GET", "/repos/octo/app")
    assert (first.status, first.headers["retry-after"]) == (403, "30")
    assert first.json["message"].startswith("You have exceeded a secondary rate limit")
    clock.advance(10)
    still = call(api, "GET", "/repos/octo/app")
    assert (still.status, still.headers["retry-after"]) == (403, "20")
    clock.advance(20)
    assert call(api, "GET", "/repos/octo/app").status == 200


def test_a_spent_primary_limit_lasts_until_its_reset(api: GitHubAPI, clock: ManualClock) -> None:
    api.inject(PrimaryRateLimit(reset_in=90, status=429))
    limited = call(api, "GET", "/repos/octo/app")
    assert limited.status == 429
    assert limited.headers["x-ratelimit-remaining"] == "0"
    assert limited.headers["x-ratelimit-reset"] == str(int(START) + 90)
    assert limited.json["message"].startswith("API rate limit exceeded")
    clock.advance(89)
    assert call(api, "GET", "/repos/octo/app").status == 429
    clock.advance(1)
    assert call(api, "GET", "/repos/octo/app").status == 200


def test_too_many_writes_in_a_minute_trip_a_secondary_limit(
    repo: GitRepo, clock: ManualClock
) -> None:
    with GitHubAPI(repo.path, clock=clock, writes_per_minute=2) as api:
        api.add_pull(PullSpec(number=7, head_ref="feature"))
        assert [review(api).status for _ in range(3)] == [200, 200, 403]
        assert call(api, "GET", REVIEWS).status == 403  # the limit covers reads too
        clock.advance(60)
        assert review(api).status == 200


def test_the_served_diff_is_what_reviewer_parses(api: GitHubAPI) -> None:
    text = call(api, "GET", "/repos/octo/app/pulls/7", accept="application/vnd.github.diff").text
    diff = parse_diff(text)
    app = diff.file("app.py")
    assert app is not None
    assert [(h.new_start, h.new_count) for h in app.hunks] == [(1, 5), (22, 7)]
