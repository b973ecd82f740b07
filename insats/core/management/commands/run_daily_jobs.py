"""Everything that runs once a day; safe to run more often (cron or a systemd timer)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from insats.consent.jobs import notify_expired_consents
from insats.decisions.jobs import notify_due_reviews
from insats.meetings.jobs_groups import remind_reviews
from insats.plans.jobs import remind_overdue
from insats.reporting.prepared import prepare
from insats.staffsafety.jobs import remind_due_talks


class Command(BaseCommand):
    help = (
        "Run the daily jobs (idempotent): consent expiry notices, re-examination reminders, "
        "overdue measures and missed plan follow-ups, agreements due for review, safety talks "
        "due, statistics over many units prepared for the day."
    )

    def handle(self, *args, **options):
        today = timezone.localdate()
        sent = notify_expired_consents(today)
        self.stdout.write(f"Utgångna samtycken meddelade: {sent}")
        reviews = notify_due_reviews(today)
        self.stdout.write(f"Påminnelser om omprövning: {reviews}")
        overdue = remind_overdue(today)
        self.stdout.write(f"Påminnelser om handlingsplaner: {overdue}")
        agreements = remind_reviews(today)
        self.stdout.write(f"Påminnelser om överenskommelser: {agreements}")
        talks = remind_due_talks(today)
        self.stdout.write(f"Påminnelser om säkerhetssamtal: {talks}")
        figures = prepare(today)
        self.stdout.write(f"Förberedd statistik: {figures}")
