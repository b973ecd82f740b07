"""Everything that runs once a day; safe to run more often (cron or a systemd timer).

Each job runs on its own: one that fails (a mail server down, a bad row) is reported with its
reason and the others still run, for every unit. The command exits non-zero when any failed, so
the timer's monitoring notices.
"""

import logging

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from insats.consent.jobs import notify_expired_consents
from insats.core.models import JobRun
from insats.core.orphan_files import clean_orphan_files
from insats.decisions.jobs import notify_due_reviews
from insats.meetings.jobs_groups import remind_reviews
from insats.outbox.jobs import deliver_outbox
from insats.plans.jobs import remind_overdue
from insats.reporting.prepared import prepare
from insats.staffsafety.jobs import remind_due_talks

logger = logging.getLogger(__name__)

# (label, job): each job takes the day and returns how much it did.
JOBS = (
    ("Utgångna samtycken meddelade", notify_expired_consents),
    ("Påminnelser om omprövning", notify_due_reviews),
    ("Påminnelser om handlingsplaner", remind_overdue),
    ("Påminnelser om överenskommelser", remind_reviews),
    ("Påminnelser om säkerhetssamtal", remind_due_talks),
    ("Förberedd statistik", prepare),
    ("Filer utan rad borttagna", clean_orphan_files),
    # Last, so the notices the jobs above enqueued go out tonight (deliver_outbox also runs
    # every minute).
    ("Utgående e-post", deliver_outbox),
)


class Command(BaseCommand):
    help = (
        "Run the daily jobs (idempotent): consent expiry notices, re-examination reminders, "
        "overdue measures and missed plan follow-ups, agreements due for review, safety talks "
        "due, statistics over many units prepared for the day. Each job runs even when another "
        "fails; the exit status is non-zero if any failed."
    )

    def handle(self, *args, **options):
        today = timezone.localdate()
        failed = []
        for label, job in JOBS:
            started = timezone.now()
            try:
                done = job(today)
            except Exception as exc:  # one job's failure must not stop the rest
                logger.exception("Daily job %s failed", job.__name__)
                failed.append(label)
                result, ok = f"{type(exc).__name__}: {exc}", False
                self.stderr.write(f"{label}: misslyckades ({result})")
            else:
                result, ok = str(done), True
                self.stdout.write(f"{label}: {done}")
            JobRun.objects.create(
                job=job.__name__,
                started_at=started,
                finished_at=timezone.now(),
                ok=ok,
                result=result[:2000],
            )
        if failed:
            names = ", ".join(failed)
            raise CommandError(f"{len(failed)} av {len(JOBS)} jobb misslyckades: {names}")
