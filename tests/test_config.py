from __future__ import annotations

from pathlib import Path

import pytest

from reviewer.batch import config_to_mapping
from reviewer.catalog import model_info
from reviewer.config import _PARSERS, Config, config_from_mapping, load_config, parse_fail_on
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


def test_a_bad_ignore_glob_is_named_alone_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path / "r.yml", 'ignore:\n  - "docs/**"\n  - "[z-a].py"\n  - "*.snap"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path, None)
    message = str(info.value)
    assert message.startswith(f"{path}:3: ignore: invalid glob '[z-a].py': ")
    assert "docs/**" not in message
    assert "*.snap" not in message


@pytest.mark.parametrize(
    ("text", "line", "shown"),
    [
        ('ignore: ["docs/**", "["]\n', 1, "invalid glob '[': '[' without a closing ']'"),
        ("ignore:\n  - ok/**\n  - ''\n", 3, "invalid glob '': an empty glob matches nothing"),
        ("ignore:\n  - '#gen/*'\n", 2, "invalid glob '#gen/*': a glob starting with '#'"),
        ("ignore:\n  - 'a\\'\n", 2, "invalid glob 'a\\\\'"),
        ('path_instructions:\n  "src/**": a\n  "[": x\n', 3, "invalid glob '['"),
        ("path_instructions:\n  '[!]': x\n", 2, "invalid glob '[!]'"),
    ],
)
def test_globs_that_cannot_match_are_rejected(
    tmp_path: Path, text: str, line: int, shown: str
) -> None:
    path = write(tmp_path / "r.yml", text)
    with pytest.raises(ConfigError) as info:
        load_config(path, None)
    assert f"{path}:{line}: " in str(info.value)
    assert shown in str(info.value)


@pytest.mark.parametrize("glob", ["[]]x", "[!a-c]", "\\[literal", "a/**/b", "x[a-z]"])
def test_globs_with_sets_and_escapes_are_accepted(tmp_path: Path, glob: str) -> None:
    path = write(tmp_path / "r.yml", f"ignore: ['{glob}']\npath_instructions: {{'{glob}': x}}\n")
    assert load_config(path, None).ignore == (glob,)


def test_pyproject_errors_name_the_line(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        '[project]\nname = "x"\n\n[tool.reviewer]\nmodel = "claude-haiku-5-5"\n'
        'instructions = """\nmax_comments = 1\n"""\nmax_comments = "many"\n',
    )
    with pytest.raises(ConfigError) as info:
        load_config(None, tmp_path)
    assert str(info.value) == (
        f"{tmp_path / 'pyproject.toml'}:9: max_comments: must be an integer, got 'many'"
    )


@pytest.mark.parametrize(
    ("toml", "line", "problem"),
    [
        ('[tool.reviewer]\nignore = [\n  "docs/**",\n  "[z-a]",\n]\n', 4, "invalid glob '[z-a]'"),
        ("[tool.reviewer]\nmax_coments = 3\n", 2, "unknown key; did you mean 'max_comments'?"),
        ('[tool.reviewer.path_instructions]\n"ok/**" = "a"\n"[" = "b"\n', 3, "invalid glob '['"),
        ('[tool]\nreviewer.language = ""\n', 2, "language: must name a language"),
        ('tool.reviewer.fail_on = "blocker"\n', 1, "never"),
        ("[tool.reviewer\n", 1, "not valid TOML: "),
        ("[tool]\nreviewer = 3\n", 2, "tool.reviewer: must be a table"),
    ],
)
def test_pyproject_errors_carry_a_line_number(
    tmp_path: Path, toml: str, line: int, problem: str
) -> None:
    path = write(tmp_path / "pyproject.toml", toml)
    with pytest.raises(ConfigError) as info:
        load_config(None, tmp_path)
    assert str(info.value).startswith(f"{path}:{line}: ")
    assert problem in str(info.value)
    assert "(at line" not in str(info.value)


def test_duplicate_yaml_keys_name_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path / "r.yml", "max_comments: 3\nmodel: claude-haiku-5-5\nmax_comments: 9\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, None)
    assert str(info.value) == (
        f"{path}:3: max_comments: duplicate key: set on line 1 and again on line 3"
    )
    nested = write(tmp_path / "n.yml", "path_instructions:\n  'a/**': x\n  'a/**': y\n")
    with pytest.raises(ConfigError, match=r"n\.yml:3: path_instructions: duplicate entry 'a/\*\*'"):
        load_config(nested, None)


