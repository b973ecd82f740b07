"""The scanned, signed consent: upload, storage outside any web root, download through the policy.

SPEC §5, §6 ("signed consent is kept") and §7 (access log on every read).
"""

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import Resolver404, get_resolver, resolve
from django.views.static import serve

from insats import settings as production_settings
from insats.access.models import AccessLogEntry
from insats.consent import files

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(64)) + b"\xff\xd9"
HTML = b"<!DOCTYPE html><html><body><script>alert('samtycke')</script></body></html>"

KINDS = {
    "pdf": ("samtycke.pdf", PDF, "application/pdf", ".pdf"),
    "png": ("samtycke.png", PNG, "image/png", ".png"),
    "jpeg": ("samtycke.jpg", JPEG, "image/jpeg", ".jpg"),
}


@pytest.fixture
def media(settings, tmp_path) -> Path:
    root = tmp_path / "filer"
    settings.MEDIA_ROOT = root
    return root


@pytest.fixture
def consented(unit_a, kit, media):
    case = kit.person_case(unit_a, age=20, first="Skanna")
    return case, kit.consent(unit_a, case)


def upload_url(case, consent) -> str:
    return f"/arenden/{case.pk}/samtycken/{consent.pk}/skanning/"


def download_url(case, consent) -> str:
    return f"/arenden/{case.pk}/samtycken/{consent.pk}/skanning/hamta/"


def upload(client, case, consent, name, content, content_type="application/octet-stream"):
    return client.post(
        upload_url(case, consent),
        {"scan": SimpleUploadedFile(name, content, content_type=content_type)},
    )


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def download(client, url) -> tuple:
    response = client.get(url)
    # consuming the stream lets the test client close the response (and the file) itself
    body = b"".join(response.streaming_content) if response.status_code == 200 else b""
    return response, body


# --- accepted uploads --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_real_scan_is_stored_and_downloaded_unchanged(
    unit_a, consented, media, login, new_log_entries, kind
):
    case, consent = consented
    name, content, content_type, extension = KINDS[kind]
    client = login(unit_a.coordinator)

    response = upload(client, case, consent, name, content)

    assert response.status_code == 302
    assert response["Location"] == f"/arenden/{case.pk}/samtycken/{consent.pk}/"
    consent.refresh_from_db()
    assert consent.scan_content_type == content_type  # read from the bytes, not the name
    assert consent.scan_uploaded_at is not None
    path = Path(consent.scan.path).resolve()
    assert path.is_relative_to(media.resolve())
    assert path.suffix == extension
    assert path.read_bytes() == content
    assert AccessLogEntry.objects.filter(
        action="change", object_type="consent_scan", object_id=str(consent.pk)
    ).exists()

    since = new_log_entries()
    got, body = download(client, download_url(case, consent))
    assert got.status_code == 200
    assert body == content
    assert got["Content-Type"] == content_type
    assert got["Content-Disposition"].startswith("attachment;")
    assert got["X-Content-Type-Options"] == "nosniff"
    downloads = [e for e in new_log_entries(since) if e.action == "download"]
    assert len(downloads) == 1
    assert downloads[0].case_id == case.pk
    assert downloads[0].object_type == "consent_scan"
    assert downloads[0].user == unit_a.coordinator


def test_the_file_name_of_the_upload_is_never_used_for_storage(unit_a, consented, media, login):
    case, consent = consented
    upload(login(unit_a.coordinator), case, consent, "../../../etc/evil.html", PDF)
    consent.refresh_from_db()
    path = Path(consent.scan.path).resolve()
    assert path.is_relative_to(media.resolve())
    # A fresh name per upload, so a replacement never overwrites the file it replaces.
    assert re.fullmatch(rf"samtycke-{consent.pk}-\d{{14}}-[0-9a-f]{{8}}\.pdf", path.name)
    assert stored_files(media) == [path]


def test_a_new_scan_replaces_the_old_file(
    unit_a, consented, media, login, django_capture_on_commit_callbacks
):
    case, consent = consented
    client = login(unit_a.coordinator)
    upload(client, case, consent, "forsta.pdf", PDF)
    with django_capture_on_commit_callbacks(execute=True):  # the old file goes after commit
        upload(client, case, consent, "andra.png", PNG)
    consent.refresh_from_db()
    assert consent.scan_content_type == "image/png"
    assert [p.read_bytes() for p in stored_files(media)] == [PNG]


# --- refused uploads ---------------------------------------------------------------------------


def test_html_named_pdf_is_refused_with_a_swedish_message(unit_a, consented, media, login):
    case, consent = consented
    response = upload(
        login(unit_a.coordinator),
        case,
        consent,
        "samtycke.pdf",
        HTML,
        content_type="application/pdf",
    )

    assert response.status_code == 400
    assert "Filen måste vara en PDF, JPEG eller PNG." in response.content.decode()
    consent.refresh_from_db()
    assert not consent.scan
    assert stored_files(media) == []


def test_an_empty_upload_is_refused(unit_a, consented, media, login):
    case, consent = consented
    response = upload(login(unit_a.coordinator), case, consent, "tom.pdf", b"")
    assert response.status_code == 400
    assert stored_files(media) == []


