"""Codebase-aware review end to end: the engine, the SDK, the local Messages API, real git.

Scripted model turns call the repository tools the way the API does (``tool_use``
blocks streamed as ``input_json_delta``, ``stop_reason: tool_use``); the fake
refuses a next turn that does not start with the matching ``tool_result`` blocks.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anthropic
import pytest

from reviewer import engine
from reviewer.config import Config, load_config
from reviewer.diff import Diff, parse_diff
from reviewer.errors import ConfigError
from reviewer.gitdiff import worktree_diff
from reviewer.model import ClientSettings, make_client
from reviewer.render.jsonout import render_json
from reviewer.repository.tree import GitTree
from reviewer.values import Review, Severity
from tests.conftest import GitRepo
from tests.fakes.messages_api import (
    FAKE_API_KEY,
    MessagesAPI,
    MessagesRequest,
    Reply,
    ToolCallSpec,
    ToolUseReply,
    markers_responder,
)
from tests.fakes.request_format import added_lines_in_request

AWS_KEY = "AKIAQYLPMN5HHHFPZAM2"  # the shape of an access key id, not a live one
CLEAN = {"summary": "Looks fine.", "findings": []}


def read(path: str) -> ToolCallSpec:
    return ToolCallSpec("read_file", {"path": path, "start_line": None, "end_line": None})


def is_verification(request: MessagesRequest) -> bool:
    schema = request.output_schema or {}
    return "decision" in schema.get("properties", {})


class Script:
    """The review's turns in order (a ToolUseReply per tool turn, then the answer);
    verification requests get ``verdict``. Every request is kept for the test to read."""

    def __init__(
        self,
        turns: list[Reply],
        answer: Callable[[MessagesRequest], Reply] = lambda _r: CLEAN,
        verdict: Callable[[MessagesRequest], Reply] = lambda _r: keep(),
    ) -> None:
        self.turns = turns
        self.answer = answer
        self.verdict = verdict
        self.seen: list[MessagesRequest] = []

    def __call__(self, request: MessagesRequest) -> Reply:
        self.seen.append(request)
        if is_verification(request):
            return self.verdict(request)
        if request.tool_turns < len(self.turns) and request.offers_tools:
            return self.turns[request.tool_turns]
        return self.answer(request)

    def review_requests(self) -> list[MessagesRequest]:
        return [r for r in self.seen if not is_verification(r)]


def keep() -> Reply:
    return {"decision": "keep", "confidence": 0.9, "reason": "The problem is real."}


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.write("src/util.py", "def parse(text):\n    return int(text)\n")
    git_repo.write("src/app.py", "from util import parse\n\nvalue = parse('1')\n")
    git_repo.commit("initial")
    git_repo.write("src/app.py", "from util import parse\n\nvalue = parse('')  # TODO\n")
    return git_repo


def review(
    api: MessagesAPI, repo: GitRepo, config: Config | None = None, *, tree: bool = True
) -> tuple[Review, Diff]:
    diff = parse_diff(worktree_diff(repo.path).text)
    settings = ClientSettings(api_key=FAKE_API_KEY, base_url=api.base_url, max_retries=0)
    result = engine.run(
        diff,
        config or Config(verify=False),
        client_factory=lambda: make_client(settings),
        tree=GitTree.worktree(repo.path) if tree else None,
    )
    return result, diff


def test_a_file_outside_the_diff_is_read_and_its_content_reaches_the_next_turn(
    repo: GitRepo,
) -> None:
    script = Script([ToolUseReply((read("src/util.py"),), text="Let me read parse().")])
    with MessagesAPI(script) as api:
        result, _ = review(api, repo)
    first, second = script.review_requests()
    assert [tool["name"] for tool in first.body["tools"]] == ["read_file", "search", "list_files"]
    (seen,) = second.tool_results
    assert not seen.is_error
    assert "def parse(text):" in seen.content
    assert "return int(text)" in seen.content
    # the assistant's turn went back as it was, text and tool_use block
    assistant = second.body["messages"][1]
    assert [block["type"] for block in assistant["content"]] == ["text", "tool_use"]
    assert result.usage.requests == 2
    assert result.usage.tool_turns == 1
    assert result.summary == "Looks fine."


def test_a_search_finds_a_symbols_definition_in_another_file(repo: GitRepo) -> None:
    search = ToolCallSpec(
        "search", {"pattern": r"def parse\(", "literal": False, "path_glob": "*.py"}
    )
    script = Script([ToolUseReply((search,))])
    with MessagesAPI(script) as api:
        review(api, repo)
    (seen,) = script.review_requests()[1].tool_results
    assert "src/util.py:1: def parse(text):" in seen.content


def test_paths_outside_the_tree_are_refused_as_tool_errors(repo: GitRepo) -> None:
    (repo.path.parent / "outside.txt").write_text("outside secret\n")
    (repo.path / "escape").symlink_to("../outside.txt")
    repo.stage("escape")
    calls = (read("../outside.txt"), read(str(repo.path.parent / "outside.txt")), read("escape"))
    script = Script([ToolUseReply(calls)])
    with MessagesAPI(script) as api:
        result, _ = review(api, repo)
    seen = script.review_requests()[1].tool_results
    assert [r.is_error for r in seen] == [True, True, True]
    assert all("outside secret" not in r.content for r in seen)
    assert "contains '..'" in seen[0].content
    assert "is absolute" in seen[1].content
    assert "leads outside the repository" in seen[2].content
    assert result.service_failure is None


def test_a_secret_in_a_file_read_by_a_tool_is_redacted(repo: GitRepo) -> None:
    repo.write("deploy/settings.py", f'AWS_ACCESS_KEY_ID = "{AWS_KEY}"\n')
    repo.stage("deploy/settings.py")
    script = Script([ToolUseReply((read("deploy/settings.py"),))])
    with MessagesAPI(script) as api:
        review(api, repo)
        sent = json.dumps([r.body for r in api.requests])
    assert "AWS_ACCESS_KEY_ID" in script.review_requests()[1].tool_results[0].content
    assert AWS_KEY not in sent


def test_a_model_that_never_stops_calling_tools_is_stopped_at_the_budget(repo: GitRepo) -> None:
    forever = ToolUseReply((read("src/util.py"),))
    script = Script([forever] * 100)
    config = Config(verify=False, max_tool_turns=3)
    with MessagesAPI(script) as api:
        result, _ = review(api, repo, config)
    requests = script.review_requests()
    assert len(requests) == 4  # three tool turns, then the answer without tools
    assert [r.body.get("tool_choice") for r in requests] == [None, None, None, {"type": "none"}]
    last = requests[-1].body["messages"][-1]["content"]
    assert last[-1]["type"] == "text"
    assert "budget" in last[-1]["text"]
    assert result.usage.tool_turns == 3
    assert result.usage.requests == 4
    assert result.service_failure is None
    assert not result.not_reviewed


def test_the_result_token_budget_ends_the_turns_too(repo: GitRepo) -> None:
    repo.write("big.txt", "".join(f"row {n} of a long file\n" for n in range(4000)))
    repo.stage("big.txt")
    repo.git("commit", "-q", "-m", "big", "--", "big.txt")  # in the tree, not in the diff
    script = Script([ToolUseReply((read("big.txt"),))] * 10)
    config = Config(verify=False, max_tool_turns=10, max_tool_result_tokens=1_000)
    with MessagesAPI(script) as api:
        result, _ = review(api, repo, config)
    assert result.usage.tool_turns <= 2  # the file's first read took (nearly) all of it
    assert script.review_requests()[-1].body["tool_choice"] == {"type": "none"}
    first = script.review_requests()[1].tool_results[0].content
    assert "cut at line" in first


def test_every_turn_after_the_first_reads_the_conversation_so_far_from_the_cache(
    repo: GitRepo,
) -> None:
    script = Script([ToolUseReply((read("src/util.py"),)), ToolUseReply((read("src/app.py"),))])
    with MessagesAPI(script) as api:
        result, _ = review(api, repo)
        accounts = [r.cache for r in api.requests]
    assert len(accounts) == 3
    assert all(a is not None for a in accounts)
    first, second, third = (a for a in accounts if a is not None)
    assert first.cache_read_input_tokens == 0
    # each turn reads everything the previous turn sent, and writes only what is new
    assert second.cache_read_input_tokens == first.prompt_tokens
    assert third.cache_read_input_tokens == second.prompt_tokens
    assert second.input_tokens == third.input_tokens == 0
    assert result.usage.cache_read_input_tokens == first.prompt_tokens + second.prompt_tokens
    for request in api.requests:
        body = request.body
        marks = json.dumps(body).count('"cache_control"')
        assert marks <= 4


def test_the_fake_refuses_a_turn_without_the_tool_results(repo: GitRepo) -> None:
    with MessagesAPI(Script([])) as api:
        client = anthropic.Anthropic(api_key=FAKE_API_KEY, base_url=api.base_url, max_retries=0)
        tool_use: Any = {"type": "tool_use", "id": "toolu_1", "name": "read_file", "input": {}}
        with pytest.raises(anthropic.BadRequestError, match="tool_result"):
            client.messages.create(
                model="claude-sonnet-5-5",
                max_tokens=100,
                messages=[
                    {"role": "user", "content": "review"},
                    {"role": "assistant", "content": [tool_use]},
                    {"role": "user", "content": "no results"},
                ],
            )


def test_without_a_tree_no_tools_are_offered(repo: GitRepo) -> None:
    script = Script([ToolUseReply((read("src/util.py"),))])
    with MessagesAPI(script) as api:
        result, _ = review(api, repo, tree=False)
    assert "tools" not in script.seen[0].body
    assert result.usage.tool_turns == 0


def test_the_verification_pass_filters_a_finding_into_filtered(repo: GitRepo) -> None:
    repo.write(
        "src/util.py", "def parse(text):\n    password = 'x'  # TODO\n    return int(text)\n"
    )

    def verdict(request: MessagesRequest) -> Reply:
        if "Unresolved TODO" in request.user_text:
            return {"decision": "drop", "confidence": 0.8, "reason": "A TODO is not a defect."}
        return keep()

    script = Script([], answer=markers_responder(extract=added_lines_in_request), verdict=verdict)
    config = Config(verify=True, verify_min_severity=Config().min_severity)
    with MessagesAPI(script) as api:
        result, diff = review(api, repo, config)
    titles = sorted(f.title for f in result.findings)
    assert titles == ["Possible hard-coded password"]
    assert sorted(item.finding.title for item in result.filtered) == ["Unresolved TODO"] * 2
    assert {item.reason for item in result.filtered} == {"A TODO is not a defect."}
    verifications = [r for r in script.seen if is_verification(r)]
    assert len(verifications) == 3
    assert all(r.model == "claude-haiku-5-5" for r in verifications)
    assert result.usage.requests == 1 + 3
    document = json.loads(render_json(result, diff=diff))
    assert [f["title"] for f in document["filtered"]] == ["Unresolved TODO"] * 2
    assert document["filtered"][0]["reason"] == "A TODO is not a defect."
    assert document["usage"]["requests"] == 4


def test_secret_scan_findings_are_never_verified(repo: GitRepo) -> None:
    repo.write("src/keys.py", f'KEY = "{AWS_KEY}"\n')
    repo.stage("src/keys.py")
    script = Script([], verdict=lambda _r: {"decision": "drop", "confidence": 1, "reason": "no"})
    with MessagesAPI(script) as api:
        result, _ = review(api, repo, Config(verify=True))
    assert any(f.origin == "secrets" for f in result.findings)
    assert not [r for r in script.seen if is_verification(r)]  # the model found nothing
    assert not result.filtered


def test_the_dry_run_prices_tool_turns_and_verification(repo: GitRepo) -> None:
    diff = parse_diff(worktree_diff(repo.path).text)
    prepared = engine.prepare(diff, Config())
    plain = engine.dry_run(prepared, config=Config(context="off", verify=False))
    with_tools = engine.dry_run(prepared, config=Config(verify=False), tools=True)
    verified = engine.dry_run(prepared, config=Config(verify=True), tools=True)
    assert plain.estimated_tool_turns == 0
    assert with_tools.estimated_tool_turns == 3
    assert with_tools.estimated_cost_usd > plain.estimated_cost_usd
    assert verified.estimated_verifications == 2
    assert verified.estimated_cost_usd > with_tools.estimated_cost_usd


def test_the_new_keys_load_from_yaml_with_bare_on_and_off(tmp_path: Path) -> None:
    path = tmp_path / "r.yml"
    path.write_text("context: off\nverify: on\nverify_min_severity: major\nmax_tool_turns: 2\n")
    config = load_config(path, None)
    assert (config.context, config.verify, config.max_tool_turns) == ("off", True, 2)
    assert config.verify_min_severity == Severity.MAJOR
    path.write_text("context: everything\n")
    with pytest.raises(ConfigError, match=r"r\.yml:1: context: must be one of tools, off"):
        load_config(path, None)
