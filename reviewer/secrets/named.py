"""Our own layer: values assigned to, or following, a credential-like name, in any syntax.

Rule catalogues know providers' formats; they miss what has none: a database
password, a UUID-shaped key, a key of letters or digits only, or a provider they do
not know. This layer finds a credential-like *name* (``password``, ``apiToken``,
``HUBSPOT_API_TOKEN``, ``<token>``, ``Authorization: Bearer``) and the value that
follows it in the syntaxes code and configuration use: ``=``, ``:=``, ``::=``,
``?=``, ``.=``, ``=>``, ``:`` (YAML, JSON), ``,`` (``setProperty("X_TOKEN", "…")``),
Go and Kotlin type annotations before ``=``, XML elements and ``key=/value=``
attributes, JSON ``name``/``value`` pairs, YAML block scalars, ``export X=``,
``--token VALUE``, ``Bearer VALUE``, and quoted, back-quoted or bare values. It also
finds passwords in URLs (``scheme://user:password@host``).

Speed: the text is searched once for a handful of lower-case stems (``token``,
``secret``, ``pass``, ``key``, ...) in a lower-cased copy; each stem found is widened
to its identifier and classified (the verdict per distinct name is cached), and only
then is the value after it matched, with an anchored regex. Python's ``re`` is slow
at case-insensitive alternations over megabytes; it is fast at this.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import IntEnum

from reviewer.secrets.hits import (
    CREDENTIAL,
    NAMED_RANK,
    URL_PASSWORD,
    Hit,
)
from reviewer.secrets.values import (
    Strength,
    assigned_strength,
    is_placeholder,
    is_word_like,
    looks_generated,
)


class NameStrength(IntEnum):
    NONE = 0
    WEAK = 1  # ``key``, ``auth``: only a generated-looking value counts
    STRONG = 2  # ``password``, ``token``, ``api_key``, ``client_secret``


def find_named(text: str, lowered: str, *, literal: bool = False) -> Iterator[Hit]:
    """Hits for values after credential-like names; ``lowered`` is ``text.lower()``.

    ``literal``: the text is prose or configuration, not code, so an unquoted value
    (``password: hunter2``) is a value even when it looks like an identifier.
    """
    names = _NameCache()
    last_end = 0
    for stem in _STEMS.finditer(lowered):
        if stem.start() < last_end:
            continue  # a second stem inside a name already handled
        start, end = _identifier_bounds(text, stem.start(), stem.end())
        last_end = end
        strength = names.strength(text[start:end])
        if strength is NameStrength.NONE:
            continue
        hit = _value_after(text, start, end, strength, literal)
        if hit is not None:
            last_end = max(last_end, hit.end)  # stems inside a redacted value are not names
            yield hit


def find_url_passwords(text: str) -> Iterator[Hit]:
    """``scheme://user:password@host``: the password part."""
    for match in _URL_USERINFO.finditer(text):
        value = match.group("password")
        strength = assigned_strength(value, quoted=True)
        if strength is Strength.NONE or is_word_like(value):
            continue
        finding = strength is Strength.LIKELY and not is_placeholder(value)
        yield Hit(
            URL_PASSWORD, value, match.start("password"), match.end("password"), NAMED_RANK, finding
        )


# --- names ---------------------------------------------------------------------------------

_STEMS = re.compile(r"token|secret|pass|pwd|credential|creds|key|auth|bearer")
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-$")
_MAX_NAME = 80
_NAME_SEGMENTS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")

