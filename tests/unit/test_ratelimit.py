from __future__ import annotations

from hub.platform.ratelimit import TokenBuckets


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_the_rate() -> None:
    clock = Clock()
    buckets = TokenBuckets(per_minute=60, burst=3, clock=clock)
    assert [buckets.take("a") for _ in range(3)] == [None, None, None]
    wait = buckets.take("a")
    assert wait is not None
    assert 0.9 < wait <= 1.0
    assert buckets.take("b") is None  # another partner has its own bucket
    clock.now += 1.0
    assert buckets.take("a") is None
    assert buckets.take("a") is not None
    clock.now += 3600
    assert [buckets.take("a") for _ in range(4)] == [None, None, None, 1.0]
