"""clean_orphan_files: remove files no row names (see `insats.core.orphan_files`)."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from insats.core.orphan_files import GRACE, SweepRefused, sweep


class Command(BaseCommand):
    help = (
        "Remove files under the files directory (MEDIA_ROOT) that no row of any file field "
        "names and that are older than the grace period (default 24 h, so an upload on its "
        "way to a commit is never removed). Runs daily with run_daily_jobs."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="List the orphans; remove nothing."
        )
        parser.add_argument(
            "--grace-hours",
            type=float,
            default=GRACE.total_seconds() / 3600,
            help="Keep unreferenced files younger than this many hours (default 24).",
        )

    def handle(self, *args, dry_run=False, grace_hours=24.0, **options):
        if grace_hours < 1:
            raise CommandError("Karenstiden måste vara minst en timme.")
        try:
            result = sweep(dry_run=dry_run, grace=timedelta(hours=grace_hours))
        except SweepRefused as refused:
            raise CommandError(str(refused)) from refused
        for name in result.orphans:
            self.stdout.write(f"{'skulle tas bort' if dry_run else 'borttagen'}: {name}")
        self.stdout.write(
            f"{len(result.orphans) if dry_run else len(result.removed)} filer utan rad "
            f"{'hittade (inget togs bort)' if dry_run else 'borttagna'}; "
            f"{result.referenced} används, {result.fresh} nyare än karenstiden behålls."
        )