def test_a_file_over_the_limit_is_refused(unit_a, consented, media, login, monkeypatch):
    monkeypatch.setattr(files, "MAX_SCAN_BYTES", 4 * 1024)
    case, consent = consented
    client = login(unit_a.coordinator)
    too_big = PDF + b"0" * (4 * 1024 - len(PDF) + 1)

    response = upload(client, case, consent, "stor.pdf", too_big)

    assert response.status_code == 400
    assert "Filen är för stor" in response.content.decode()
    consent.refresh_from_db()
    assert not consent.scan
    assert stored_files(media) == []

    just_fits = too_big[:-1]
    assert upload(client, case, consent, "lagom.pdf", just_fits).status_code == 302


def test_the_real_limit_is_ten_megabytes(unit_a, consented, media, login):
    assert files.MAX_SCAN_BYTES == 10 * 1024 * 1024
    case, consent = consented
    too_big = PDF + b"0" * (files.MAX_SCAN_BYTES - len(PDF) + 1)
    response = upload(login(unit_a.coordinator), case, consent, "stor.pdf", too_big)
    assert response.status_code == 400
    assert "Filen är för stor (högst 10 MB)." in response.content.decode()
    assert stored_files(media) == []


@pytest.mark.parametrize("who", ["partner_member", "other_unit"])
def test_outsiders_cannot_upload(unit_a, unit_b, kit, consented, media, login, who):
    case, consent = consented
    kit.partner_member(unit_a, case)
    user = unit_a.partner if who == "partner_member" else unit_b.coordinator
    response = upload(login(user), case, consent, "samtycke.pdf", PDF)
    assert response.status_code == 404
    consent.refresh_from_db()
    assert not consent.scan
    assert stored_files(media) == []


# --- where the files live ----------------------------------------------------------------------


def _web_roots(config) -> list[Path]:
    roots = [Path(config.STATIC_ROOT)]
    roots += [
        Path(d if isinstance(d, str | Path) else d[1])
        for d in getattr(config, "STATICFILES_DIRS", [])
    ]
    if getattr(config, "WHITENOISE_ROOT", None):
        roots.append(Path(config.WHITENOISE_ROOT))
    roots += [Path(app.path) / "static" for app in apps.get_app_configs()]
    return [root.resolve() for root in roots]


@pytest.mark.parametrize("config", [django_settings, production_settings], ids=["test", "prod"])
def test_media_root_is_outside_every_static_or_web_root(config):
    media = Path(config.MEDIA_ROOT).resolve()
    for root in _web_roots(django_settings) + _web_roots(config):
        assert not media.is_relative_to(root), root
        assert not root.is_relative_to(media), root


def test_no_url_pattern_serves_uploaded_files(unit_a, consented, media, login):
    def callbacks(resolver):
        for pattern in resolver.url_patterns:
            if hasattr(pattern, "url_patterns"):
                yield from callbacks(pattern)
            else:
                yield pattern.callback

    assert serve not in set(callbacks(get_resolver()))

    case, consent = consented
    client = login(unit_a.supervisor)
    upload(client, case, consent, "samtycke.pdf", PDF)
    consent.refresh_from_db()
    media_url = "/" + (django_settings.MEDIA_URL or "").lstrip("/")
    direct = media_url.rstrip("/") + "/" + consent.scan.name
    with pytest.raises(Resolver404):
        resolve(direct)
    assert client.get(direct).status_code == 404


# --- downloads ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["investigator", "supervisor", "coordinator2"])
def test_other_staff_of_the_unit_may_download(unit_a, consented, media, login, role):
    case, consent = consented
    upload(login(unit_a.coordinator), case, consent, "samtycke.pdf", PDF)
    got, body = download(login(getattr(unit_a, role)), download_url(case, consent))
    assert got.status_code == 200
    assert body == PDF


def test_a_partner_member_under_active_consent_cannot_download(
    unit_a, kit, consented, media, login
):
    case, consent = consented
    upload(login(unit_a.coordinator), case, consent, "samtycke.pdf", PDF)
    kit.partner_member(unit_a, case)
    partner = login(unit_a.partner)
    assert partner.get(f"/arenden/{case.pk}/").status_code == 200  # they do see the case
    got, body = download(partner, download_url(case, consent))
    assert got.status_code == 404
    assert body == b""
    assert not AccessLogEntry.objects.filter(action="download", user=unit_a.partner).exists()
    assert AccessLogEntry.objects.filter(
        action="denied", user=unit_a.partner, object_type="consent_scan"
    ).exists()


def test_another_unit_cannot_download(unit_a, unit_b, consented, media, login):
    case, consent = consented
    upload(login(unit_a.coordinator), case, consent, "samtycke.pdf", PDF)
    got, _body = download(login(unit_b.supervisor), download_url(case, consent))
    assert got.status_code == 404


def test_no_scan_means_404(unit_a, consented, login):
    case, consent = consented
    got, _body = download(login(unit_a.coordinator), download_url(case, consent))
    assert got.status_code == 404
