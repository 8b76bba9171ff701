"""No report shows a secret: code context everywhere is the redacted form, never the value.

The text report quotes the lines around each finding, and CI keeps what it prints; the
other formats quote no code but carry finding bodies and paths. Each is checked here on
a diff whose secrets sit next to lines the model flags, so their lines are in context.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from reviewer.cli import main
from tests.conftest import GitRepo
from tests.fakes.messages_api import (
    FAKE_API_KEY,
    MessagesAPI,
    markers_responder,
    review_requests,
    verification_requests,
)
from tests.fakes.request_format import added_lines_in_request

AWS_KEY = "AKIA" + "Q3EGRJ7HB4NXK2LA"
# Not a finding (no provider format, a plain name): redacted all the same, eagerly.
DB_SECRET = "hQ7" + "vR2kX9pLw4ZtB8nMc"
SECRETS = (AWS_KEY, DB_SECRET)


def leaky_diff() -> str:
    lines = [
        "# TODO: move these to the vault",
        f'AWS_ACCESS_KEY_ID = "{AWS_KEY}"',
        f"db_secret: {DB_SECRET}",
        "# TODO: rotate",
    ]
    body = "".join(f"+{line}\n" for line in lines)
    return (
        "diff --git a/settings.py b/settings.py\nnew file mode 100644\n--- /dev/null\n"
        f"+++ b/settings.py\n@@ -0,0 +1,{len(lines)} @@\n{body}"
    )


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[MessagesAPI]:
    with MessagesAPI(markers_responder(extract=added_lines_in_request)) as server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_API_KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
        yield server


@pytest.mark.parametrize("fmt", ["text", "markdown", "json", "sarif"])
def test_no_report_format_shows_a_secret(
    api: MessagesAPI, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    diff = tmp_path / "leak.diff"
    diff.write_text(leaky_diff(), encoding="utf-8")
    main(["review", "--diff", str(diff), "--format", fmt, "--no-cache"])
    out = capsys.readouterr().out
    assert "Unresolved TODO" in out  # the report is there, with findings beside the secrets
    assert not [secret for secret in SECRETS if secret in out]
    if fmt == "text":  # the code context is quoted, redacted
        assert "[REDACTED:" in out
        assert "TODO: rotate" in out
    if fmt == "json":
        assert json.loads(out)["findings"]
    sent = json.dumps([request.body for request in api.requests])
    assert not [secret for secret in SECRETS if secret in sent]


def test_the_hook_report_quotes_the_redacted_form_from_a_cached_run_too(
    api: MessagesAPI, git_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    git_repo.write("README.md", "x\n")
    git_repo.commit("base")
    git_repo.write(
        "settings.py", "".join(line[1:] + "\n" for line in leaky_diff().splitlines()[5:])
    )
    git_repo.stage("settings.py")
    sent_after = []
    for _ in range(2):  # the second run is served from the review cache, not scanned again
        assert main(["hook", "--repo", str(git_repo.path)]) == 1  # a critical secret
        out = capsys.readouterr().out
        assert "[REDACTED:" in out
        assert not [secret for secret in SECRETS if secret in out]
        sent_after.append(len(api.requests))
    assert len(review_requests(api.requests)) == 1
    assert verification_requests(api.requests)  # the first run verified the model's findings
    assert sent_after[1] == sent_after[0]  # the cached run sent nothing at all
    sent = json.dumps([request.body for request in api.requests])
    assert not [secret for secret in SECRETS if secret in sent]
