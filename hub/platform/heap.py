"""The objects the hub holds for its whole life, set aside from Python's cyclic collector; and
large buffers given back to the system once freed."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
from collections.abc import AsyncIterator

_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
LARGE_BUFFER_BYTES = 1 << 20


def give_back_large_buffers(threshold: int = LARGE_BUFFER_BYTES) -> bool:
    """On glibc, map every allocation of `threshold` bytes and more on its own, so that it goes
    back to the system when freed; True if set.

    By default glibc raises that threshold to the largest block freed so far (up to 32 MiB):
    after one 20 MiB upload, the next large copies came from the heap and stayed there, and
    the file a batch reads, on the work loop's thread, came from another heap of its own
    (benchmarks/batch_memory.py). Elsewhere (another C library) nothing changes."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    with contextlib.suppress(OSError, AttributeError):
        return bool(ctypes.CDLL(name).mallopt(_M_MMAP_THRESHOLD, threshold))
    return False


def freeze_long_lived() -> int:
    """Move every object alive now (modules, compiled templates, schemas, the app: built at
    start and kept to the end) out of the cyclic collector's reach, and return how many.

    A full collection stops every thread and scans every object; with the startup heap in it,
    each one that a CSV batch's allocations set off held the serving loop for 50 - 100 ms, on
    whichever thread the batch ran. Frozen, they are never scanned again (they are still freed
    as usual when nothing refers to them); measured in benchmarks/README.md."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


async def frozen_while_serving(app: object) -> AsyncIterator[None]:
    """An aiohttp cleanup context for `hub serve`: freeze once the app has started, thaw when it
    stops. Large buffers are given back from then on (`give_back_large_buffers`)."""
    give_back_large_buffers()
    freeze_long_lived()
    yield
    gc.unfreeze()
