"""Backup and restore as a round trip: writes, `backup`, `restore` into a new database and files
directory, every write and file there, the access log intact, the app serving the restored data.

Runs on whichever engine the suite runs on: on PostgreSQL a scratch database is created on the
same server and dropped afterwards; on SQLite the restore goes to a new file.
"""

import hashlib
import json
import shutil
import stat
import uuid
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection

from insats.access.log import verify
from insats.access.models import AccessLogEntry
from insats.consent.models import Consent
from insats.consent.services import consent_attach_scan
from insats.operations.backup import _pg_connect, connected_to, database_settings
from insats.organisations.models import User
from tests import builders

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n" + bytes(range(256))


@pytest.fixture
def media(settings, tmp_path) -> Path:
    root = tmp_path / "filer"
    settings.MEDIA_ROOT = root
    return root


@pytest.fixture
def written(unit_a, media, login):
    """Acknowledged writes through the services: a case, its consent and the signed scan, and
    reads of the consent page (access-log entries)."""
    case = builders.identified_case(unit_a)
    consent = builders.consent(unit_a, case)
    consent_attach_scan(
        consent=consent,
        by=unit_a.coordinator,
        upload=SimpleUploadedFile("underskrift.pdf", PDF, content_type="application/pdf"),
    )
    consent.refresh_from_db()
    assert login(unit_a.coordinator).get(consent_url(consent)).status_code == 200
    return consent


@pytest.fixture
def scratch(tmp_path):
    """A new, empty target database: its URL, for `restore --database-url`."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'aterstalld.sqlite3'}"
        return
    name = f"insats_restore_{uuid.uuid4().hex[:12]}"
    current = connection.settings_dict
    with _pg_connect(current, dbname="postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        try:
            user = current["USER"] or "postgres"
            password = f":{current['PASSWORD']}" if current["PASSWORD"] else ""
            host, port = current["HOST"] or "127.0.0.1", current["PORT"] or 5432
            yield f"postgres://{user}{password}@{host}:{port}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def consent_url(consent) -> str:
    return f"/arenden/{consent.case_id}/samtycken/{consent.pk}/"


def table_counts() -> dict[str, int]:
    return {
        model._meta.label: model._base_manager.count()
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
    }


def backup(tmp_path) -> tuple[Path, dict]:
    output = tmp_path / "kopia"
    call_command("backup", output=output, stdout=StringIO())
    return output, json.loads((output / "manifest.json").read_text())


def test_a_backup_restores_into_a_new_database_and_directory(
    written, media, tmp_path, scratch, client, settings, unit_a
):
    consent = written
    counts = table_counts()
    log_entries = AccessLogEntry.objects.count()
    assert counts["consent.Consent"] == 1 and log_entries >= 3

    output, manifest = backup(tmp_path)

    assert manifest["database"]["engine"] == connection.vendor
    assert manifest["referenced_files"] == [consent.scan.name]
    assert manifest["files"][consent.scan.name] == {
        "sha256": hashlib.sha256(PDF).hexdigest(),
        "size": len(PDF),
    }
    assert manifest["missing_files"] == []
    assert manifest["migrations"]["consent"]
    assert (output / "files" / consent.scan.name).read_bytes() == PDF
    assert stat.S_IMODE(output.stat().st_mode) == 0o700  # personal data: owner only
    assert stat.S_IMODE((output / "database.dump").stat().st_mode) == 0o600

    # After the backup: a write that is not in it, and the original files gone, so that
    # whatever the restored app serves can only come from the restore.
    builders.identified_case(unit_a)
    shutil.rmtree(media)

    restored_files = tmp_path / "aterstallda-filer"
    out = StringIO()
    call_command(
        "restore", input=output, database_url=scratch, files_dir=restored_files, stdout=out
    )
    assert "Återställningen är klar och kontrollerad." in out.getvalue()
    assert f"Åtkomstloggen är hel: {log_entries} poster." in out.getvalue()

    settings.MEDIA_ROOT = restored_files
    with connected_to(database_settings(scratch)):
        assert table_counts() == counts  # every acknowledged write, nothing written later
        restored = Consent.objects.get(pk=consent.pk)
        assert restored.scan.name == consent.scan.name
        assert Path(restored.scan.path).read_bytes() == PDF
        assert verify().ok

        call_command("check_files", backup=output, stdout=StringIO())

        # The app serves the restored data: the coordinator downloads the signed scan.
        client.force_login(User.objects.get(pk=unit_a.coordinator.pk))
        response = client.get(consent_url(consent) + "skanning/hamta/")
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert AccessLogEntry.objects.filter(action="download").count() == 1
        assert verify().ok


def test_a_changed_backup_is_refused_before_anything_is_written(written, tmp_path, scratch):
    output, _manifest = backup(tmp_path)
    scan = output / "files" / written.scan.name
    scan.write_bytes(PDF.replace(b"1.4", b"1.7"))
    target = tmp_path / "aterstallda-filer"

    with pytest.raises(CommandError) as refused:
        call_command("restore", input=output, database_url=scratch, files_dir=target)

    assert "Säkerhetskopian är skadad; inget har återställts." in str(refused.value)
    assert f"Filen {written.scan.name} har ändrats" in str(refused.value)
    assert not target.exists()


def test_restore_refuses_a_files_directory_that_is_not_empty(written, tmp_path, scratch):
    output, _manifest = backup(tmp_path)
    target = tmp_path / "befintliga-filer"
    target.mkdir()
    (target / "annan.pdf").write_bytes(b"%PDF- someone else's")

    with pytest.raises(CommandError, match=r"Filkatalogen .* är inte tom"):
        call_command("restore", input=output, database_url=scratch, files_dir=target)

    assert [p.name for p in target.iterdir()] == ["annan.pdf"]


def test_restore_refuses_a_database_that_is_not_empty(written, tmp_path):
    output, _manifest = backup(tmp_path)
    target = tmp_path / "aterstallda-filer"
    if connection.vendor == "sqlite":
        existing = tmp_path / "befintlig.sqlite3"
        shutil.copy(output / "database.dump", existing)
        url = f"sqlite:///{existing}"
        message = r"Databasfilen .* finns redan"
    else:
        url = None  # the database the suite runs on: full of rows
        message = r"Databasen .* är inte tom"

    with pytest.raises(CommandError, match=message):
        call_command("restore", input=output, database_url=url, files_dir=target)

    assert not target.exists()
    assert Consent.objects.filter(pk=written.pk).exists()


@pytest.mark.django_db
def test_check_files_names_a_missing_scan(written, media):
    call_command("check_files", stdout=StringIO())
    Path(written.scan.path).unlink()

    with pytest.raises(CommandError) as failed:
        call_command("check_files")

    assert f"Filen {written.scan.name} saknas." in str(failed.value)


def test_a_backup_missing_a_referenced_file_fails_loudly(written, media, tmp_path):
    Path(written.scan.path).unlink()

    with pytest.raises(CommandError, match="ofullständig") as failed:
        call_command("backup", output=tmp_path / "kopia")

    assert written.scan.name in str(failed.value)
    manifest = json.loads((tmp_path / "kopia" / "manifest.json").read_text())
    assert manifest["missing_files"] == [written.scan.name]
