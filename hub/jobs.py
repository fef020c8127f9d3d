"""Every scheduled job, in one table: its name (in metrics, logs and `job_ticks`), its advisory
lock, its trigger, and the service it runs. Each job is thin and idempotent."""

from __future__ import annotations

from datetime import UTC, datetime
from datetime import time as clock_time
from typing import TYPE_CHECKING

from hub.directory.throttle import forget_old_counters
from hub.feedback.deadlines import sweep
from hub.feedback.delivery import deliver_feedback
from hub.intake.batches import process_pending
from hub.intake.dropfolder import poll_drop_folders
from hub.intake.service import policy_of
from hub.network.report import nightly
from hub.platform.clock import today
from hub.platform.config import drop_root, public_url
from hub.platform.mail import deliver_mail
from hub.platform.scheduler import Daily, Every, Job
from hub.privacy.retention import apply_retention
from hub.privacy.retention import policy_of as retention_policy
from hub.surveys.links import finish_mail
from hub.surveys.results import verdict_facts
from hub.surveys.service import MAIL_TOPICS, send_reminders

if TYPE_CHECKING:
    import asyncpg

    from hub.platform.config import Settings
    from hub.platform.outbound import OutboundClient
    from hub.platform.workloop import WorkLoop


def jobs(
    settings: Settings,
    pool: asyncpg.Pool,
    outbound: OutboundClient,
    work: WorkLoop,
) -> list[Job]:
    """The jobs this hub runs with `settings` (mail only where an SMTP server is set). CSV
    batches are processed on the work loop (`hub.platform.workloop`), and pause after their
    chunk when the hub stops."""
    policy = policy_of(settings)
    url = public_url(settings)
    table = [
        Job(
            "batches.pending",
            0x5348_0001,
            Every(settings.batch_poll_seconds),
            lambda: work.run(
                lambda own: process_pending(own, policy=policy, public_url=url, stop=work.stopping)
            ),
        ),
        Job(
            "batches.drop_folders",
            0x5348_0002,
            Every(settings.drop_poll_seconds),
            lambda: work.run(
                lambda own: poll_drop_folders(
                    own,
                    drop_root(settings),
                    policy=policy,
                    public_url=url,
                    max_bytes=settings.max_batch_bytes,
                    stop=work.stopping,
                )
            ),
        ),
        Job(
            "feedback.deliver",
            0x5348_0004,
            Every(settings.feedback_poll_seconds),
            lambda: deliver_feedback(pool, outbound, datetime.now(UTC)),
        ),
        Job(
            "feedback.sweep",
            0x5348_0005,
            Every(settings.sweep_seconds),
            lambda: sweep(pool, datetime.now(UTC), url),
        ),
        Job(
            "network.snapshot",
            0x5348_0006,
            Daily(clock_time(2, 30)),
            lambda: nightly(pool, today(), verdict_facts),
        ),
        Job(
            "logins.forget",
            0x5348_0008,
            Daily(clock_time(4, 0)),
            lambda: forget_old_counters(pool, datetime.now(UTC)),
        ),
        Job(
            "retention",
            0x5348_0007,
            Daily(clock_time(3, 15)),
            lambda: apply_retention(pool, retention_policy(settings), datetime.now(UTC)),
        ),
        Job(
            "surveys.remind",
            0x5348_0009,
            Daily(clock_time(9, 30)),
            lambda: send_reminders(pool, datetime.now(UTC), url),
        ),
    ]
    if settings.smtp_host:
        table.append(
            Job(
                "mail.deliver",
                0x5348_0003,
                Every(settings.mail_poll_seconds),
                lambda: deliver_mail(
                    pool,
                    settings,
                    datetime.now(UTC),
                    # Survey mail is queued without its personal link: filled in as it is sent.
                    dict.fromkeys(MAIL_TOPICS, finish_mail),
                ),
            )
        )
    return table
