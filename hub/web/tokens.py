"""A short-lived memory of checked bearer tokens.

A partner's system sends the same token with every request; looking it up in the database each
time costs a round trip per request. A process keeps what a token resolved to for a few seconds
(`HUB_TOKEN_CACHE_SECONDS`, default 2), keyed by the token's SHA-256 digest, never the token.
The price is that a revoked token (or a person's changed role) takes effect within that time
on every instance, not at once. Only tokens that resolved are kept: an unknown token is looked
up every time.
"""

from __future__ import annotations

import time
from typing import Generic, TypeVar

T = TypeVar("T")


class TokenCache(Generic[T]):
    def __init__(self, seconds: float, *, size: int = 10_000) -> None:
        self._seconds = seconds
        self._size = size
        self._entries: dict[bytes, tuple[float, T]] = {}

    def get(self, digest: bytes) -> T | None:
        entry = self._entries.get(digest)
        if entry is None:
            return None
        until, value = entry
        if time.monotonic() >= until:
            del self._entries[digest]
            return None
        return value

    def put(self, digest: bytes, value: T) -> None:
        if self._seconds <= 0:
            return
        if len(self._entries) >= self._size:
            self._entries.clear()  # many distinct tokens at once: start over rather than grow
        self._entries[digest] = (time.monotonic() + self._seconds, value)

    def clear(self) -> None:
        self._entries.clear()
