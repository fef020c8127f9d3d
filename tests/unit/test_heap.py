"""`hub serve` sets the objects of its start aside from the cyclic collector; new ones stay in
its reach, and thawing gives the frozen back."""

from __future__ import annotations

import gc

from hub.platform.heap import freeze_long_lived


class Held:
    """An object of the kind the collector tracks."""


def test_what_lives_at_the_start_is_frozen_and_what_comes_after_is_not() -> None:
    before = Held()
    try:
        assert freeze_long_lived() == gc.get_freeze_count() > 0
        after = Held()
        tracked = gc.get_objects()
        assert not any(item is before for item in tracked)
        assert any(item is after for item in tracked)
    finally:
        gc.unfreeze()
    assert any(item is before for item in gc.get_objects())
