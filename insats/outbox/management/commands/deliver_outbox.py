"""Deliver the outbox; run every minute by a timer (see README, Running in production)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from insats.outbox import jobs
from insats.outbox.models import OutboundMessage


class Command(BaseCommand):
    help = (
        "Send the due outbound e-mail (retries with back-off; each message once). Exits "
        "non-zero when a message could not be sent. --retry-failed first puts the messages "
        "given up back in the queue (after fixing an address or the mail server)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--retry-failed", action="store_true")

    def handle(self, *args, **options):
        if options["retry_failed"]:
            again = OutboundMessage.objects.filter(status=OutboundMessage.Status.FAILED).update(
                status=OutboundMessage.Status.PENDING,
                next_attempt_at=timezone.now(),
                attempts=0,
            )
            self.stdout.write(f"{again} misslyckade meddelanden köade igen")
        try:
            result = jobs.deliver_due()
        except jobs.DeliveryFailed as exc:
            raise CommandError(f"Utgående e-post: {exc}") from exc
        self.stdout.write(f"Utgående e-post: {result}")
