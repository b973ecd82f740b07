"""Restore a backup into an EMPTY database and an EMPTY files directory, then verify it.

For a restore drill, point it at a scratch database and directory (`--database-url`,
`--files-dir`) so that production is never touched. After copying it verifies the access
log's hash chain and that every file a restored row names is present with the checksum the
backup recorded; any mismatch ends with a non-zero exit status.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from insats.access.log import verify
from insats.operations.backup import (
    BackupError,
    check_files,
    connected_to,
    database_settings,
    migration_state,
    pending_migrations,
    restore_backup,
)


class Command(BaseCommand):
    help = (
        "Restore a backup directory written by `backup` into an empty database and files "
        "directory, then verify the access log and every referenced file."
    )

    def add_arguments(self, parser):
        parser.add_argument("--input", required=True, type=Path, help="The backup directory.")
        parser.add_argument(
            "--database-url",
            default=None,
            help="Target database (must exist and be empty); default: the configured one.",
        )
        parser.add_argument(
            "--files-dir",
            type=Path,
            default=None,
            help="Target files directory (must be empty or absent); default: MEDIA_ROOT.",
        )
        parser.add_argument(
            "--no-owner",
            action="store_true",
            help="PostgreSQL: do not restore owners and grants (roles missing on this server).",
        )

    def handle(self, *args, **options):
        target = database_settings(options["database_url"])
        files_dir = options["files_dir"] or Path(settings.MEDIA_ROOT)
        try:
            manifest = restore_backup(
                options["input"],
                settings_dict=target,
                files_dir=files_dir,
                no_owner=options["no_owner"],
            )
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            _("Återställt: databasen %(name)s och %(files)s filer till %(dir)s.")
            % {"name": target["NAME"], "files": len(manifest["files"]), "dir": files_dir}
        )

        with connected_to(target):
            from django.db import connection

            with connection.cursor() as cursor:
                restored_migrations = migration_state(cursor)
            log = verify()
            files = check_files(files_dir, manifest=manifest)
            pending = pending_migrations()

        problems = []
        if restored_migrations != manifest["migrations"]:
            problems.append(_("Databasens migreringar stämmer inte med manifestet."))
        if not log.ok:
            problems.append(
                _("Åtkomstloggen är bruten vid post %(entry)s: %(problem)s")
                % {"entry": log.broken_at, "problem": log.problem}
            )
        problems += files.problems()
        if problems:
            raise CommandError(_("Återställningen är inte korrekt:") + "\n" + "\n".join(problems))
        self.stdout.write(_("Åtkomstloggen är hel: %(count)s poster.") % {"count": log.checked})
        self.stdout.write(
            _("Alla %(count)s filer som databasen hänvisar till finns med rätt kontrollsumma.")
            % {"count": files.referenced}
        )
        if pending:
            self.stdout.write(
                self.style.WARNING(
                    _(
                        "Säkerhetskopian är från en äldre version: kör migrate mot den "
                        "återställda databasen (%(count)s migreringar saknas)."
                    )
                    % {"count": len(pending)}
                )
            )
        self.stdout.write(self.style.SUCCESS(_("Återställningen är klar och kontrollerad.")))
