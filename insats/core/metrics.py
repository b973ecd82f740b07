"""Prometheus metrics at `/metriker/`, for monitoring only: behind a bearer token.

Two kinds of values, said plainly because they behave differently:

- Per process, kept in memory (requests by method and status class, request latency, the time
  an access-log append takes during a request): each gunicorn worker counts its own, and a
  scrape reaches whichever worker answers. Every such series carries the worker's `pid`, so
  Prometheus keeps one monotonic series per worker and `sum(rate(...))` over them is right
  while each worker is scraped now and then; a restarted worker starts a new series.
- Read from the database at scrape time (daily-job outcomes, outbox backlog, access-log size):
  the same whichever worker answers.

The endpoint answers 404 unless `METRICS_TOKEN` is set, and 401 without that token. Nothing
here names a person, a case or a unit.
"""

import hmac
import os
import threading
import time
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Count, Max, Min
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from insats.access.decorators import PUBLIC, access_policy

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
APPEND_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
PROCESS_STARTED = time.time()


class Histogram:
    def __init__(self, buckets: tuple[float, ...]):
        self.buckets = buckets
        self.counts = [0] * len(buckets)
        self.total = 0
        self.sum = 0.0
        self._lock = threading.Lock()

    def observe(self, seconds: float) -> None:
        with self._lock:
            for index, bound in enumerate(self.buckets):
                if seconds <= bound:
                    self.counts[index] += 1
            self.total += 1
            self.sum += seconds

    def lines(self, name: str, labels: str) -> list[str]:
        with self._lock:
            counts, total, sum_ = list(self.counts), self.total, self.sum
        out = [
            f'{name}_bucket{{{labels},le="{bound:g}"}} {count}'
            for bound, count in zip(self.buckets, counts, strict=True)
        ]
        out.append(f'{name}_bucket{{{labels},le="+Inf"}} {total}')
        out.append(f"{name}_sum{{{labels}}} {sum_:.6f}")
        out.append(f"{name}_count{{{labels}}} {total}")
        return out


_lock = threading.Lock()
_requests: dict[tuple[str, str], int] = {}
request_latency = Histogram(LATENCY_BUCKETS)
access_log_append = Histogram(APPEND_BUCKETS)


def observe_request(method: str, status: int, seconds: float) -> None:
    key = (method if method in METHODS else "other", f"{status // 100}xx")
    with _lock:
        _requests[key] = _requests.get(key, 0) + 1
    request_latency.observe(seconds)


class AccessLogAppendTimer:
    """A database execute wrapper timing each access-log append seen during one request.

    An append (insats.access.log) reads and locks the head row, inserts, and updates the head
    row: the time from the head read to the head update is the append, lock wait included. It
    costs one substring test per query.
    """

    def __init__(self, head_table: str):
        self.head_table = head_table
        self.started: float | None = None

    def __call__(self, execute, sql, params, many, context):
        if self.head_table not in sql:
            return execute(sql, params, many, context)
        is_update = sql.lstrip()[:6].upper() == "UPDATE"
        if not is_update:
            self.started = time.perf_counter()
        result = execute(sql, params, many, context)
        if is_update and self.started is not None:
            access_log_append.observe(time.perf_counter() - self.started)
            self.started = None
        return result


def _help(out: list[str], name: str, kind: str, text: str) -> None:
    out.append(f"# HELP {name} {text}")
    out.append(f"# TYPE {name} {kind}")


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _process_lines(out: list[str]) -> None:
    pid = f'pid="{os.getpid()}"'
    _help(out, "insats_process_start_time_seconds", "gauge", "When this worker started.")
    out.append(f"insats_process_start_time_seconds{{{pid}}} {PROCESS_STARTED:.3f}")
    _help(out, "insats_http_requests_total", "counter", "Requests served by this worker.")
    with _lock:
        requests = sorted(_requests.items())
    for (method, status), count in requests:
        out.append(
            f'insats_http_requests_total{{{pid},method="{method}",status="{status}"}} {count}'
        )
    name = "insats_http_request_duration_seconds"
    _help(out, name, "histogram", "Time to answer a request in this worker.")
    out.extend(request_latency.lines(name, pid))
    name = "insats_access_log_append_seconds"
    _help(out, name, "histogram", "Time to append to the access log during a request.")
    out.extend(access_log_append.lines(name, pid))


