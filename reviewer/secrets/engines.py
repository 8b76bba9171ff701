"""The provider-rule engine: kingfisher's catalogue where its wheel exists.

`default_engine` returns one engine for the process, chosen once:

* `KingfisherEngine`: ``kingfisher-secret-scanner`` (MongoDB's Rust scanner on
  vectorscan, with Python bindings and ~490 bundled rules maintained by people who
  do only this). Its rules are compiled once, lazily, and only when a scan needs
  them; `warm` starts that in a thread so the pure-Python layers run meanwhile. The
  compiled catalogue is cached on disk by kingfisher itself (its default cache
  directory), so a later process loads it in ~0.3 s instead of compiling in ~4 s.
* `NoRuleEngine`: where no wheel exists for the platform (the package ships wheels
  for Linux x86_64/aarch64 with glibc, macOS arm64 and Windows x86_64) or the
  package fails to import. Our own layers run either way (`reviewer.secrets.detect`),
  including our catalogue of prefixed formats (`reviewer.secrets.tokens`).

Hits are spans in the text given (character offsets), with the finding flag already
decided: a value that a rule matched but that is a placeholder or a documented
example is redacted, never reported; a part of a composite rule (an AWS key ID that
the rule reports only next to its secret key) is redacted and named by our layers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from reviewer.secrets.catalog import CONTEXT_RULES, kind_for_rule, rule_name
from reviewer.secrets.hits import COMPONENT_RANK, NAMED_RANK, PROVIDER_RANK, Hit, widen
from reviewer.secrets.values import is_placeholder

if TYPE_CHECKING:
    from kingfisher_sdk import Scanner


class ProviderEngine(Protocol):
    @property
    def identity(self) -> str:
        """Name and version: part of the review cache's key (redaction changes what is sent)."""
        ...

    def warm(self) -> None:
        """Start any slow preparation now, without waiting for it."""
        ...

    def hits(self, text: str) -> list[Hit]:
        """Every provider-format token in ``text``."""
        ...


class NoRuleEngine:
    """No rule engine: our own layers alone (`reviewer.secrets.detect`), where kingfisher has
    no wheel for the platform or cannot be imported."""

    identity = "own-layers"

    def warm(self) -> None:
        return None

    def hits(self, text: str) -> list[Hit]:
        return []


# Rules whose matches span lines: private keys are tracked line by line by the caller,
# per side of a hunk, which a rule engine scanning joined text cannot do.
_SKIPPED_RULES = frozenset({"betterleaks.private-key"})


class KingfisherEngine:
    """kingfisher's bundled rule catalogue, compiled once on first use."""

    def __init__(self, load: Callable[[], Scanner], version: str) -> None:
        self.identity = f"kingfisher {version}"
        self._load = load
        self._scanner: Scanner | None = None
        self._error: BaseException | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def warm(self) -> None:
        with self._lock:
            if self._thread is None and self._scanner is None:
                self._thread = threading.Thread(target=self._compile, daemon=True)
                self._thread.start()

    def _compile(self) -> None:
        try:
            self._scanner = self._load()
        except Exception as error:  # noqa: BLE001 - re-raised in the scanning thread
            self._error = error

    def scanner(self) -> Scanner:
        self.warm()
        thread = self._thread
        if thread is not None:
            thread.join()
        if self._error is not None:
            raise self._error
        assert self._scanner is not None
        return self._scanner

    def hits(self, text: str) -> list[Hit]:
        try:
            scanner = self.scanner()
        except (ImportError, OSError, RuntimeError):
            # What a native library that cannot load raises (a missing symbol, a CPU
            # vectorscan does not support): our own layers still run on this text.
            return []
        return self._rule_hits(scanner, text)

    def _rule_hits(self, scanner: Scanner, text: str) -> list[Hit]:
        data = text.encode("utf-8", "surrogatepass")
        results = [f for f in scanner.scan(data) if f.rule_id not in _SKIPPED_RULES]
        if not results:
            return []
        spans = [(f.location["start_offset"], f.location["end_offset"]) for f in results]
        offsets = _char_offsets(data, text, [offset for span in spans for offset in span])
        found: list[Hit] = []
        for result, (start, end) in zip(results, spans, strict=True):
            first, last = offsets[start], widen(text, offsets[end])
            value = text[first:last]
            found.append(
                _rule_hit(result.rule_id, result.visible, value, result.secret, first, last)
            )
        return found


def _rule_hit(rule_id: str, visible: bool, value: str, secret: str, start: int, end: int) -> Hit:
    """A rule's match; an invisible one is a part of a composite rule, so it only redacts."""
    kind = kind_for_rule(rule_id)
    if not visible:
        return Hit(kind, value, start, end, COMPONENT_RANK, finding=False)
    rank = NAMED_RANK if rule_name(rule_id) in CONTEXT_RULES else PROVIDER_RANK
    finding = not is_placeholder(value) and not is_placeholder(secret)
    return Hit(kind, value, start, end, rank, finding)


def _char_offsets(data: bytes, text: str, byte_offsets: list[int]) -> dict[int, int]:
    """Character offsets in ``text`` of byte offsets in ``data`` (its UTF-8 encoding)."""
    if len(data) == len(text):  # ASCII: bytes and characters line up
        return {offset: offset for offset in byte_offsets}
    converted: dict[int, int] = {}
    characters = previous = 0
    for offset in sorted(set(byte_offsets)):
        characters += len(data[previous:offset].decode("utf-8", "surrogatepass"))
        converted[offset] = characters
        previous = offset
    return converted


# --- choosing the engine -------------------------------------------------------------------

_CHOICE_LOCK = threading.Lock()
_chosen: list[ProviderEngine] = []


def default_engine() -> ProviderEngine:
    """kingfisher's engine if its package imports, else our pattern catalogue; chosen once."""
    with _CHOICE_LOCK:
        if not _chosen:
            _chosen.append(_choose())
        return _chosen[0]


def _choose() -> ProviderEngine:
    try:
        # Heavy (a 36 MB native library): imported only when a scan needs it.
        import kingfisher_sdk
    except ImportError:
        return NoRuleEngine()
    return KingfisherEngine(_kingfisher_loader(), kingfisher_sdk.__version__)


def _kingfisher_loader() -> Callable[[], Scanner]:
    def load() -> Scanner:
        import kingfisher_sdk

        # "low" loads every bundled rule: whether a match is reported is decided by the
        # rule's visibility and our placeholder check, not by its confidence.
        return kingfisher_sdk.Scanner(kingfisher_sdk.Rules(confidence="low"))

    return load
