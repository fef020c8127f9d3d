"""Password hashing with argon2, away from the event loop.

argon2 is deliberately slow (~0.1 s of CPU a hash here): run on the event loop, a handful of
login attempts stall every other request. Hashes are computed in a small thread pool of their
own instead, so at most `WORKERS` run at once and the loop keeps serving; the login throttle
(`hub.directory.throttle`) keeps the queue short.

New passwords must hold against guessing (`password_problem`).
"""

from __future__ import annotations

import asyncio
import functools
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import ParamSpec, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

P = ParamSpec("P")
T = TypeVar("T")
WORKERS = 2
MIN_LENGTH = 12
MIN_SCORE = 3  # zxcvbn's 0..4: 3 is "safely unguessable" against an online attack and more
_hasher = PasswordHasher()


@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="argon2")


@cache
def _decoy() -> str:
    """A hash to verify against when the e-mail address is unknown, so that the answer takes as
    long, and costs as much, as for a known one."""
    return _hasher.hash(secrets.token_urlsafe(16))


async def _off_the_loop(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_pool(), functools.partial(function, *args, **kwargs))


async def hash_password(password: str) -> str:
    return await _off_the_loop(_hasher.hash, password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches; with no hash (no such account) the same work is done."""
    matches = await _off_the_loop(_verify, password_hash or _decoy(), password)
    return password_hash is not None and matches


def use_hasher(hasher: PasswordHasher) -> None:
    """Hash with `hasher` from now on (the test suite uses a cheap one; a hub never should)."""
    global _hasher
    _hasher = hasher
    _decoy.cache_clear()


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def new_password() -> str:
    """A generated password: 16 random characters, shown once."""
    return secrets.token_urlsafe(12)


def password_problem(password: str, email: str = "") -> str | None:
    """Why a password may not be used, or None: at least `MIN_LENGTH` characters, and not one
    that is guessed easily: `zxcvbn` weighs it against the passwords most seen in breaches,
    dictionaries, keyboard patterns and the e-mail address (NIST SP 800-63B, 5.1.1.2)."""
    if len(password) < MIN_LENGTH:
        return f"a password is at least {MIN_LENGTH} characters"
    if zxcvbn(password[:100], user_inputs=[email, email.split("@")[0]])["score"] < MIN_SCORE:
        return "this password is too easy to guess (a common password, word or pattern)"
    return None