@pytest.mark.parametrize("language", ['""', "'   '"])
def test_empty_language_is_rejected(tmp_path: Path, language: str) -> None:
    path = write(tmp_path / "r.yml", f"language: {language}\n")
    with pytest.raises(ConfigError, match=r"r\.yml:1: language: must name a language"):
        load_config(path, None)


def test_unknown_key_suggests_the_closest_instead_of_listing_all(tmp_path: Path) -> None:
    path = write(tmp_path / "r.yml", "fail_onn: major\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, None)
    assert str(info.value) == f"{path}:1: fail_onn: unknown key; did you mean 'fail_on'?"
    far = write(tmp_path / "far.yml", "colour: blue\n")
    with pytest.raises(ConfigError) as info:
        load_config(far, None)
    assert "unknown key (the Configuration section of the README lists the keys)" in str(info.value)
    assert "max_comments" not in str(info.value)


@pytest.mark.parametrize("key", ["fail_on", "hook_fail_on"])
def test_fail_on_errors_list_never(tmp_path: Path, key: str) -> None:
    path = write(tmp_path / "r.yml", f"{key}: blocker\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, None)
    assert "must be one of critical, major, minor, nit, never, got 'blocker'" in str(info.value)
    with pytest.raises(ConfigError, match="nit, never, got 'x'"):
        parse_fail_on("x", source="--fail-on")


def test_unknown_model_on_the_command_line_says_model_once() -> None:
    with pytest.raises(ConfigError) as info:
        model_info("gpt-4", source="--model")
    assert str(info.value).startswith("--model: unknown model 'gpt-4'; known models: ")
    with pytest.raises(ConfigError) as info:
        model_info("gpt-4", source="r.yml:2")
    assert str(info.value).startswith("r.yml:2: model: unknown model 'gpt-4'")
    with pytest.raises(ConfigError) as info:
        config_from_mapping({"model": "gpt-4"}, source="--model")
    assert str(info.value).startswith("--model: unknown model 'gpt-4'; known models: ")
    with pytest.raises(ConfigError) as info:
        config_from_mapping({"fail_on": "blocker"}, source="--fail-on")
    assert str(info.value) == (
        "--fail-on: must be one of critical, major, minor, nit, never, got 'blocker'"
    )
    with pytest.raises(ConfigError, match=r"^action inputs: max_comments: must be an integer"):
        config_from_mapping({"max_comments": "x"}, source="action inputs")


def test_on_incomplete_defaults_to_fail_and_accepts_pass(tmp_path: Path) -> None:
    assert Config().on_incomplete == "fail"
    assert load_config(write(tmp_path / "r.yml", "on_incomplete: pass\n"), None).on_incomplete == (
        "pass"
    )
    with pytest.raises(ConfigError, match=r"r\.yml:1: on_incomplete: must be one of fail, pass"):
        load_config(write(tmp_path / "r.yml", "on_incomplete: warn\n"), None)
    saved = config_to_mapping(Config(on_incomplete="pass"))
    assert config_from_mapping(saved, source="batch state").on_incomplete == "pass"


def test_on_incomplete_is_in_the_readme_configuration_table() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    table = readme.split("\n## Configuration\n", 1)[1].split("```", 1)[0]
    rows = {line.split("|")[1].strip(" `") for line in table.splitlines() if line.startswith("| `")}
    assert rows == set(_PARSERS)


def test_instructions_larger_than_the_context_window_are_rejected(tmp_path: Path) -> None:
    big = "Check every SQL query for injection. " * 160_000  # 5.9 MB
    path = write(tmp_path / "r.yml", f"model: claude-sonnet-5-5\ninstructions: '{big}'\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, None)
    message = str(info.value)
    assert message.startswith(f"{path}:2: instructions: instructions and path_instructions are ")
    assert "(5.9 MB)" in message
    assert "claude-sonnet-5-5's context window of 1,000,000 tokens" in message
    assert f"more than the {1_000_000 - 8_192 - 12_000 - 16_000:,} that" in message


def test_path_instructions_count_toward_the_size_too(tmp_path: Path) -> None:
    piece = "x" * 1_200_000
    text = "path_instructions:\n" + "".join(f"  'd{n}/**': '{piece}'\n" for n in range(3))
    path = write(tmp_path / "r.yml", f"instructions: short\n{text}")
    with pytest.raises(ConfigError, match=r"r\.yml:2: path_instructions: .* \(3\.6 MB\)"):
        load_config(path, None)
    fits = write(tmp_path / "fits.yml", f"instructions: '{'y' * 2_000_000}'\n")
    assert len(load_config(fits, None).instructions) == 2_000_000
