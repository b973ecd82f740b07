"""Back up the database and the files directory together, with a manifest of checksums.

Run nightly and before every upgrade (see README, "Backup and restore"); the exit status is
non-zero when the backup failed or a file a row names could not be copied.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from insats.operations.backup import BackupError, create_backup


class Command(BaseCommand):
    help = (
        "Write a backup directory: a consistent database dump (pg_dump or SQLite's online "
        "backup), a copy of the files directory and manifest.json with every checksum."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", required=True, type=Path, help="New directory to write (must not exist)."
        )
        parser.add_argument(
            "--files-dir",
            type=Path,
            default=None,
            help="Files directory to copy (default: MEDIA_ROOT, i.e. INSATS_FILES_DIR).",
        )

    def handle(self, *args, output: Path, files_dir: Path | None, **options):
        try:
            result = create_backup(output, files_dir=files_dir)
        except BackupError as error:
            raise CommandError(str(error)) from error
        manifest = result.manifest
        missing = manifest["missing_files"]
        if missing:
            raise CommandError(
                _(
                    "Säkerhetskopian %(path)s är ofullständig: %(count)s filer som databasen "
                    "hänvisar till saknades: %(names)s. Ta reda på varför och kör backup igen."
                )
                % {"path": result.path, "count": len(missing), "names": ", ".join(missing)}
            )
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Säkerhetskopia skriven till %(path)s: databas (%(engine)s, %(size)s byte), "
                    "%(files)s filer, varav %(referenced)s som databasen hänvisar till."
                )
                % {
                    "path": result.path,
                    "engine": manifest["database"]["engine"],
                    "size": manifest["database"]["size"],
                    "files": len(manifest["files"]),
                    "referenced": len(manifest["referenced_files"]),
                }
            )
        )
