"""The objects the hub holds for its whole life, set aside from Python's cyclic collector."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator


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
    stops."""
    freeze_long_lived()
    yield
    gc.unfreeze()
