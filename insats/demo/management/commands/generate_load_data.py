"""Generate a large fictional data set for performance measurements (see insats.demo.loadgen).

Refuses to run when load data already exists: a second batch would collide with the first on
user and unit names, and the access log, which the data set extends, can never be emptied.
Start from a fresh database instead. Every generated login has the password "load-insats".
"""

from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from insats.demo import loadgen


class Command(BaseCommand):
    help = "Generate N fictional units with M cases (plans, meetings, access log) for load tests."

    def add_arguments(self, parser):
        parser.add_argument("--units", type=int, default=290)
        parser.add_argument("--cases", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--batch-size", type=int, default=loadgen.BATCH_SIZE)
        parser.add_argument(
            "--today",
            type=date.fromisoformat,
            default=None,
            help="Generate as if today were this date (YYYY-MM-DD), for reproducible runs.",
        )
        parser.add_argument(
            "--not-production",
            action="store_true",
            help="Confirm this database is not production (needed when DEBUG is off).",
        )

    def handle(self, *args, units, cases, seed, batch_size, today, not_production, **options):
        # Thousands of users with one known password: never in production by mistake.
        if not (settings.DEBUG or not_production):
            raise CommandError(
                "Refusing to generate load data with DEBUG off; pass --not-production if this "
                "database is for load tests only."
            )
        if units < 1 or cases < 0:
            raise CommandError("--units must be at least 1 and --cases at least 0.")
        try:
            counts = loadgen.generate(
                units=units,
                cases=cases,
                seed=seed,
                now=loadgen.noon(today) if today else None,
                batch_size=batch_size,
                out=self.stdout.write,
            )
        except loadgen.LoadDataExists as exc:
            raise CommandError(
                "Load data already exists in this database (users named "
                f"'{loadgen.USER_PREFIX}…'); generate into a fresh database."
            ) from exc
        for label, count in sorted(counts.items()):
            self.stdout.write(f"{label:40} {count:>10}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Load data generated: {units} units, {cases} cases. "
                f"Logins: {loadgen.USER_PREFIX}u0001-lots1 …, password '{loadgen.LOAD_PASSWORD}'."
            )
        )
