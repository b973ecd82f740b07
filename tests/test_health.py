"""Health endpoints: liveness without login, readiness naming what is not ready."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command


def test_liveness_answers_without_login(client):
    """Load balancers ask without an account; the answer holds nothing about anyone."""
    response = client.get("/halsa/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_not_ready_until_the_daily_jobs_have_succeeded(client, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "files"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

    before = client.get("/halsa/redo/")
    call_command("run_daily_jobs", stdout=StringIO())
    after = client.get("/halsa/redo/")

    assert before.status_code == 503
    assert before.json()["checks"]["daily_jobs"].startswith("fail: no successful run")
    assert before.json()["checks"]["database"] == "ok"
    assert after.status_code == 200
    assert after.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "files": "ok", "daily_jobs": "ok"},
    }


@pytest.mark.django_db
def test_a_files_directory_that_cannot_be_written_is_not_ready(client, tmp_path, settings):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    settings.MEDIA_ROOT = Path(blocker)
    call_command("run_daily_jobs", stdout=StringIO())

    response = client.get("/halsa/redo/")

    assert response.status_code == 503
    assert response.json()["checks"]["files"].startswith("fail:")
    assert response.json()["checks"]["daily_jobs"] == "ok"


@pytest.mark.django_db
def test_a_cache_that_keeps_nothing_is_not_ready(client):
    """The test settings use the dummy cache: it stores nothing, which production must not."""
    response = client.get("/halsa/redo/")
    assert response.json()["checks"]["cache"].startswith("fail:")