# Segments that make a name a credential's on their own.
_STRONG_WORDS = frozenset(
    {
        "token",
        "secret",
        "password",
        "passwd",
        "pwd",
        "pass",
        "passphrase",
        "passcode",
        "credential",
        "credentials",
        "creds",
        "apikey",
        "apitoken",
        "authtoken",
        "accesstoken",
        "refreshtoken",
        "secretkey",
        "privatekey",
        "accesskey",
        "clientsecret",
        "bearer",
        "authorization",
    }
)
_STRONG_ENDINGS = ("token", "secret", "password", "passwd", "apikey", "secretkey", "privatekey")
# "key" is a credential with one of these before it; alone it is weak (a dict key, a cache key).
_KEY_QUALIFIERS = frozenset(
    {
        "api",
        "secret",
        "private",
        "access",
        "signing",
        "sign",
        "encryption",
        "encrypt",
        "master",
        "license",
        "licence",
        "auth",
        "client",
        "app",
        "ssh",
        "gpg",
        "pgp",
        "shared",
        "account",
        "service",
        "consumer",
        "webhook",
        "hmac",
        "jwt",
        "session",
        "root",
        "admin",
        "deploy",
        "server",
        "subscription",
        "storage",
        "write",
        "sdk",
        "rest",
    }
)
_WEAK_WORDS = frozenset({"key", "auth"})


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# A segment after the credential word that makes the name describe something else.
_DESCRIBING = _words(
    """id ids name names type types kind length len size count url uri urls endpoint host
    domain path paths file files filename dir field fields header headers param prefix
    suffix format fmt version label env var ttl timeout expiry expires expiration lifetime
    age regex pattern validator validators help hint text message msg error errors title
    description desc placeholder template class method style mode policy strategy algorithm
    helptext pair alg algo enabled required disabled needed valid invalid changed reset location store
    storage provider manager backend generator factory handler cls serializer form input
    widget button link view index idx column col attr attribute usage limit limits budget
    callback func fn exists present set get"""
)
# A segment before the credential word that makes it something public or structural.
_QUALIFYING = _words(
    """public pub publishable primary foreign sort partition cache csrf xsrf max min num
    total count input output prompt completion next page continuation cursor idempotency
    lookup dict map row unique composite translation i18n message object bucket schema
    sequence natural hot index idx group sentinel surrogate cancel cancellation sync lexer
    parse parser"""
)
_PLURALS = frozenset({"tokens", "keys", "secrets", "passwords"})


def name_strength(name: str) -> NameStrength:
    """How strongly ``name`` (an identifier, a header, a YAML or XML key) names a credential."""
    words = [w.lower() for w in _NAME_SEGMENTS.findall(name)]
    best = NameStrength.NONE
    position = -1
    for index, word in enumerate(words):
        strength = _word_strength(word, words[index - 1] if index else "")
        if strength is not NameStrength.NONE:
            previous = words[index - 1] if index else ""
            if previous in _QUALIFYING:
                continue
            best, position = max(best, strength), index
    if best is NameStrength.NONE or any(w in _DESCRIBING for w in words[position + 1 :]):
        return NameStrength.NONE
    return best


def _word_strength(word: str, previous: str) -> NameStrength:
    if word in _PLURALS:
        return NameStrength.NONE
    if word in _STRONG_WORDS or word.endswith(_STRONG_ENDINGS):
        return NameStrength.STRONG
    if word == "key":
        return NameStrength.STRONG if previous in _KEY_QUALIFIERS else NameStrength.WEAK
    if word in _WEAK_WORDS:
        return NameStrength.WEAK
    return NameStrength.NONE


class _NameCache:
    """Names repeat a lot in a diff (``key``, ``password``): classify each once."""

    def __init__(self) -> None:
        self._seen: dict[str, NameStrength] = {}

    def strength(self, name: str) -> NameStrength:
        known = self._seen.get(name)
        if known is None:
            known = self._seen[name] = name_strength(name)
        return known


def _identifier_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    low = max(0, start - _MAX_NAME)
    while start > low and text[start - 1] in _NAME_CHARS:
        start -= 1
    high = min(len(text), end + _MAX_NAME)
    while end < high and text[end] in _NAME_CHARS:
        end += 1
    while end > start and text[end - 1] in ".-":  # ``token.`` ends a sentence
        end -= 1
    return start, end


# --- values --------------------------------------------------------------------------------

