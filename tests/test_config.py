from __future__ import annotations

from pathlib import Path

import pytest

from reviewer.config import Config, load_config
from reviewer.errors import ConfigError
from reviewer.values import Severity


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_any_file(tmp_path: Path) -> None:
    config = load_config(None, tmp_path)
    assert config == Config()
    assert config.model == "claude-sonnet-5-5"
    assert config.fail_on is None


def test_yaml_in_dot_github_is_found_and_parsed(tmp_path: Path) -> None:
    write(
        tmp_path / ".github/reviewer.yml",
        """
model: claude-haiku-5-5
max_comments: 7
min_severity: minor
fail_on: major
ignore: ["docs/**", "*.snap"]
instructions: Be strict about SQL.
path_instructions:
  "migrations/**": Check reversibility.
max_requests: 3
request_token_budget: 4000
concurrency: 2
language: German
""",
    )
    config = load_config(None, tmp_path)
    assert config.model == "claude-haiku-5-5"
    assert config.max_comments == 7
    assert config.min_severity is Severity.MINOR
    assert config.fail_on is Severity.MAJOR
    assert config.ignore == ("docs/**", "*.snap")
    assert config.path_instructions == (("migrations/**", "Check reversibility."),)
    assert (config.max_requests, config.request_token_budget, config.concurrency) == (3, 4000, 2)
    assert config.language == "German"
    assert config.source.endswith(".github/reviewer.yml")


def test_yaml_wins_over_pyproject(tmp_path: Path) -> None:
    write(tmp_path / ".github/reviewer.yml", "max_comments: 1\n")
    write(tmp_path / "pyproject.toml", "[tool.reviewer]\nmax_comments = 2\n")
    assert load_config(None, tmp_path).max_comments == 1


def test_pyproject_section(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.reviewer]\nfail_on = "never"\nmax_comments = 2\n')
    config = load_config(None, tmp_path)
    assert config.max_comments == 2
    assert config.fail_on is None


def test_pyproject_without_section_gives_defaults(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[project]\nname = 'x'\n")
    assert load_config(None, tmp_path) == Config()


def test_unknown_key_names_file_line_and_key(tmp_path: Path) -> None:
    path = write(tmp_path / "r.yml", "model: claude-sonnet-5-5\n\nmax_coments: 3\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, None)
    message = str(info.value)
    assert f"{path}:3" in message
    assert "max_coments" in message
    assert "unknown key" in message


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ("max_comments: many\n", "max_comments", "must be an integer"),
        ("max_comments: true\n", "max_comments", "must be an integer"),
        ("concurrency: 0\n", "concurrency", "between 1 and 64"),
        ("fail_on: blocker\n", "fail_on", "must be one of"),
        ("min_severity: 3\n", "min_severity", "must be one of"),
        ("ignore: docs/**\n", "ignore", "list of glob strings"),
        ("path_instructions: [a]\n", "path_instructions", "mapping of glob to text"),
        ("model: gpt-4\n", "model", "unknown model"),
        ("language: 5\n", "language", "must be a string"),
    ],
)
def test_wrong_types_name_the_key(tmp_path: Path, text: str, key: str, problem: str) -> None:
    path = write(tmp_path / "r.yml", text)
    with pytest.raises(ConfigError) as info:
        load_config(path, None)
    assert key in str(info.value)
    assert problem in str(info.value)


def test_invalid_yaml_names_line(tmp_path: Path) -> None:
    path = write(tmp_path / "r.yml", "model: a\n  bad: : indent\n")
    with pytest.raises(ConfigError, match=r"r\.yml:2: not valid YAML"):
        load_config(path, None)


def test_top_level_must_be_mapping(tmp_path: Path) -> None:
    path = write(tmp_path / "r.yml", "- a\n- b\n")
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_config(path, None)


def test_missing_explicit_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.yml", None)


def test_invalid_toml(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.reviewer\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(None, tmp_path)


def test_empty_yaml_is_defaults(tmp_path: Path) -> None:
    path = write(tmp_path / "r.yml", "# nothing\n")
    assert load_config(path, None).max_comments == Config().max_comments
