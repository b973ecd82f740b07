"""Check the access log's hash chain; exit non-zero and name the first broken link if any."""

from django.core.management.base import BaseCommand, CommandError

from insats.access.log import verify


class Command(BaseCommand):
    help = "Verify the hash chain of the access log."

    def handle(self, *args, **options):
        result = verify()
        if not result.ok:
            where = f" at entry {result.broken_at}" if result.broken_at is not None else ""
            raise CommandError(
                f"Access log broken{where}: {result.problem} ({result.checked} entries verified "
                "before it)."
            )
        self.stdout.write(self.style.SUCCESS(f"Access log intact: {result.checked} entries."))
