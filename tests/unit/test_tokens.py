"""The short-lived memory of checked tokens: it forgets on time, stays bounded, can be off."""

from __future__ import annotations

import time

from hub.web.tokens import TokenCache


def test_a_token_is_remembered_for_its_seconds_only() -> None:
    cache: TokenCache[str] = TokenCache(0.05)
    cache.put(b"digest", "partner")
    assert cache.get(b"digest") == "partner"
    time.sleep(0.06)
    assert cache.get(b"digest") is None


def test_zero_seconds_remembers_nothing() -> None:
    cache: TokenCache[str] = TokenCache(0)
    cache.put(b"digest", "partner")
    assert cache.get(b"digest") is None


def test_many_distinct_tokens_do_not_grow_it_without_bound() -> None:
    cache: TokenCache[int] = TokenCache(60, size=3)
    for number in range(10):
        cache.put(bytes([number]), number)
    remembered = [n for n in range(10) if cache.get(bytes([n])) is not None]
    assert len(remembered) <= 3
    assert 9 in remembered
