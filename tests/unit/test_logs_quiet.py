"""The log says what an operator needs, not that a scheduled job ran again."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from hub.platform.logs import configure


@pytest.fixture
def restored() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    scheduler = logging.getLogger("apscheduler")
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    scheduler.setLevel(logging.NOTSET)


@pytest.mark.usefixtures("restored")
def test_the_scheduler_speaks_at_info_only_when_asked_with_v() -> None:
    configure(logging.INFO, structured=True)
    assert not logging.getLogger("apscheduler.executors.default").isEnabledFor(logging.INFO)
    assert logging.getLogger("apscheduler.scheduler").isEnabledFor(logging.WARNING)
    assert logging.getLogger("hub.intake").isEnabledFor(logging.INFO)
    configure(logging.DEBUG, structured=True)
    assert logging.getLogger("apscheduler.executors.default").isEnabledFor(logging.INFO)
