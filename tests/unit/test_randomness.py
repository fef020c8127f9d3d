"""The pooled random bytes behind nonces and row ids: never the same bytes twice, not across
threads and not in a forked child (a repeated AES-GCM nonce gives the key's authentication
away)."""

from __future__ import annotations

import os
import threading

from hub.platform.randomness import random_bytes, random_uuid


def test_no_bytes_are_handed_out_twice_across_pools_and_threads() -> None:
    drawn: list[bytes] = []

    def draw() -> None:
        drawn.extend(random_bytes(12) for _ in range(2000))  # several pools each

    threads = [threading.Thread(target=draw) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(drawn) == 8000
    assert len(set(drawn)) == 8000
    assert {len(value) for value in drawn} == {12}
    assert len(random_bytes(10_000)) == 10_000  # larger than a pool: straight from the OS


def test_row_ids_are_version_4_uuids() -> None:
    ids = {random_uuid() for _ in range(1000)}
    assert len(ids) == 1000
    assert {(value.version, value.variant) for value in ids} == {(4, "specified in RFC 4122")}


def test_a_forked_child_does_not_repeat_its_parents_bytes() -> None:
    random_bytes(12)  # a pool is filled, with bytes left over
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.write(write, random_bytes(12))
        os._exit(0)
    os.close(write)
    from_child = os.read(read, 12)
    os.close(read)
    os.waitpid(child, 0)
    assert len(from_child) == 12
    assert from_child != random_bytes(12)
