"""Health endpoints for the load balancer and monitoring; they hold no personal data.

`/halsa/` answers while the process serves requests (liveness). `/halsa/redo/` says whether
this instance can do its work (readiness): the database answers and is migrated, the cache
works, the files directory is writable, and every daily job has succeeded within 26 hours.
"""

import tempfile
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from insats.access.decorators import PUBLIC, access_policy

from .models import JobRun

JOBS_FRESH_FOR = timedelta(hours=26)


@never_cache
@access_policy(PUBLIC)
def liveness(request):
    return JsonResponse({"status": "ok"})


def _database() -> str:
    connection = connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise RuntimeError("migrations not applied")
    return "ok"


def _cache() -> str:
    key = f"insats-health-{uuid.uuid4().hex}"
    cache.set(key, "1", 10)
    if cache.get(key) != "1":
        raise RuntimeError("cache does not return what was stored")
    cache.delete(key)
    return "ok"


def _files() -> str:
    settings.MEDIA_ROOT.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=settings.MEDIA_ROOT, prefix=".health-"):
        pass
    return "ok"


def _daily_jobs() -> str:
    from .management.commands.run_daily_jobs import JOBS

    since = timezone.now() - JOBS_FRESH_FOR
    fresh = set(
        JobRun.objects.filter(ok=True, finished_at__gte=since).values_list("job", flat=True)
    )
    stale = sorted(job.__name__ for _label, job in JOBS if job.__name__ not in fresh)
    if stale:
        raise RuntimeError(f"no successful run within 26 h: {', '.join(stale)}")
    return "ok"


CHECKS = {"database": _database, "cache": _cache, "files": _files, "daily_jobs": _daily_jobs}


@never_cache
@access_policy(PUBLIC)
def readiness(request):
    results, ready = {}, True
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:  # a failing check is the answer, not an error page
            results[name] = f"fail: {exc}"
            ready = False
    return JsonResponse(
        {"status": "ok" if ready else "fail", "checks": results}, status=200 if ready else 503
    )
