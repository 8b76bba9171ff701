"""Words and figures every report writes the same way: counts, requests, time spent."""

from __future__ import annotations

from reviewer.values import Timing, Usage


def plural(count: int, noun: str, plural_noun: str | None = None) -> str:
    """``1 request``, ``2 requests``, ``1 retry``, ``2 retries`` (pass the irregular plural)."""
    word = noun if count == 1 else (plural_noun or f"{noun}s")
    return f"{count:,} {word}"


def requests_phrase(usage: Usage) -> str:
    """``3 requests``, then the tool turns and the retries reviewer made itself, when any."""
    parts = [plural(usage.requests, "request")]
    if usage.tool_turns:
        parts.append(plural(usage.tool_turns, "tool turn"))
    if usage.retries:
        parts.append(plural(usage.retries, "retry", "retries"))
    return " · ".join(parts)


def filtered_text(count: int) -> str:
    """``3 findings filtered as unlikely``: the heading of the verification pass's list."""
    return f"{plural(count, 'finding')} filtered as unlikely by a second look"


def timing_phrase(timing: Timing) -> str:
    """``local 16.2 s · model 4.8 s wall (requests add up to 9.1 s)``; empty when nothing was timed.

    Both stages are named because either can dominate: the local scan of a large
    diff takes longer than the model stage of a small one.
    """
    parts = []
    if timing.local_seconds > 0:
        parts.append(f"local {timing.local_seconds:.1f} s")
    if timing.wall_seconds > 0:
        parts.append(
            f"model {timing.wall_seconds:.1f} s wall "
            f"(requests add up to {timing.request_seconds:.1f} s)"
        )
    return " · ".join(parts)
