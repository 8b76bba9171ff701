"""The command line's rough edges: output files, pipes, bad numbers, batch pricing, extras."""

from __future__ import annotations

import fcntl
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from reviewer.cli import main
from reviewer.errors import InputError
from tests.conftest import GitRepo

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "sample.diff"


def test_output_dash_is_standard_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code = main(["review", "--diff", str(SAMPLE), "--dry-run", "--format", "json", "--output", "-"])
    assert code == 0
    assert json.loads(capsys.readouterr().out)["dry_run"] is True
    assert not (tmp_path / "-").exists()


def test_output_files_get_the_mode_a_plain_write_would_give(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fresh = tmp_path / "fresh.json"
    old_umask = os.umask(0o022)
    try:
        assert main(["review", "--diff", str(SAMPLE), "--dry-run", "--format", "json",
                     "--output", str(fresh)]) == 0  # fmt: skip
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o644  # not the temporary file's 0600

    kept = tmp_path / "kept.json"
    kept.write_text("{}", encoding="utf-8")
    kept.chmod(0o640)
    assert main(["review", "--diff", str(SAMPLE), "--dry-run", "--format", "json",
                 "--output", str(kept)]) == 0  # fmt: skip
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640
    assert json.loads(kept.read_text(encoding="utf-8"))["dry_run"] is True


def _many_files_diff(count: int) -> str:
    return "".join(
        f"diff --git a/pkg/module_{i:05d}.py b/pkg/module_{i:05d}.py\n"
        f"--- a/pkg/module_{i:05d}.py\n+++ b/pkg/module_{i:05d}.py\n"
        "@@ -1 +1 @@\n-x = 1\n+x = 2\n"
        for i in range(count)
    )


def test_a_reader_that_goes_away_ends_the_run_quietly_without_a_findings_code(
    tmp_path: Path,
) -> None:
    diff = tmp_path / "big.diff"
    diff.write_text(_many_files_diff(4000), encoding="utf-8")  # a plan longer than a pipe holds
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reviewer",
            "review",
            "--diff",
            str(diff),
            "--dry-run",
            "--no-cache",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    # The smallest pipe Linux allows, so the report cannot fit in it before the close.
    fcntl.fcntl(process.stdout.fileno(), fcntl.F_SETPIPE_SZ, 4096)
    assert process.stdout.read(1) == b"D"  # what `| head -c1` reads before it exits
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 141
    assert "Traceback" not in stderr
    assert "BrokenPipeError" not in stderr


@pytest.mark.parametrize("seconds", ["0", "-1", "nan", "soon"])
def test_poll_seconds_must_be_a_positive_number(
    seconds: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["review", "--diff", str(SAMPLE), "--batch", "--poll-seconds", seconds])
    assert exited.value.code == 2
    assert "--poll-seconds" in capsys.readouterr().err


def test_a_batch_dry_run_is_priced_at_the_batch_discount(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a batch sends no tool turns and no verification pass; compare like with like
    no_tools = tmp_path / "no-tools.yml"
    no_tools.write_text("context: off\nverify: off\n", encoding="utf-8")

    def estimate(*extra: str) -> float:
        assert main(["review", "--diff", str(SAMPLE), "--dry-run", "--format", "json",
                     "--no-cache", "--config", str(no_tools), *extra]) == 0  # fmt: skip
        return float(json.loads(capsys.readouterr().out)["estimated_cost_usd"])

    streamed, batched = estimate(), estimate("--batch")
    assert streamed > 0
    assert batched == pytest.approx(streamed / 2)


def test_batch_with_a_provider_without_batches_is_a_usage_error_before_any_credentials(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    config = tmp_path / "reviewer.yml"
    config.write_text("provider: bedrock\naws_region: us-east-1\n", encoding="utf-8")
    code = main(["review", "--diff", str(SAMPLE), "--batch", "--no-cache", "--config", str(config)])
    assert code == 2  # a usage error, not exit 3 for credentials it never needed
    assert "not available with provider bedrock" in capsys.readouterr().err


def test_the_action_without_pygithub_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from reviewer.github.api import GitHub, GitHubSettings

    monkeypatch.setitem(sys.modules, "github", None)  # as on an install without the extra
    with pytest.raises(InputError) as error:
        GitHub(GitHubSettings(api_url="http://127.0.0.1:9/api/v3", token="t"))
    assert error.value.exit_code == 2
    assert "pip install 'reviewer[github]'" in str(error.value)


def test_a_missing_batch_state_names_no_option_that_does_not_exist(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["batch", "status", "msgbatch_gone"]) == 2
    err = capsys.readouterr().err
    assert "no saved state for batch msgbatch_gone" in err
    assert "--state-dir" not in err  # it never existed
    assert "REVIEWER_CACHE_DIR" in err


def test_the_hook_definition_points_at_documentation_that_exists() -> None:
    text = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    assert "docs/" not in text or all(
        (ROOT / word.strip("().,")).exists() for word in text.split() if word.startswith("docs/")
    )
    assert "README" in text


def test_linguist_generated_files_are_skipped_in_a_real_review(
    git_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    git_repo.write(".gitattributes", "api/schema.py linguist-generated\n")
    git_repo.write("README.md", "x\n")
    git_repo.commit("base")
    git_repo.write("api/schema.py", "SCHEMA = 1\n")
    git_repo.write("app.py", "x = 1\n")
    git_repo.stage()
    code = main(
        ["review", "--staged", "--dry-run", "--format", "json", "--repo", str(git_repo.path)]
    )
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    skipped = {entry["path"]: entry["reason"] for entry in report["skipped"]}
    assert "linguist-generated" in skipped["api/schema.py"]
    assert [path for request in report["requests"] for path in request["paths"]] == ["app.py"]


def test_combined_diff_sections_are_skipped_with_a_warning_and_the_rest_reviewed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    diff = tmp_path / "mixed.diff"
    diff.write_text(
        "diff --cc merged.py\nindex 1,2..3\n--- a/merged.py\n+++ b/merged.py\n"
        "@@@ -1,1 -1,1 +1,1 @@@\n- a\n -b\n++c\n"
        "diff --git a/app.py b/app.py\n--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n",
        encoding="utf-8",
    )
    assert main(["review", "--diff", str(diff), "--dry-run", "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert "warning" in captured.err
    assert "merged.py" in captured.err
    assert [p for r in json.loads(captured.out)["requests"] for p in r["paths"]] == ["app.py"]
