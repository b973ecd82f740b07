"""Scan files follow the database: a rolled-back replacement keeps the old scan, an old file is
removed only after commit, orphans are swept after a grace period, and a missing file is a
Swedish message and a log entry, never a 500. (Issue 22.)"""

import logging
import os
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import transaction

from insats.access.models import AccessLogEntry
from insats.consent import services
from insats.consent.models import Consent
from insats.core.management.commands import run_daily_jobs
from insats.core.orphan_files import clean_orphan_files

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))
DAY = 24 * 60 * 60
MISSING = "Den inskannade blanketten saknas i filarkivet. Kontakta systemförvaltningen."


class Boom(Exception):
    """A failure later in the same transaction."""


@pytest.fixture
def media(settings, tmp_path) -> Path:
    root = tmp_path / "filer"
    settings.MEDIA_ROOT = root
    return root


@pytest.fixture
def scanned(unit_a, kit, media):
    """A consent whose PDF scan is stored and committed."""
    case = kit.person_case(unit_a, age=20, first="Skanna")
    consent = kit.consent(unit_a, case)
    services.consent_attach_scan(consent=consent, by=unit_a.coordinator, upload=pdf())
    consent.refresh_from_db()
    return case, consent


def pdf():
    return SimpleUploadedFile("samtycke.pdf", PDF, content_type="application/pdf")


def png():
    return SimpleUploadedFile("ny.png", PNG, content_type="image/png")


