"""Tools with known behaviour for executor tests (module-level so processes can pickle them)."""

from __future__ import annotations

import asyncio
import time

CALLS: dict[str, int] = {}


def sleep_text(text: str) -> str:
    """Sleep 0.2 s in a thread, then return the text."""
    time.sleep(0.2)
    return text


def sleep_words(text: str) -> list[str]:
    """Sleep 0.2 s, then split."""
    time.sleep(0.2)
    return text.split()


async def async_upper(text: str) -> str:
    """Sleep 0.2 s on the event loop, then upper-case."""
    await asyncio.sleep(0.2)
    return text.upper()


def boom(text: str) -> str:
    """Always raise."""
    raise ValueError("boom")


def hang(text: str) -> str:
    """Never return in any useful time."""
    time.sleep(60)
    return text


def wrong_type(text: str) -> str:
    """Declared text, returns a number."""
    return 42  # type: ignore[return-value]


def flaky(text: str) -> str:
    """Fail twice, then succeed."""
    CALLS["flaky"] = CALLS.get("flaky", 0) + 1
    if CALLS["flaky"] < 3:
        raise ConnectionError("temporarily unavailable")
    return text


def counted(text: str) -> str:
    """Count calls."""
    CALLS["counted"] = CALLS.get("counted", 0) + 1
    return text + "!"


def spin(text: str) -> float:
    """Burn CPU for a while, then return a number."""
    total = 0
    for i in range(2_000_000):
        total += i % 7
    return float(total)


def join2(a: str, b: str) -> str:
    """Join two texts."""
    return a + "|" + b