def _job_lines(out: list[str]) -> None:
    from insats.core.management.commands.run_daily_jobs import JOBS
    from insats.core.models import JobRun

    names = [job.__name__ for _label_, job in JOBS]
    since = timezone.now() - timedelta(hours=24)
    last_ok = dict(
        JobRun.objects.filter(ok=True).order_by().values_list("job").annotate(Max("finished_at"))
    )
    failures = dict(
        JobRun.objects.filter(ok=False, finished_at__gte=since)
        .order_by()
        .values_list("job")
        .annotate(Count("pk"))
    )
    name = "insats_daily_job_last_success_timestamp_seconds"
    _help(out, name, "gauge", "When each daily job last succeeded (0: never).")
    for job in names:
        at = last_ok.get(job)
        out.append(f'{name}{{job="{_label(job)}"}} {at.timestamp() if at else 0:.0f}')
    name = "insats_daily_job_failures_24h"
    _help(out, name, "gauge", "Failed runs of each daily job in the last 24 hours.")
    for job in names:
        out.append(f'{name}{{job="{_label(job)}"}} {failures.get(job, 0)}')


def _outbox_lines(out: list[str]) -> None:
    if not apps.is_installed("insats.outbox"):
        return
    from insats.outbox.models import OutboundMessage

    counts = dict(OutboundMessage.objects.order_by().values_list("status").annotate(Count("pk")))
    name = "insats_outbox_messages"
    _help(out, name, "gauge", "Outbound e-mails by status (pending and sending are the backlog).")
    for status in OutboundMessage.Status.values:
        out.append(f'{name}{{status="{status}"}} {counts.get(status, 0)}')
    waiting = OutboundMessage.Status.PENDING, OutboundMessage.Status.SENDING
    oldest = OutboundMessage.objects.filter(status__in=waiting).aggregate(at=Min("created_at"))
    age = (timezone.now() - oldest["at"]).total_seconds() if oldest["at"] else 0
    name = "insats_outbox_oldest_waiting_age_seconds"
    _help(out, name, "gauge", "Age of the oldest undelivered e-mail (0: none waiting).")
    out.append(f"{name} {max(age, 0):.0f}")


def _access_log_lines(out: list[str]) -> None:
    from insats.access.models import AccessLogHead

    head = AccessLogHead.objects.filter(pk=1).values_list("count", flat=True).first()
    name = "insats_access_log_entries"
    _help(out, name, "gauge", "Entries in the access log.")
    out.append(f"{name} {head or 0}")


SOURCES = {"jobs": _job_lines, "outbox": _outbox_lines, "access_log": _access_log_lines}


def render() -> str:
    out: list[str] = []
    _process_lines(out)
    up = {}
    for source, lines in SOURCES.items():
        part: list[str] = []
        try:
            with transaction.atomic():  # a failed query must not spoil an outer transaction
                lines(part)
        except DatabaseError:
            up[source] = 0
        else:
            up[source] = 1
            out.extend(part)
    _help(out, "insats_metrics_source_up", "gauge", "Whether a database source could be read.")
    out.extend(f'insats_metrics_source_up{{source="{s}"}} {ok}' for s, ok in up.items())
    return "\n".join(out) + "\n"


@never_cache
@require_safe
@access_policy(PUBLIC)  # not public: the bearer token below protects it
def metrics(request):
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404
    supplied = request.headers.get("Authorization", "")
    if not hmac.compare_digest(supplied.encode(), f"Bearer {token}".encode()):
        response = HttpResponse(
            _("Mätvärdena kräver rätt token."), status=401, content_type="text/plain"
        )
        response["WWW-Authenticate"] = 'Bearer realm="insats-metrics"'
        return response
    return HttpResponse(render(), content_type=CONTENT_TYPE)
