"""Build the corpus: every family in every fitting context, and the negative examples.

`build_corpus(seed)` is deterministic for a seed. A positive sample records the
secret and its random parts (``material``): a sample's secret counts as *sent* when
any eight characters of its random material survive redaction, so a redaction that
stops at a ``.`` and leaves a token's suffix is caught, while a public prefix such as
``ghp_`` left in place is not a leak.
"""

from __future__ import annotations

import base64
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass

from tests.secrets_corpus.contexts import CONTEXTS, Context
from tests.secrets_corpus.families import ALPHABETS, FAMILIES, Family
from tests.secrets_corpus.negatives import NEGATIVES

SOURCES = (
    "gitleaks/gitleaks@b58d3f10 cmd/generate/config/rules/*.go (formats, sample contexts, "
    "false-positive lists)",
    "trufflesecurity/trufflehog@3ab759fef pkg/detectors/*/*_test.go and patterns (formats, "
    "keyword contexts)",
)
MATERIAL_WINDOW = 8


@dataclass(frozen=True)
class Sample:
    family: str  # a provider family, or a negative category
    context: str
    path: str
    text: str
    secret: str = ""  # empty for negatives
    material: tuple[str, ...] = ()  # the secret's random parts

    @property
    def positive(self) -> bool:
        return bool(self.secret)

    def leaked(self, sent: str) -> bool:
        """Whether ``sent`` still holds any eight characters of the secret's random parts."""
        for part in self.material:
            size = min(MATERIAL_WINDOW, len(part))
            if any(part[i : i + size] in sent for i in range(len(part) - size + 1)):
                return True
        return False


@dataclass(frozen=True)
class Corpus:
    positives: tuple[Sample, ...]
    negatives: tuple[Sample, ...]

    @property
    def samples(self) -> tuple[Sample, ...]:
        return self.positives + self.negatives


def build_corpus(seed: int = 20261204, *, contexts_per_family: int | None = None) -> Corpus:
    """Every family in its contexts (or the first ``contexts_per_family`` of a rotation)."""
    rng = random.Random(seed)
    positives = list(_positives(rng, contexts_per_family))
    negatives = list(_family_negatives(rng)) + list(_listed_negatives(rng))
    return Corpus(tuple(positives), tuple(negatives))


# --- shapes ----------------------------------------------------------------------------------

_PART = re.compile(r"\{\{|\}\}|\{(\w+)(?::(\d+)(?:-(\d+))?)?\}")


def render(shape: str, rng: random.Random, fill: str | None = None) -> tuple[str, tuple[str, ...]]:
    """``shape`` with its random parts drawn (or filled by ``fill``), and those parts.

    ``fill`` is "x" (filler: ``xxxx``/``XXXX``/``0000``) or "seq" (a run of the
    alphabet: ``abc123…``): the stand-ins scanners' false-positive lists are made of.
    Adjacent random parts are returned as one.
    """
    out: list[str] = []
    parts: list[str] = []
    cursor = 0
    joined = False
    for match in _PART.finditer(shape):
        literal = shape[cursor : match.start()]
        out.append(literal)
        cursor = match.end()
        token = match.group()
        if token in ("{{", "}}"):
            out.append(token[0])
            joined = False
            continue
        value = _draw(match, rng, fill)
        out.append(value)
        if joined and not literal and parts:
            parts[-1] += value
        else:
            parts.append(value)
        joined = True
    out.append(shape[cursor:])
    return "".join(out), tuple(parts)


def _draw(match: re.Match[str], rng: random.Random, fill: str | None) -> str:
    name = match.group(1)
    if name in ("uuid", "UUID"):
        text = _uuid(rng, fill)
        return text.upper() if name == "UUID" else text
    if name == "jwt":
        return _jwt(rng)
    alphabet = ALPHABETS[name]
    low = int(match.group(2))
    length = rng.randint(low, int(match.group(3))) if match.group(3) else low
    if fill == "x":
        return _filler(alphabet) * length
    if fill == "seq":
        return _sequence(alphabet, length)
    return "".join(rng.choice(alphabet) for _ in range(length))


def _uuid(rng: random.Random, fill: str | None) -> str:
    if fill == "x":
        return "00000000-0000-0000-0000-000000000000"
    if fill == "seq":
        return "12345678-abcd-abcd-abcd-1234567890ab"
    digits = "".join(rng.choice("0123456789abcdef") for _ in range(32))
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


def _jwt(rng: random.Random) -> str:
    claims = {"sub": str(rng.randrange(10**9)), "iat": 1_700_000_000 + rng.randrange(10**7)}
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    signature = "".join(rng.choice(ALPHABETS["ext"]) for _ in range(43))
    return f"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.{payload}.{signature}"


def _filler(alphabet: str) -> str:
    for char in "xX0":
        if char in alphabet:
            return char
    return alphabet[0]


_RUNS = "abc123xyz456def789ghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _sequence(alphabet: str, length: int) -> str:
    usable = [char for char in _RUNS if char in alphabet] or list(alphabet)
    return "".join(usable[i % len(usable)] for i in range(length))


# --- samples ---------------------------------------------------------------------------------


def _names(keyword: str) -> dict[str, str]:
    return {
        "kw": keyword,
        "kt": f"{keyword}Token",
        "k_t": f"{keyword}_token",
        "K_T": f"{keyword.upper()}_TOKEN",
        "k_a": f"{keyword}_api_key",
        "K_A": f"{keyword.upper()}_API_KEY",
    }


def _fits(family: Family, context: Context) -> bool:
    return family.bare or not context.bare


def _positives(rng: random.Random, per_family: int | None) -> Iterator[Sample]:
    for index, family in enumerate(FAMILIES):
        contexts = [c for c in CONTEXTS if _fits(family, c)]
        if per_family is not None:
            start = index * per_family % len(contexts)
            contexts = (contexts[start:] + contexts[:start])[:per_family]
        for context in contexts:
            secret, material = render(family.shape, rng)
            yield _sample(family.name, family.keyword, context, secret, material)


def _sample(
    family: str, keyword: str, context: Context, secret: str, material: tuple[str, ...]
) -> Sample:
    names = _names(keyword)
    text = context.template.format(S=secret, **names)
    path = context.path.format(**names)
    return Sample(family, context.name, path, text, secret, material)


_NEGATIVE_CONTEXTS = (
    "python-double",
    "yaml-unquoted",
    "dotenv",
    "json",
    "go-short",
    "bearer-header",
)


def _family_negatives(rng: random.Random) -> Iterator[Sample]:
    """Each family's own format filled with ``x``/``0`` and with alphabet runs."""
    contexts = {c.name: c for c in CONTEXTS}
    for family in FAMILIES:
        if family.shape == "{jwt}":
            continue  # the documented jwt.io example stands for it
        for fill in ("x", "seq"):
            for name in _NEGATIVE_CONTEXTS:
                value, _ = render(family.shape, rng, fill)
                sample = _sample(family.name, family.keyword, contexts[name], value, ())
                yield Sample(f"placeholder:{family.name}", sample.context, sample.path, sample.text)


def _listed_negatives(rng: random.Random) -> Iterator[Sample]:
    for category, path, template in NEGATIVES:
        repeats = 3 if _PART.search(template.replace("{{", "").replace("}}", "")) else 1
        for _ in range(repeats):
            text, _ = render(template, rng)
            yield Sample(category, "listed", path, text)
