#!/usr/bin/env python
"""Time the dashboards against whatever database DATABASE_URL names (issue #7: every dashboard
under 500 ms on PostgreSQL at 290 units / 100 000 cases).

A measurement, not a test: timings depend on the machine, so nothing here passes or fails.
Fill a database first with `manage.py generate_load_data`, then run

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/insats_bench \\
        .venv/bin/python scripts/benchmark_dashboards.py [--user USERNAME ...] [--repeat 5]

Each page is fetched once to warm up, then --repeat times; the script prints the median and
the slowest time and the number of queries per page and user (with --cold, the cache is cleared
before every run), and for every page slower than
the budget the five slowest queries of its slowest run. Pages that answer 404 for a user (no
ground, or not built yet) are listed and skipped. Reading pages writes access-log entries,
as any reading does.
"""

import argparse
import logging
import os
import re
import statistics
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "insats.settings")
os.environ.setdefault("DEBUG", "1")  # the demo defaults (SECRET_KEY) without a production setup
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

import django  # noqa: E402

django.setup()
logging.getLogger("django.request").setLevel(logging.CRITICAL)  # 404s are reported below

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from insats.cases.models import Case  # noqa: E402
from insats.organisations.models import Membership, User  # noqa: E402

BUDGET_MS = 500
_YEAR = date.today().year
URLS = (
    "/",
    "/arbetsledning/",
    "/statistik/",
    "/statistik/?period=tertial",
    "/statistik/?period=half&number=1",
    "/statistik/?period=year",
    f"/statistik/?period=year&year={_YEAR - 1}&enhet=alla",
    f"/statistik/?period=custom&start={_YEAR - 4}-01-01&end={_YEAR}-12-31&enhet=alla",
    "/statistik/export/",
    "/personalsakerhet/",
    "/arenden/",
    "/samverkan/",
    "/mina-atgarder/",
    "/logg/",
)


def default_users() -> list[str]:
    """Staff of the unit with the most cases (the heaviest unit page), and the leadership
    and analyst who see every unit (the heaviest statistics)."""
    biggest = (
        Case.objects.values("unit_id").annotate(n=Count("pk")).order_by("-n").first() or {}
    ).get("unit_id")
    names = []
    if biggest is not None:
        memberships = Membership.objects.filter(organisation__unit_id=biggest, user__is_active=True)
        for role in ("supervisor", "coordinator", "leadership", "analyst"):
            candidates = set(memberships.filter(role=role).values_list("user_id", flat=True))
            # Prefer the unit's own people (fewest units) over those who see every unit.
            reach = (
                Membership.objects.filter(user_id__in=candidates)
                .values("user_id", "user__username")
                .annotate(n=Count("pk"))
                .order_by("n", "user__username")
                .first()
            )
            if reach is not None:
                names.append(reach["user__username"])
    for name in ("last-alla-ledning", "last-alla-analytiker"):
        if User.objects.filter(username=name).exists():
            names.append(name)
    return list(dict.fromkeys(names))


def short_sql(sql: str, limit: int = 1200) -> str:
    """The SQL without its column list and with long id lists folded, to fit a terminal."""
    depth = 0
    for index, char in enumerate(sql):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and sql.startswith(" FROM ", index) and sql.startswith("SELECT "):
            sql = "SELECT … " + sql[index + 1 :]
            break
    sql = re.sub(
        r"IN \(((?:\d+, ){8,}\d+)\)",
        lambda m: f"IN (…{m.group(1).count(',') + 1} ids…)",
        sql,
    )
    return sql if len(sql) <= limit else sql[:limit] + " …"


def repeated(queries, top: int = 3) -> list[tuple[int, str]]:
    """Statements run many times with different values: the mark of a query per row."""
    shapes = Counter(
        re.sub(r"'[^']*'|\b\d+\b", "?", q["sql"]) for q in queries if q["sql"].startswith("SELECT")
    )
    return [(n, shape) for shape, n in shapes.most_common(top) if n > 5]


def explain(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(f"      {row[0]}" for row in cursor.fetchall())


def measure(client: Client, url: str, repeat: int, *, cold: bool = False) -> dict:
    first = client.get(url)
    result = {"status": first.status_code, "runs": []}
    if first.status_code != 200:
        return result
    for _ in range(repeat):
        if cold:
            cache.clear()
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - began) * 1000
        result["status"] = response.status_code
        result["runs"].append((elapsed, list(queries.captured_queries), len(response.content)))
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--user", action="append", help="username (repeatable)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--url", action="append", help="only these paths (repeatable)")
    parser.add_argument("--budget", type=int, default=BUDGET_MS, help="milliseconds")
    parser.add_argument(
        "--explain", action="store_true", help="EXPLAIN ANALYZE the slowest query of slow pages"
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="clear the cache before every run (figures over many units counted each time "
        "unless prepared by run_daily_jobs)",
    )
    args = parser.parse_args()

    settings_db = connection.settings_dict
    print(f"database: {connection.vendor} {settings_db.get('NAME')}")
    print(f"cases: {Case.objects.count()}, units: {Case.objects.values('unit').distinct().count()}")
    usernames = args.user or default_users()
    if not usernames:
        print("no users: pass --user or generate load data first", file=sys.stderr)
        return 2
    urls = args.url or URLS
    slow = []
    width = max(len(url) for url in urls)
    header = f"{'user':28} {'url':{width}} {'status':>6} {'median':>8} {'max':>8} {'queries':>7}"
    print(header)
    print("-" * len(header))
    for username in usernames:
        user = User.objects.filter(username=username).first()
        if user is None:
            print(f"{username:28} (no such user)")
            continue
        client = Client(raise_request_exception=False)
        client.force_login(user)
        for url in urls:
            try:
                result = measure(client, url, args.repeat, cold=args.cold)
            except Exception as exc:  # a page under construction must not stop the run
                print(f"{username:28} {url:{width}} {'error':>6} {type(exc).__name__}: {exc}")
                continue
            runs = result["runs"]
            if not runs:
                note = "skipped" if result["status"] == 404 else "not measured"
                print(f"{username:28} {url:{width}} {result['status']:>6} {note}")
                continue
            times = [r[0] for r in runs]
            median, worst = statistics.median(times), max(times)
            queries = len(runs[-1][1])
            flag = "  OVER" if median > args.budget else ""
            status = result["status"]
            print(
                f"{username:28} {url:{width}} {status:>6} {median:>6.0f}ms {worst:>6.0f}ms"
                f" {queries:>7}{flag}"
            )
            if median > args.budget:
                slowest = max(runs, key=lambda r: r[0])
                slow.append((username, url, median, slowest[1]))
    for username, url, median, queries in slow:
        print(f"\n{url} as {username}: median {median:.0f} ms; slowest queries:")
        ranked = sorted(queries, key=lambda q: float(q["time"]), reverse=True)[:5]
        for q in ranked:
            print(f"  {float(q['time']) * 1000:8.1f} ms  {short_sql(q['sql'])}")
        for n, shape in repeated(queries):
            print(f"  repeated {n}×: {short_sql(shape, 400)}")
        if args.explain and ranked and connection.vendor == "postgresql":
            print(explain(ranked[0]["sql"]))
    print(f"\n{len(slow)} page/user combination(s) over {args.budget} ms (median).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
