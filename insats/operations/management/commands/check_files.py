"""Check that every file a row names exists in the files directory (and, given a backup's
manifest, has the checksum recorded there). Exits non-zero naming every file that does not."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from insats.operations.backup import BackupError, check_files, read_manifest


class Command(BaseCommand):
    help = "Check that every file the database names is present (and matches a backup manifest)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--files-dir", type=Path, default=None, help="Default: MEDIA_ROOT (INSATS_FILES_DIR)."
        )
        parser.add_argument(
            "--backup",
            type=Path,
            default=None,
            help="A backup directory whose manifest.json the files must match.",
        )

    def handle(self, *args, files_dir: Path | None, backup: Path | None, **options):
        try:
            manifest = read_manifest(backup) if backup else None
        except (BackupError, json.JSONDecodeError) as error:
            raise CommandError(str(error)) from error
        result = check_files(files_dir or Path(settings.MEDIA_ROOT), manifest=manifest)
        if not result.ok:
            raise CommandError(
                _("%(bad)s av %(count)s filer som databasen hänvisar till är fel:")
                % {"bad": len(result.missing) + len(result.changed), "count": result.referenced}
                + "\n"
                + "\n".join(result.problems())
            )
        self.stdout.write(
            self.style.SUCCESS(
                _("Alla %(count)s filer som databasen hänvisar till finns.")
                % {"count": result.referenced}
            )
        )
