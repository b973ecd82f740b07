"""Request ids, JSON logs, the 500 page and the metrics endpoint (issue 22, logs and metrics).

The views below are served only here (`ROOT_URLCONF` points at this module, on top of the real
routes and with the real `handler500`): one logs a line, one fails with a PostgreSQL-style
error that quotes a form value.
"""

import io
import json
import logging
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.http import HttpResponse
from django.urls import path, reverse
from django.utils import timezone

from insats import urls as real_urls
from insats.core.logging import JsonFormatter
from insats.core.models import JobRun

SECRET_NAME = "Svensson-Hemlig"
test_logger = logging.getLogger("insats.tests.observability")


def noisy(request):
    test_logger.warning("searched")
    return HttpResponse("ok")


def boom(request):
    raise RuntimeError(
        "duplicate key value violates unique constraint\n"
        f"DETAIL:  Key (name)=({request.POST.get('name', '')}) already exists."
    )


urlpatterns = [path("prov/logg/", noisy), path("prov/fel/", boom), *real_urls.urlpatterns]
handler500 = real_urls.handler500  # fails to import without the project's handler500


@pytest.fixture
def own_urls(settings):
    settings.ROOT_URLCONF = __name__


@pytest.fixture
def json_log():
    """Everything logged during the test, formatted as production formats it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.INFO)
    yield stream
    root.setLevel(previous)
    root.removeHandler(handler)


def lines(stream) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


# --- Request id ---------------------------------------------------------------------------


def test_a_request_id_is_generated(client):
    response = client.get("/halsa/")
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    assert client.get("/halsa/")["X-Request-ID"] != response["X-Request-ID"]


def test_a_safe_incoming_request_id_is_kept(client):
    response = client.get("/halsa/", headers={"X-Request-ID": "lb-4f2a-0001"})
    assert response["X-Request-ID"] == "lb-4f2a-0001"


@pytest.mark.parametrize("unsafe", ["a" * 65, "id med mellanslag", "x\u00e5", "a;b", "<script>"])
def test_an_unsafe_incoming_request_id_is_replaced(client, unsafe):
    response = client.get("/halsa/", headers={"X-Request-ID": unsafe})
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


# --- Logs ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_log_line_is_json_with_the_request_id_and_no_form_data(own_urls, json_log, login, unit_a):
    client = login(unit_a.coordinator)
    json_log.seek(0)  # forget the login's own lines, outside any request
    json_log.truncate()
    response = client.post(f"/prov/logg/?q={SECRET_NAME}", {"name": SECRET_NAME})

    assert response.status_code == 200
    (line,) = [entry for entry in lines(json_log) if entry["message"] == "searched"]
    assert line["request_id"] == response["X-Request-ID"]
    assert line["level"] == "WARNING"
    assert line["logger"] == "insats.tests.observability"
    assert line["method"] == "POST"
    assert line["path"] == "/prov/logg/"
    assert line["user_id"] == unit_a.coordinator.pk
    assert SECRET_NAME not in json_log.getvalue()
    # Every line of the request, the summary line too, names it.
    assert all(entry["request_id"] == response["X-Request-ID"] for entry in lines(json_log))


@pytest.mark.django_db
def test_an_error_gives_the_500_page_with_the_request_id_and_a_clean_log(
    own_urls, json_log, login, unit_a
):
    client = login(unit_a.coordinator)
    client.raise_request_exception = False
    response = client.post(f"/prov/fel/?q={SECRET_NAME}", {"name": SECRET_NAME})

    assert response.status_code == 500
    request_id = response["X-Request-ID"]
    page = response.content.decode()
    assert "Tekniskt fel" in page
    assert f"Ange felkod <strong><code>{request_id}</code></strong>" in page
    assert SECRET_NAME not in page

    (error,) = [entry for entry in lines(json_log) if entry["level"] == "ERROR"]
    assert error["logger"] == "django.request"
    assert error["request_id"] == request_id
    assert error["status"] == 500
    assert error["user_id"] == unit_a.coordinator.pk
    assert error["path"] == "/prov/fel/"
    assert "RuntimeError: duplicate key value" in error["exception"]
    assert "DETAIL: (removed" in error["exception"]
    # Neither the form value (quoted by the database error) nor the query string is logged.
    assert SECRET_NAME not in json_log.getvalue()
    assert "q=" not in json_log.getvalue()


def test_the_500_page_renders_without_a_database(rf):
    """Django's test database guard raises on any query here (no django_db mark)."""
    request = rf.get("/")
    request.request_id = "abc123"
    response = real_urls.handler500(request)
    assert response.status_code == 500
    assert "Ange felkod <strong><code>abc123</code></strong>" in response.content.decode()


