"""What a submitted Message Batch needs to be resumed: saved when it is submitted.

A batch can take up to 24 hours. The state file holds the diff and the
configuration the batch was planned from, so ``reviewer batch resume ID`` can
rebuild the same requests, map the results back by ``custom_id`` and anchor the
findings, after an interrupted run or on another day.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reviewer.config import Config, config_from_mapping
from reviewer.errors import InputError

STATE_VERSION = 1


@dataclass(frozen=True)
class BatchState:
    batch_id: str
    diff_text: str
    diff_source: str
    config: Config
    title: str | None
    description: str | None
    request_digests: tuple[tuple[str, str], ...]  # (custom_id, sha256 of the request body)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def state_path(directory: Path, batch_id: str) -> Path:
    if not batch_id or any(c in batch_id for c in "/\\") or batch_id.startswith("."):
        raise InputError(f"not a batch id: {batch_id!r}")
    return directory / f"{batch_id}.json"


def save_state(directory: Path, state: BatchState) -> Path:
    """Write atomically: a half-written state file would lose a paid-for batch."""
    path = state_path(directory, state.batch_id)
    document = {
        "version": STATE_VERSION,
        "batch_id": state.batch_id,
        "diff_source": state.diff_source,
        "diff_text": state.diff_text,
        "config": config_to_mapping(state.config),
        "title": state.title,
        "description": state.description,
        "requests": [{"custom_id": k, "sha256": d} for k, d in state.request_digests],
    }
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=directory, prefix=".batch.", delete=False
    ) as handle:
        json.dump(document, handle, ensure_ascii=False, indent=1)
    os.replace(handle.name, path)
    return path


def load_state(directory: Path, batch_id: str) -> BatchState:
    path = state_path(directory, batch_id)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"no saved state for batch {batch_id} in {directory}",
            hint="resume from the repository (or --state-dir) the batch was submitted from",
        ) from None
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: unreadable batch state: {exc}") from None
    if not isinstance(document, dict) or document.get("version") != STATE_VERSION:
        raise InputError(f"{path}: batch state of an unknown version")
    try:
        return BatchState(
            batch_id=str(document["batch_id"]),
            diff_text=str(document["diff_text"]),
            diff_source=str(document["diff_source"]),
            config=config_from_mapping(document["config"], source=str(path)),
            title=document.get("title"),
            description=document.get("description"),
            request_digests=tuple(
                (str(item["custom_id"]), str(item["sha256"])) for item in document["requests"]
            ),
        )
    except (KeyError, TypeError) as exc:
        raise InputError(f"{path}: batch state lacks {exc}") from None


def config_to_mapping(config: Config) -> dict[str, Any]:
    """The configuration in its file form, so config_from_mapping validates it on load."""
    data = dataclasses.asdict(config)
    data.pop("source")
    data["min_severity"] = config.min_severity.value
    data["fail_on"] = config.fail_on.value if config.fail_on is not None else "never"
    data["ignore"] = list(config.ignore)
    data["path_instructions"] = dict(config.path_instructions)
    return data
