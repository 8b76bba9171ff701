"""What a candidate secret value looks like: a reference, a placeholder, or generated.

Two questions are asked of every value, with different thresholds:

* `assigned_strength`: for a value assigned to (or following) a credential-like
  name, is it nothing (a reference, a template, a word), something that *may* be a
  credential (redacted before anything is sent), or something that *looks
  generated* (a candidate finding)?
* `is_placeholder`: is a value that has a credential's shape a documented example
  or a stand-in (``ghp_xxxx…``, ``AKIAIOSFODNN7EXAMPLE``, ``…abc123…``)? Such a
  value is still redacted, but never reported as a finding.

All functions are pure and cheap: they run on candidates only, never on every line.
"""

from __future__ import annotations

import math
import re
import string
from enum import IntEnum


class Strength(IntEnum):
    """How much a value assigned to a credential-like name looks like a secret."""

    NONE = 0  # a reference, a template, a word, a boolean: sent as it is
    MAYBE = 1  # could be a credential: redacted, not reported
    LIKELY = 2  # looks generated: redacted, and reported unless it is a placeholder


def shannon_entropy(value: str) -> float:
    """Bits per character over the value's own character frequencies."""
    if not value:
        return 0.0
    size = len(value)
    counts = [value.count(char) for char in set(value)]  # faster than Counter on short text
    return -sum(n / size * math.log2(n / size) for n in counts)


# --- references and templates ------------------------------------------------------------

# Values that name a secret kept elsewhere, or that a template fills in later.
_REFERENCE = re.compile(
    r"""
    ^\$                                 # $VAR, ${VAR}, ${{ secrets.X }}, $(cat file)
    | \{\{ | \{%                        # Jinja, Helm, Mustache, GitHub Actions
    | ^\{[\w.\[\]]*\}$ | \{[a-z_][\w.]*\}  # str.format fields
    | %\(\w+\)[sd] | %[sd]$ | ^%\w+%$   # printf-style, Windows %VAR%
    | ^<[^<>]*>$ | ^\[[^\[\]]*\]$       # <your-token>, [REDACTED]
    | ^@\w+@$ | ^\#\{                   # Maven @token@, Ruby "#{...}"
    | (?:environ|getenv|process\.env|ENV\[|System\.getenv|secrets\.|vault:|ssm:|arn:aws)
    """,
    re.VERBOSE,
)
_LITERALS = frozenset(
    {"true", "false", "null", "none", "nil", "undefined", "yes", "no", "on", "off", "empty"}
)


def is_reference(value: str) -> bool:
    """A lookup, template field or placeholder in brackets rather than a literal value."""
    return _REFERENCE.search(value) is not None or value.lower() in _LITERALS


# --- the shape of a value -----------------------------------------------------------------

_UUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")
_HEX = re.compile(r"[0-9A-Fa-f]+")
_SEGMENTS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+|[^A-Za-z0-9]+")
_VOWELS = frozenset("aeiouyAEIOUY")
_MAX_WORD = 12  # longer runs of letters without a break are not words of a name
_MEAN_WORD = 3.5  # random mixed-case letters split into many one- and two-letter "words"
_ACRONYM = 4  # CSRF, HTTP, AWS: words without vowels
_SHORT_NUMBER = 3  # password2, sha256, utf8: numbers in identifiers


def is_uuid(value: str) -> bool:
    return _UUID.fullmatch(value) is not None


def is_word_like(value: str) -> bool:
    """Made of words (``my_token``, ``getUserToken``, ``CSRF_TOKEN``), not of random letters.

    A value with digits is never word-like. Words are split at separators and case
    changes; each must be at most 12 letters and carry a vowel unless it is an acronym
    of up to four letters, and they must average 3.5 letters or more (random
    mixed-case letters split into many short pieces).
    """
    segments = _SEGMENTS.findall(value)
    if any(s[0].isdigit() for s in segments):
        return False
    return _words_only(segments)