@pytest.mark.django_db
def test_not_found_keeps_its_page(client):
    response = client.get("/finns-inte/")
    assert response.status_code == 404
    assert "Sidan hittades inte" in response.content.decode()
    assert response["X-Request-ID"]


# --- Metrics ------------------------------------------------------------------------------


def scrape(client, token: str):
    return client.get("/metriker/", headers={"Authorization": f"Bearer {token}"})


def value(text: str, series: str) -> float:
    match = re.search(rf"^{re.escape(series)} (\S+)$", text, re.MULTILINE)
    assert match, f"{series} not in the metrics"
    return float(match[1])


@pytest.mark.django_db
def test_metrics_do_not_exist_without_a_token(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metriker/").status_code == 404
    assert scrape(client, "").status_code == 404


@pytest.mark.django_db
def test_metrics_refuse_a_wrong_or_missing_token(client, settings):
    settings.METRICS_TOKEN = "ratt-token"
    assert client.get("/metriker/").status_code == 401
    assert scrape(client, "fel-token").status_code == 401
    assert "insats_" not in scrape(client, "fel-token").content.decode()


@pytest.mark.django_db
def test_metrics_count_requests_and_report_the_daily_jobs(client, settings):
    settings.METRICS_TOKEN = "ratt-token"
    now = timezone.now()
    JobRun.objects.create(
        job="remind_overdue", started_at=now, finished_at=now, ok=True, result="3"
    )
    JobRun.objects.create(
        job="notify_due_reviews",
        started_at=now - timedelta(hours=2),
        finished_at=now - timedelta(hours=2),
        ok=False,
        result="SMTPServerDisconnected",
    )
    client.get("/halsa/")
    client.get("/finns-inte/")

    response = scrape(client, "ratt-token")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    text = response.content.decode()
    assert re.search(
        r'^insats_http_requests_total\{pid="\d+",method="GET",status="2xx"\} \d+$', text, re.M
    )
    assert re.search(
        r'^insats_http_requests_total\{pid="\d+",method="GET",status="4xx"\} \d+$', text, re.M
    )
    assert re.search(
        r'^insats_http_request_duration_seconds_bucket\{pid="\d+",le="\+Inf"\} ', text, re.M
    )
    assert value(text, 'insats_daily_job_last_success_timestamp_seconds{job="remind_overdue"}') == (
        round(now.timestamp())
    )
    assert (
        value(text, 'insats_daily_job_last_success_timestamp_seconds{job="notify_due_reviews"}')
        == 0
    )
    assert value(text, 'insats_daily_job_failures_24h{job="notify_due_reviews"}') == 1
    assert value(text, 'insats_daily_job_failures_24h{job="remind_overdue"}') == 0
    assert value(text, 'insats_metrics_source_up{source="jobs"}') == 1
    assert "Svensson" not in text and "Alfa" not in text


@pytest.mark.django_db
def test_metrics_time_access_log_appends(login, unit_a, settings):
    settings.METRICS_TOKEN = "ratt-token"
    client = login(unit_a.coordinator)
    case = unit_a.case()
    series = 'insats_access_log_append_seconds_count{pid="%s"}'

    def appends() -> float:
        text = scrape(client, "ratt-token").content.decode()
        pid = re.search(r'insats_process_start_time_seconds\{pid="(\d+)"\}', text)[1]
        return value(text, series % pid)

    before = appends()
    assert client.get(reverse("case_detail", args=[case.pk])).status_code == 200
    assert appends() == before + 1


@pytest.mark.django_db
def test_metrics_report_the_outbox_backlog(client, settings):
    if not apps.is_installed("insats.outbox"):
        pytest.skip("the outbox app is not installed")
    from insats.outbox.models import OutboundMessage

    settings.METRICS_TOKEN = "ratt-token"
    OutboundMessage.objects.create(
        key="test:1",
        to=["a@example.se"],
        from_email="insats@example.se",
        subject="x",
        body="y",
        created_at=timezone.now() - timedelta(minutes=10),
    )
    text = scrape(client, "ratt-token").content.decode()
    assert value(text, 'insats_outbox_messages{status="pending"}') == 1
    assert value(text, 'insats_outbox_messages{status="sent"}') == 0
    assert value(text, "insats_outbox_oldest_waiting_age_seconds") >= 600
