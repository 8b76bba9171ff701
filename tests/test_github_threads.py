"""Review threads over GraphQL through real PyGithub and HTTP, against the local fake GitHub.

The fake serves REST under ``/api/v3`` and GraphQL at ``/api/graphql``, as GitHub
Enterprise Server does: PyGithub's requester derives the second from the first.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from reviewer.errors import AuthError, ServiceError
from reviewer.github.api import GitHub, GitHubSettings, PullRequest
from reviewer.github.draft import draft_review
from reviewer.github.identity import key_for
from reviewer.github.marker import ReviewState
from reviewer.github.threads import read_finding_marker, reply_marker
from reviewer.values import Finding, Review, Severity, Side
from tests.conftest import GitRepo
from tests.fakes.github_api import (
    MAINTAINER_TOKEN,
    NO_CONTENTS_TOKEN,
    OUTSIDER_TOKEN,
    READ_ONLY_TOKEN,
    WRITE_TOKEN,
    GitHubAPI,
    PullSpec,
    ServerError,
)

LINES = [f"value_{n} = compute({n})\n" for n in range(1, 31)]


@pytest.fixture
def fake(git_repo: GitRepo) -> Iterator[GitHubAPI]:
    git_repo.write("README.md", "base\n")
    git_repo.commit("base")
    git_repo.git("checkout", "-q", "-b", "feature")
    git_repo.write("svc.py", "".join(LINES))
    git_repo.commit("feature")
    git_repo.git("checkout", "-q", "main")
    with GitHubAPI(git_repo.path) as server:
        server.add_pull(PullSpec(number=7, head_ref="feature"))
        yield server


def connect(fake: GitHubAPI, token: str = WRITE_TOKEN) -> GitHub:
    settings = GitHubSettings(api_url=fake.base_url, token=token, seconds_between_writes=0)
    return GitHub(settings, log=lambda _line: None)


@pytest.fixture
def pull(fake: GitHubAPI) -> Iterator[PullRequest]:
    with connect(fake) as github:
        yield github.pull_request("octo/app", 7)


def post_findings(pull: PullRequest, lines: list[int]) -> None:
    findings = tuple(
        Finding("svc.py", n, Side.RIGHT, Severity.MAJOR, "correctness", f"Problem {n}", "Why.")
        for n in lines
    )
    review = Review(model="claude-sonnet-5-5", findings=findings, inline=findings, summary="s")
    diff = pull.diff().diff
    state = ReviewState(pull.info.head_sha, True, "run1", ())
    keys = [(f, key_for(f, diff)) for f in findings]
    pull.post(draft_review(review, diff=diff, state=state, keys=keys))


def send(fake: GitHubAPI, url: str, body: dict[str, Any], token: str) -> tuple[int, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_threads_are_read_page_by_page_with_reactions_and_resolution(
    fake: GitHubAPI, pull: PullRequest
) -> None:
    post_findings(pull, [3, 12, 25])
    fake.conversations.max_page = 2  # three threads: two pages
    first = fake.threads(7)[0]
    send(
        fake,
        f"{fake.base_url}/repos/octo/app/pulls/comments/{first.root.comment_id}/reactions",
        {"content": "-1"},
        MAINTAINER_TOKEN,
    )
    query = "mutation($threadId: ID!) { resolveReviewThread(input: {threadId: $threadId}) { thread { id } } }"
    status, answer = send(
        fake,
        fake.graphql_url,
        {"query": query, "variables": {"threadId": first.thread_id}},
        MAINTAINER_TOKEN,
    )
    assert (status, answer.get("errors")) == (200, None)
    threads = pull.threads()
    assert [t.line for t in threads] == [3, 12, 25]
    graphql = [r for r in fake.requests if r.path == "graphql"]
    assert len(graphql) == 3  # the mutation, then two pages
    assert fake.graphql_path == "/api/graphql"  # beside /api/v3, as on GitHub Enterprise Server
    assert threads[0].is_resolved
    assert threads[0].resolved_by == "maintainer"
    assert [(r.content, r.login) for r in threads[0].root.reactions] == [
        ("THUMBS_DOWN", "maintainer")
    ]
    assert threads[0].root.author_is_bot
    assert read_finding_marker(threads[1].root.body, threads[1].path) is not None
    assert pull.may_write("maintainer")
    assert not pull.may_write("mallory")
    assert not pull.may_write("nobody-at-all")


def test_resolving_needs_contents_write_and_says_why(fake: GitHubAPI) -> None:
    with connect(fake, NO_CONTENTS_TOKEN) as github:
        pull = github.pull_request("octo/app", 7)
        post_findings(pull, [5])
        [thread] = pull.threads()
        assert not thread.viewer_can_resolve
        assert pull.resolve(thread.thread_id) == "Resource not accessible by integration"
    with connect(fake) as github:
        pull = github.pull_request("octo/app", 7)
        assert pull.resolve(thread.thread_id) is None
        assert pull.threads()[0].is_resolved


def test_graphql_errors_come_with_200_and_a_bad_token_is_401(fake: GitHubAPI) -> None:
    status, answer = send(fake, fake.graphql_url, {"query": "{ viewer { login } }"}, WRITE_TOKEN)
    assert status == 200
    assert answer["errors"][0]["message"].startswith("the fake GitHub answers")
    bad_query = "query { repository(owner: $o) { pullRequest { reviewThreads(first: 101) { nodes { id } } } } }"
    variables = {"owner": "octo", "name": "app", "number": 7}
    status, answer = send(
        fake, fake.graphql_url, {"query": bad_query, "variables": variables}, WRITE_TOKEN
    )
    assert status == 200
    assert "exceeds the `first` limit of 100" in answer["errors"][0]["message"]
    status, answer = send(fake, fake.graphql_url, {"query": "{}"}, "not-a-token")
    assert (status, answer["message"]) == (401, "Bad credentials")
    with connect(fake, "not-a-token") as github, pytest.raises(AuthError, match="401"):
        github.pull_request("octo/app", 7)


def test_an_unknown_pull_request_in_graphql_is_a_service_error(
    fake: GitHubAPI, pull: PullRequest
) -> None:
    fake.remove_pull(7)  # gone between the REST read and the GraphQL one
    with pytest.raises(ServiceError, match="NOT_FOUND: Could not resolve to a PullRequest"):
        pull.threads()


def test_a_reply_whose_answer_was_lost_is_not_posted_twice(
    fake: GitHubAPI, pull: PullRequest
) -> None:
    post_findings(pull, [5])
    [thread] = pull.threads()
    root = thread.root.database_id
    fake.inject(ServerError(502, method="POST", path=r".*/replies", after_write=True))
    reply_id = pull.reply(root, f"Fixed in `abc1234`.\n\n{reply_marker(root, 'fixed')}\n")
    [record] = fake.threads(7)
    assert [r.comment_id for r in record.replies] == [reply_id]  # one reply, found after the 502


def test_a_read_only_token_may_read_threads_but_not_reply(
    fake: GitHubAPI, pull: PullRequest
) -> None:
    post_findings(pull, [5])
    with connect(fake, READ_ONLY_TOKEN) as github:
        readonly = github.pull_request("octo/app", 7)
        [thread] = readonly.threads()
        with pytest.raises(AuthError) as refused:
            readonly.reply(thread.root.database_id, "hello")
        assert refused.value.status == 403


def test_conversation_comments_are_listed_and_posted(fake: GitHubAPI, pull: PullRequest) -> None:
    status, created = send(
        fake,
        f"{fake.base_url}/repos/octo/app/issues/7/comments",
        {"body": "/reviewer why?"},
        OUTSIDER_TOKEN,
    )
    assert status == 201
    comment_id = pull.comment(f"Because.\n\n{reply_marker(created['id'], 'answer')}\n")
    listed = pull.issue_comments()
    assert [(c.comment_id, c.author_is_bot, c.association) for c in listed] == [
        (created["id"], False, "NONE"),
        (comment_id, True, "NONE"),
    ]
    payload = fake.issue_comment_payload(created["id"])
    assert payload["issue"]["pull_request"]["url"].endswith("/pulls/7")
    assert payload["comment"]["author_association"] == "NONE"