def stored(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def download_url(case, consent) -> str:
    return f"/arenden/{case.pk}/samtycken/{consent.pk}/skanning/hamta/"


def download(client, case, consent):
    response = client.get(download_url(case, consent))
    body = b"".join(response.streaming_content) if response.status_code == 200 else b""
    return response, body


# --- replacing a scan --------------------------------------------------------------------------


def test_a_rolled_back_replacement_keeps_the_old_scan_intact_and_downloadable(
    unit_a, scanned, media, login
):
    case, consent = scanned
    old_name = consent.scan.name

    with pytest.raises(Boom), transaction.atomic():
        services.consent_attach_scan(
            consent=Consent.objects.get(pk=consent.pk), by=unit_a.coordinator, upload=png()
        )
        raise Boom

    consent.refresh_from_db()
    assert consent.scan.name == old_name
    assert consent.scan_content_type == "application/pdf"
    assert (media / old_name).read_bytes() == PDF
    got, body = download(login(unit_a.investigator), case, consent)
    assert got.status_code == 200
    assert body == PDF
    assert got["Content-Type"] == "application/pdf"

    # The new file is an orphan; once past the grace period the sweep removes it, not the scan.
    orphans = [name for name in stored(media) if name != old_name]
    assert len(orphans) == 1
    age(media / orphans[0], 2 * DAY)
    assert clean_orphan_files() == 1
    assert stored(media) == {old_name: PDF}


def test_a_replacement_failing_inside_the_service_leaves_no_new_file(
    unit_a, scanned, media, monkeypatch
):
    _case, consent = scanned
    old_name = consent.scan.name

    def log_down(**kwargs):
        raise Boom

    monkeypatch.setattr(services.log, "record", log_down)
    with pytest.raises(Boom):
        services.consent_attach_scan(consent=consent, by=unit_a.coordinator, upload=png())

    assert consent.scan.name == old_name
    consent.refresh_from_db()
    assert consent.scan.name == old_name
    assert stored(media) == {old_name: PDF}


def test_the_old_file_is_removed_only_after_commit(
    unit_a, scanned, media, django_capture_on_commit_callbacks
):
    _case, consent = scanned
    old_name = consent.scan.name

    with django_capture_on_commit_callbacks() as on_commit:
        services.consent_attach_scan(consent=consent, by=unit_a.coordinator, upload=png())
        consent.refresh_from_db()
        new_name = consent.scan.name
        assert new_name != old_name
        assert stored(media) == {old_name: PDF, new_name: PNG}  # both until the commit

    assert len(on_commit) == 1
    on_commit[0]()
    assert stored(media) == {new_name: PNG}


# --- the sweep ---------------------------------------------------------------------------------


@pytest.fixture
def litter(scanned, media):
    """An old referenced scan, an old orphan, a fresh orphan and an old file outside every
    upload directory."""
    _case, consent = scanned
    referenced = media / consent.scan.name
    old_orphan = referenced.parent / "samtycke-999-gammal.pdf"
    fresh_orphan = referenced.parent / "samtycke-999-pagaende.pdf"
    elsewhere = media / "annat" / "behall.txt"
    elsewhere.parent.mkdir(parents=True)
    for path in (old_orphan, fresh_orphan, elsewhere):
        path.write_bytes(PDF)
    for path in (referenced, old_orphan, elsewhere):
        age(path, 2 * DAY)
    age(fresh_orphan, 60 * 60)
    return referenced, old_orphan, fresh_orphan, elsewhere


def test_dry_run_lists_the_old_orphan_and_removes_nothing(litter, media):
    before = stored(media)
    out = StringIO()
    call_command("clean_orphan_files", "--dry-run", stdout=out)
    assert stored(media) == before
    old_orphan = litter[1].relative_to(media).as_posix()
    assert f"skulle tas bort: {old_orphan}" in out.getvalue()
    assert "pagaende" not in out.getvalue()


def test_the_sweep_removes_only_old_unreferenced_files(litter, media):
    referenced, old_orphan, fresh_orphan, elsewhere = litter
    out = StringIO()
    call_command("clean_orphan_files", stdout=out)
    assert not old_orphan.exists()
    assert referenced.read_bytes() == PDF
    assert fresh_orphan.exists()
    assert elsewhere.exists()
    assert "1 filer utan rad borttagna; 1 används, 1 nyare" in out.getvalue()


def test_the_sweep_runs_with_the_daily_jobs(litter, media):
    assert ("Filer utan rad borttagna", clean_orphan_files) in run_daily_jobs.JOBS
    referenced, old_orphan, _fresh, _elsewhere = litter
    out = StringIO()
    call_command("run_daily_jobs", stdout=out)
    assert "Filer utan rad borttagna: 1" in out.getvalue()
    assert not old_orphan.exists()
    assert referenced.exists()


def test_a_database_naming_no_file_is_not_trusted_to_sweep(unit_a, kit, media):
    """Pointed at the wrong (or an empty) database, the sweep would take every signed scan."""
    scan = media / "consents" / "2025" / "samtycke-1-x.pdf"
    scan.parent.mkdir(parents=True)
    scan.write_bytes(PDF)
    age(scan, 3 * DAY)
    kit.person_case(unit_a, age=20)  # rows exist; none names a file
    with pytest.raises(CommandError, match="Databasen hänvisar inte till någon fil"):
        call_command("clean_orphan_files", stdout=StringIO())
    assert scan.read_bytes() == PDF


# --- a missing file ----------------------------------------------------------------------------


def test_a_missing_scan_file_is_a_swedish_message_and_logged_not_a_500(
    unit_a, scanned, media, login, caplog
):
    case, consent = scanned
    (media / consent.scan.name).unlink()
    client = login(unit_a.coordinator)

    with caplog.at_level(logging.ERROR, logger="insats.consent.views"):
        got = client.get(download_url(case, consent))

    assert got.status_code == 302
    assert got["Location"] == f"/arenden/{case.pk}/samtycken/{consent.pk}/"
    page = client.get(got["Location"])
    assert page.status_code == 200
    assert MISSING in page.content.decode()
    assert AccessLogEntry.objects.filter(
        action="denied",
        object_type="consent_scan",
        object_id=str(consent.pk),
        user=unit_a.coordinator,
        detail="file missing",
    ).exists()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert consent.scan.name in errors[0].getMessage()