def _words_only(segments: list[str]) -> bool:
    words = [s for s in segments if s[0].isalpha()]
    if not words or sum(len(w) for w in words) / len(words) < _MEAN_WORD:
        return False
    if sum(1 for w in words if len(w) <= 2) > max(1, len(words) // 3):
        return False  # ``mVwekgGPVFWmN``: random case splits into one- and two-letter pieces
    return all(
        len(w) <= _MAX_WORD and (len(w) <= _ACRONYM or _VOWELS.intersection(w)) for w in words
    )


def is_words_and_numbers(value: str) -> bool:
    """Words and at most one short number: ``new_password1``, ``sha256``, ``CSRF_TOKEN``.

    Random letters and digits break into many numbers (``kajj4vculv7aepv71th``).
    """
    segments = _SEGMENTS.findall(value)
    numbers = [s for s in segments if s[0].isdigit()]
    if len(numbers) > 1 or any(len(n) > _SHORT_NUMBER for n in numbers):
        return False
    return _words_only(segments)


def is_code_reference(value: str) -> bool:
    """An unquoted value that is code: ``token``, ``self.token``, ``password2``, ``+x``.

    Identifiers whose pieces are words and short numbers (``new_password1``,
    ``sha256``) are code, not keys.
    """
    value = value.lstrip("+-!~*&")
    if not value or any(char in value for char in "()[]"):
        return True
    parts = value.split(".")
    if len(parts) > 1 and parts[-1].isidentifier() and is_word_like(parts[-1]):
        return True  # ``X25519.KeyPair``, ``settings.SECRET_KEY``: an attribute
    for part in parts:
        if not part.isidentifier():
            return False
        if len(part) > _ACRONYM and not is_words_and_numbers(part):
            return False
    return True


_MIN_DIGITS = 12  # shorter numbers are ports, counts, timestamps
_DIGITS_ENTROPY = 2.5  # random 16 digits score about 2.9; 1700000000000 about 1.2
_MIN_LETTERS = 16
_MIN_MAYBE = 4  # shorter values under a credential name are sent: ``pin = 42``
_MIN_LIKELY = 8


def assigned_strength(value: str, *, quoted: bool) -> Strength:
    """How much ``value``, assigned to a credential-like name, looks like a secret.

    Quoted literals of 4+ characters may be credentials (a redacted non-secret costs
    little); unquoted ones are often code (``token = get_token()``), so a word-like
    identifier or an attribute path is not. Whitespace means a sentence, not a key.
    """
    if len(value) < _MIN_MAYBE or any(char.isspace() for char in value) or is_reference(value):
        return Strength.NONE
    if not quoted and is_code_reference(value):
        return Strength.NONE
    if quoted and _is_name_like(value):
        return Strength.NONE  # ``"password"``, ``"reset_token"``: words, not a credential
    return Strength.LIKELY if looks_generated(value) else Strength.MAYBE


def _is_name_like(value: str) -> bool:
    """All lower-case words, or words joined by ``_``, ``-`` or ``.``: a name, not a key.

    Words in CamelCase alone (``SuperSecretPassword``) may be a password and stay in.
    """
    if not is_word_like(value):
        return False
    return value.islower() or any(char in value for char in "_-.")


def looks_generated(value: str) -> bool:
    """Whether a value has the shape of a generated key rather than something a person typed.

    At least 8 characters, not words and a number (``hunter22``), and one of: a UUID;
    12+ digits with some spread; 16+ letters that are not words; or letters and digits
    mixed with 3 bits of entropy per character (a random 8-character key has them).
    """
    if len(value) < _MIN_LIKELY or is_words_and_numbers(value):
        return False  # ``new_password2``, ``hunter22``: typed by a person
    if is_uuid(value):
        return True
    entropy = shannon_entropy(value)
    letters = any(char.isalpha() for char in value)
    digits = any(char.isdigit() for char in value)
    if not letters:
        return digits and len(value) >= _MIN_DIGITS and entropy >= _DIGITS_ENTROPY
    if not digits:
        return len(value) >= _MIN_LETTERS and entropy >= 3.0 and not is_word_like(value)
    return entropy >= 3.0


# --- placeholders and documented examples ------------------------------------------------

# Examples from providers' documentation, found in READMEs and tests everywhere.
_DOCUMENTED = frozenset(
    {
        "AKIAIOSFODNN7EXAMPLE",  # AWS access key ID
        "550e8400-e29b-41d4-a716-446655440000",  # RFC 4122 / Wikipedia UUID
        "123e4567-e89b-12d3-a456-426614174000",  # the UUID of many API docs
        "sk_test_4eC39HqLyjWDarjtT1zdp7dc",  # Stripe's docs test key
    }
)
_DOCUMENTED_PARTS = (
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",  # the jwt.io example's signature
)
_STAND_IN_WORDS = (
    "abc123",
    "123abc",
    "example",
    "sample",
    "placeholder",
    "your",
    "replace",
    "changeme",
    "dummy",
    "fake",
    "redacted",
    "insert",
    "here",
    "notareal",
    "not_a_real",
    "not-a-real",
    "donotuse",
    "do_not_use",
)
_FILLER_RUN = re.compile(r"([xX*#.0])\1{4,}|([^A])\2{7,}")  # xxxxx, *****, 00000, aaaaaaaa
_SEQUENCE_LENGTH = 6  # "abcdef", "123456", "fedcba"
_REPEATED_GRAM = 4
_MAX_REPEAT_CHECKED = 64  # longer values (JWTs, base64 JSON) repeat structure naturally


def is_placeholder(value: str) -> bool:
    """A stand-in with a credential's shape: filler, words, sequences or a documented example."""
    if value in _DOCUMENTED or any(part in value for part in _DOCUMENTED_PARTS):
        return True
    lowered = value.lower()
    if any(word in lowered for word in _STAND_IN_WORDS) or _FILLER_RUN.search(value):
        return True
    if _has_sequence(value):
        return True
    return len(value) <= _MAX_REPEAT_CHECKED and _has_repeated_gram(value)


def _runs(alphabet: str) -> list[str]:
    ups = [alphabet[i : i + _SEQUENCE_LENGTH] for i in range(len(alphabet) - _SEQUENCE_LENGTH + 1)]
    return ups + [run[::-1] for run in ups]


# Six or more consecutive ascending or descending letters or digits: "abcdef", "654321".
_SEQUENCES = tuple(
    _runs("0123456789") + _runs(string.ascii_lowercase) + _runs(string.ascii_uppercase)
)


def _has_sequence(value: str) -> bool:
    return any(run in value for run in _SEQUENCES)


def _has_repeated_gram(value: str) -> bool:
    """A four-character piece that occurs three times: ``ABCD-ABCD-ABCD``, ``ab12ab12ab12``."""
    grams = [value[i : i + _REPEATED_GRAM] for i in range(len(value) - _REPEATED_GRAM + 1)]
    distinct = set(grams)
    if len(distinct) > len(grams) - 2:
        return False  # a piece that occurs three times leaves at least two duplicates
    return any(len(set(gram)) > 1 and grams.count(gram) >= 3 for gram in distinct)


def is_hex(value: str) -> bool:
    return _HEX.fullmatch(value) is not None