_AFTER_NAME = re.compile(
    r"""
    (?:
        (?P<close>["'`]\]?|\])             # "name": / ['name'] = / `name`
      | (?P<typed>[ \t]*:?[ \t]*[A-Za-z_][\w.]*(?:\[\])?\??(?=[ \t]*[:?.+]?=[^=]))  # Go, Kotlin
    )?
    [ \t]*
    (?P<op>
        ["']?\s+value\s*=                           # <add key="Password" value="…"/>
      | ["']?\s*[,\n]\s*-?\s*["']?value["']?\s*[:=]   # name/value pairs in JSON and YAML
      | :{1,3}= | \?\?= | \?= | \.= | \+= | !==? | ={1,3}>? | :(?!:) | \|\|
      | (?P<comma>,)                                # setProperty("X_TOKEN", "…")
      | (?P<xml>>)                                  # <apiToken>…</apiToken>
    )
    (?P<gap>[ \t]*(?:[|>][-+]?[ \t]*\n[ \t]*|(?<=>)\s*)?)
    """,
    re.VERBOSE,
)
_AFTER_FLAG = re.compile(r"[ \t]+")  # --token VALUE, Bearer VALUE
_SCHEME = re.compile(r"(?i:bearer|basic|token|bot|apikey|api-key|sso-key|digest)[ \t]+")
_QUOTE = re.compile(r"[bBrRuUf@$]?([\"'`])")
_BARE_VALUE = re.compile(r"[^\s\"'`,;<>(){}\[\]\\&|]+")
_MAX_VALUE = 2000
_SCHEME_NAMES = frozenset({"bearer", "authorization"})


def _value_after(
    text: str, start: int, end: int, strength: NameStrength, literal: bool
) -> Hit | None:
    """The hit for the value after the name ``text[start:end]``, if it may be a secret."""
    after = _AFTER_NAME.match(text, end)
    if after is not None and after.group("xml") and (start == 0 or text[start - 1] != "<"):
        after = None  # ``a > b``: a comparison, not an XML element
    if after is not None and after.group("comma") and not after.group("close"):
        after = None  # ``f(token, x)``: arguments; only ``f("X_TOKEN", "…")`` pairs a name
    if after is None and (text[start] == "-" or text[start:end].lower() in _SCHEME_NAMES):
        after = _AFTER_FLAG.match(text, end)
    if after is None:
        return None
    position = after.end()
    scheme = _SCHEME.match(text, position)
    if scheme is not None:
        position = scheme.end()
    grouped = after.re is _AFTER_NAME
    if grouped and after.group("comma") and not text[start:end].isupper():
        # ``("password1", "password2")`` is a list; ``setProperty("X_TOKEN", …)`` and
        # ``getenv("API_KEY", …)`` name a variable in upper case.
        strength = NameStrength.WEAK
    hit = _value_at(text, position, strength, literal)
    if hit is not None and grouped and after.group("xml") and not _closes_element(text, hit.end):
        return None  # ``<your-password>@host``: angle brackets, not an element
    return hit


def _closes_element(text: str, position: int) -> bool:
    """Whether the element's closing tag follows, on this line or after the value's line."""
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return text.startswith("</", position)


def _value_at(text: str, position: int, strength: NameStrength, literal: bool) -> Hit | None:
    quote = _QUOTE.match(text, position)
    if quote is not None:
        opening = quote.end()
        scheme = _SCHEME.match(text, opening)
        value_start = scheme.end() if scheme is not None else opening
        closing = text.find(quote.group(1), value_start, value_start + _MAX_VALUE)
        line_end = text.find("\n", value_start, value_start + _MAX_VALUE)
        if closing < 0 or (0 <= line_end < closing):
            return None
        return _judged(text[value_start:closing], value_start, strength, quoted=True)
    bare = _BARE_VALUE.match(text, position)
    if bare is None:
        return None
    value = bare.group().rstrip(".:")
    if bare.end() < len(text) and text[bare.end()] in "([":
        return None  # ``token = get(x)``, ``key = keys[0]``: code
    return _judged(value, position, strength, quoted=literal)


def _judged(value: str, start: int, strength: NameStrength, *, quoted: bool) -> Hit | None:
    verdict = assigned_strength(value, quoted=quoted)
    if strength is NameStrength.WEAK and not looks_generated(value):
        verdict = Strength.NONE  # ``key = "user_id"``: only a generated value under a weak name
    if verdict is Strength.NONE:
        return None
    finding = verdict is Strength.LIKELY and not is_placeholder(value)
    return Hit(CREDENTIAL, value, start, start + len(value), NAMED_RANK, finding)


# --- URLs ---------------------------------------------------------------------------------------

_URL_USERINFO = re.compile(r"://(?P<user>[^\s/:@'\"<>]{0,64}):(?P<password>[^\s/@'\"<>]{1,128})@")
