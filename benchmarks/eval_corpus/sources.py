"""The pinned releases the corpus is made from, fetched once into a local cache.

Python packages come from PyPI as source distributions (``pip download
--no-deps --no-binary :all:``), JavaScript packages from the npm registry as
the tarballs ``npm pack`` fetches. Every archive is checked against its pinned
SHA-256, so a build either sees exactly these bytes or stops. Once an archive
is in the cache nothing is downloaded again: later builds run offline.
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

from benchmarks.eval_corpus.mutation import SourceFile

DEFAULT_CACHE_DIR = Path(tempfile.gettempdir()) / "reviewer-benchmarks"

Registry = Literal["pypi", "npm"]

_LANGUAGES: dict[Registry, str] = {"pypi": "python", "npm": "javascript"}
_CODE_SUFFIXES = {"python": (".py",), "javascript": (".js", ".cjs", ".mjs")}
_TREE_SUFFIXES = {
    "python": (".py", ".pyi"),
    "javascript": (".js", ".cjs", ".mjs", ".json", ".ts"),
}
# Not library code: no bug is seeded there, and a case's tree/ leaves them out.
_NOT_CODE_DIRS = {
    "test",
    "tests",
    "testing",
    "docs",
    "doc",
    "examples",
    "example",
    "benchmarks",
    "bench",
    "dist",
    "node_modules",
    "dummyserver",
    "scripts",
}
_NOT_CODE_FILES = {"setup.py", "conftest.py", "noxfile.py"}
_MINIFIED_LINE = 400  # characters: a line this long means generated code


@dataclass(frozen=True)
class PinnedSource:
    registry: Registry
    package: str
    version: str
    archive: str  # the file name the registry's client saves
    sha256: str

    @property
    def language(self) -> str:
        return _LANGUAGES[self.registry]

    @property
    def label(self) -> str:
        return f"{self.registry}:{self.package}=={self.version}"


PINNED: tuple[PinnedSource, ...] = (
    PinnedSource(
        "pypi",
        "requests",
        "2.32.3",
        "requests-2.32.3.tar.gz",
        "55365417734eb18255590a9ff9eb97e9e1da868d4ccd6402399eaf68af20a760",
    ),
    PinnedSource(
        "pypi",
        "urllib3",
        "2.2.3",
        "urllib3-2.2.3.tar.gz",
        "e7d814a81dad81e6caf2ec9fdedb284ecc9c73076b62654547cc64ccdcae26e9",
    ),
    PinnedSource(
        "pypi",
        "httpx",
        "0.27.2",
        "httpx-0.27.2.tar.gz",
        "f7c2be1d2f3c3c3160d441802406b206c2b76f5947b11115e6df10c6c65e66c2",
    ),
    PinnedSource(
        "pypi",
        "werkzeug",
        "3.0.4",
        "werkzeug-3.0.4.tar.gz",
        "34f2371506b250df4d4f84bfe7b0921e4762525762bbd936614909fe25cd7306",
    ),
    PinnedSource(
        "pypi",
        "sqlite-utils",
        "3.37",
        "sqlite_utils-3.37.tar.gz",
        "542a71033d4e7936fe909230ac9794d3e200021838ab63dbaf3ce8f5bc2273a4",
    ),
    PinnedSource(
        "pypi",
        "distro",
        "1.9.0",
        "distro-1.9.0.tar.gz",
        "2fa77c6fd8940f116ee1d6b94a2f90b13b5ea8d019b98bc8bafdcabcdd9bdbed",
    ),
    PinnedSource(
        "pypi",
        "filelock",
        "3.16.1",
        "filelock-3.16.1.tar.gz",
        "c249fbfcd5db47e5e2d6d62198e565475ee65e4831e2561c8e313fa7eb961435",
    ),
    PinnedSource(
        "npm",
        "send",
        "0.19.0",
        "send-0.19.0.tgz",
        "8a071213877735f2ca470636b1ecd10babbf95f4a90d8f57affcf49c3e680b66",
    ),
    PinnedSource(
        "npm",
        "qs",
        "6.13.0",
        "qs-6.13.0.tgz",
        "abffeabbdedc8e466c1bd75227e14ceb76e77f61be475dfcee0d3bbe6dd608fd",
    ),
    PinnedSource(
        "npm",
        "semver",
        "7.6.3",
        "semver-7.6.3.tgz",
        "376d2ca2c941fc5a37e9ac3ec65302e5e421e2cc1ee3dee57a854d2bd9bee125",
    ),
    PinnedSource(
        "npm",
        "connect-pg-simple",
        "9.0.1",
        "connect-pg-simple-9.0.1.tgz",
        "474a43a64322f44df559b4c0ba7e088fbb153d8f7aaf17b3085003e82d49556e",
    ),
    PinnedSource(
        "npm",
        "fs-extra",
        "11.2.0",
        "fs-extra-11.2.0.tgz",
        "387acf2439d5541c0a855a2c4a9032067cd92a592b2dbe7e349e32350a0dd293",
    ),
    PinnedSource(
        "npm",
        "body-parser",
        "1.20.3",
        "body-parser-1.20.3.tgz",
        "d640fabf4456aa15a879ea36cdf6056164a44098c654dfe0a8522d1d3a4b6e86",
    ),
    PinnedSource(
        "npm",
        "open",
        "8.4.2",
        "open-8.4.2.tgz",
        "14ae8e9252a9cb799c256aad98ac696f5cb81c2bf023e1a0437f7f8887164c9a",
    ),
)


@dataclass(frozen=True)
class Release:
    """The files of one pinned release, top directory stripped, in path order."""

    pinned: PinnedSource
    files: tuple[tuple[str, bytes], ...]

    def code(self) -> tuple[SourceFile, ...]:
        """The library's own source files: where bugs may be seeded."""
        language = self.pinned.language
        found = []
        for path, data in self.files:
            if not path.endswith(_CODE_SUFFIXES[language]) or not _library_path(path):
                continue
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                continue
            if "\r" in text or any(len(line) > _MINIFIED_LINE for line in text.split("\n")):
                continue
            found.append(SourceFile(path, text, language))
        return tuple(found)

    def tree(self) -> tuple[tuple[str, bytes], ...]:
        """The files a case's ``tree/`` holds: the library's source files (not its tests)."""
        suffixes = _TREE_SUFFIXES[self.pinned.language]
        return tuple(
            (path, data)
            for path, data in self.files
            if path.endswith(suffixes) and _library_path(path)
        )


