"""Everything that runs once a day; safe to run more often (cron or a systemd timer)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from insats.consent.jobs import notify_expired_consents


class Command(BaseCommand):
    help = "Run the daily jobs (idempotent): consent expiry notices."

    def handle(self, *args, **options):
        today = timezone.localdate()
        sent = notify_expired_consents(today)
        self.stdout.write(f"Utgångna samtycken meddelade: {sent}")
