"""When to try a GitHub request again, and after how long, by GitHub's own rules.

GitHub's REST docs ("Rate limits for the REST API", *Exceeding the rate limit*):
when ``retry-after`` is present, wait that many seconds; else when
``x-ratelimit-remaining`` is 0, wait until ``x-ratelimit-reset`` (UTC epoch
seconds); else wait at least a minute, longer on each repeat, and give up after
a few tries. Primary limits come as 403 or 429 with the message "API rate limit
exceeded ...", secondary limits as 403 or 429 with "You have exceeded a secondary
rate limit ...". Server errors (5xx) and lost connections are retried a few
times with a short doubling backoff.

Everything here is pure: the caller sleeps, through a ``Clock`` it is given, so
tests can make the waits instant and still assert that they happened.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol


class Clock(Protocol):
    def time(self) -> float:
        """Now, in seconds since the epoch (what ``x-ratelimit-reset`` counts in)."""
        ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass(frozen=True)
class RetryPolicy:
    server_error_tries: int = 4  # tries of one request that meets 5xx or a lost connection
    server_error_backoff_s: float = 1.0  # doubled after each failure
    rate_limit_waits: int = 5  # waits for rate limits within one request
    secondary_wait_s: float = 60.0  # when GitHub does not say how long
    max_wait_s: float = 900.0  # a longer wait fails the run instead


@dataclass(frozen=True)
class FailedAttempt:
    """A request that failed, as far as the retry decision needs to know."""

    status: int | None  # None when no response arrived (connection lost, timeout)
    message: str
    headers: Mapping[str, str] = field(default_factory=dict)  # names lower-cased


class FailureKind(Enum):
    RATE_LIMIT = "rate limit"
    SERVER = "server error"
    FINAL = "final"  # retrying cannot help: 4xx other than a rate limit


@dataclass(frozen=True)
class Wait:
    seconds: float
    reason: str


@dataclass(frozen=True)
class GiveUp:
    reason: str


def kind_of(failure: FailedAttempt) -> FailureKind:
    if failure.status is None or failure.status >= 500:
        return FailureKind.SERVER
    if failure.status == 429:
        return FailureKind.RATE_LIMIT
    if failure.status == 403 and (
        "retry-after" in failure.headers
        or failure.headers.get("x-ratelimit-remaining") == "0"
        or "rate limit" in failure.message.lower()
    ):
        return FailureKind.RATE_LIMIT
    return FailureKind.FINAL


def next_step(
    failure: FailedAttempt,
    earlier: Sequence[FailedAttempt],
    policy: RetryPolicy,
    now: float,
) -> Wait | GiveUp | None:
    """What to do after ``failure``, the latest of ``earlier + [failure]`` for one request.

    None: the failure is final, report it. GiveUp: it was worth retrying, but the
    tries are used up or the wait would be too long.
    """
    kind = kind_of(failure)
    if kind is FailureKind.FINAL:
        return None
    repeats = sum(1 for f in earlier if kind_of(f) is kind)
    if kind is FailureKind.SERVER:
        return _server_error_step(failure, repeats, policy)
    return _rate_limit_step(failure, repeats, policy, now)


def _server_error_step(failure: FailedAttempt, repeats: int, policy: RetryPolicy) -> Wait | GiveUp:
    what = "no response" if failure.status is None else f"HTTP {failure.status}"
    if repeats + 1 >= policy.server_error_tries:
        return GiveUp(f"{what} after {policy.server_error_tries} tries: {failure.message}")
    seconds = _retry_after(failure.headers)
    if seconds is None:
        seconds = policy.server_error_backoff_s * 2**repeats
    return Wait(seconds, f"{what} ({failure.message})")


def _rate_limit_step(
    failure: FailedAttempt, repeats: int, policy: RetryPolicy, now: float
) -> Wait | GiveUp:
    if repeats >= policy.rate_limit_waits:
        return GiveUp(f"still rate limited after {repeats} waits: {failure.message}")
    wait = _rate_limit_wait(failure.headers, repeats, policy, now)
    if wait.seconds > policy.max_wait_s:
        return GiveUp(
            f"rate limited for {math.ceil(wait.seconds)} s ({wait.reason}), longer than the "
            f"{policy.max_wait_s:g} s this run may wait: {failure.message}"
        )
    return wait


def _rate_limit_wait(
    headers: Mapping[str, str], repeats: int, policy: RetryPolicy, now: float
) -> Wait:
    retry_after = _retry_after(headers)
    if retry_after is not None:
        return Wait(retry_after, f"secondary rate limit, retry-after {retry_after:g} s")
    reset = _number(headers.get("x-ratelimit-reset"))
    if headers.get("x-ratelimit-remaining") == "0" and reset is not None:
        # The reset is a whole second; one more second covers the clocks' disagreement.
        return Wait(max(0.0, reset - now) + 1.0, f"primary rate limit, resets at {reset:.0f}")
    return Wait(policy.secondary_wait_s * 2**repeats, "secondary rate limit, no retry-after")


def _retry_after(headers: Mapping[str, str]) -> float | None:
    seconds = _number(headers.get("retry-after"))
    return None if seconds is None else max(0.0, seconds)


def _number(raw: str | None) -> float | None:
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) else None