def _library_path(path: str) -> bool:
    parts = PurePosixPath(path).parts
    name = parts[-1]
    if name in _NOT_CODE_FILES or name.startswith("test_") or name.endswith(".min.js"):
        return False
    return not any(part in _NOT_CODE_DIRS for part in parts[:-1])


class SourceUnavailable(Exception):
    """An archive could not be had, or is not the pinned one."""


def load(pinned: PinnedSource, cache_dir: Path, *, offline: bool = False) -> Release:
    return read_archive(pinned, fetch(pinned, cache_dir, offline=offline))


def fetch(pinned: PinnedSource, cache_dir: Path, *, offline: bool = False) -> Path:
    """The pinned archive in the cache, downloaded first if it is not there yet."""
    directory = cache_dir / "eval-corpus" / pinned.registry
    archive = directory / pinned.archive
    if not archive.is_file():
        if offline:
            raise SourceUnavailable(f"{pinned.label}: not in the cache ({archive}) and --offline")
        directory.mkdir(parents=True, exist_ok=True)
        _download(pinned, directory)
    if not archive.is_file():
        raise SourceUnavailable(f"{pinned.label}: the download left no {archive}")
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != pinned.sha256:
        raise SourceUnavailable(
            f"{pinned.label}: {archive} has SHA-256 {digest}, not the pinned {pinned.sha256}; "
            "delete it to download it again"
        )
    return archive


def _download(pinned: PinnedSource, directory: Path) -> None:
    requirement = f"{pinned.package}=={pinned.version}"
    if pinned.registry == "pypi":
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
        command += ["--no-binary", ":all:", requirement, "--dest", str(directory)]
    else:
        command = ["npm", "pack", "--silent", "--ignore-scripts"]
        command += [f"{pinned.package}@{pinned.version}", "--pack-destination", str(directory)]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SourceUnavailable(f"{pinned.label}: {' '.join(command)} failed: {completed.stderr}")


def read_archive(pinned: PinnedSource, archive: Path) -> Release:
    return Release(pinned, archive_files(archive.read_bytes()))


def archive_files(data: bytes) -> tuple[tuple[str, bytes], ...]:
    """Every regular file of a .tar.gz, its top directory stripped, sorted by path."""
    files: dict[str, bytes] = {}  # a path stored twice: the later entry wins, as tar does
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            parts = PurePosixPath(member.name).parts
            if not member.isfile() or len(parts) < 2 or ".." in parts or parts[0] == "/":
                continue
            extracted = tar.extractfile(member)
            if extracted is not None:
                files["/".join(parts[1:])] = extracted.read()
    return tuple(sorted(files.items()))
