"""Figures over many units prepared by the nightly job: stored for every multi-unit set of a
statistics user, used by the page while fresh (and said so), never for anything else."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from insats.organisations.models import Membership, Role
from insats.reporting import periods, prepared, statistics
from insats.reporting.models import PreparedFigures
from tests.reporting.test_statistics_pages import cells_of

pytestmark = pytest.mark.django_db

URL = reverse("statistics")


@pytest.fixture
def analyst_of_two(unit_a, unit_b):
    Membership.objects.create(user=unit_a.analyst, organisation=unit_b.social, role=Role.ANALYST)
    for world in (unit_a, unit_b):
        for _ in range(3):
            world.case()
    return unit_a.analyst


def tertial_query(today) -> dict:
    period = periods.containing("tertial", today)
    number = (period.start.month - 1) // 4 + 1
    return {"period": "tertial", "year": period.start.year, "number": number, "enhet": "alla"}


def test_every_multi_unit_set_is_prepared_for_the_usual_periods(analyst_of_two, unit_a, unit_b):
    today = timezone.localdate()
    assert prepared.unit_sets() == [frozenset({unit_a.unit.pk, unit_b.unit.pk})]
    stored = prepared.prepare(today)
    assert stored == 6 * 2  # current and previous tertial, half-year, year; Swedish, English
    kinds = set(PreparedFigures.objects.values_list("period_kind", "period_start", "language"))
    expected = {
        (period.kind, period.start, language)
        for period in prepared.prepared_periods(today)
        for language in ("sv", "en")
    }
    assert kinds == expected
    # A second run replaces, not adds.
    prepared.prepare(today)
    assert PreparedFigures.objects.count() == 12


def test_stored_figures_read_back_equal(analyst_of_two, unit_a, unit_b):
    period = periods.containing("tertial", timezone.localdate())
    figures = statistics.compute([unit_a.unit.pk, unit_b.unit.pk], period)
    prepared.prepare(timezone.localdate())
    found, computed_at = prepared.lookup([unit_b.unit.pk, unit_a.unit.pk], period)
    assert found == figures
    assert timezone.now() - computed_at < timedelta(minutes=1)


def test_the_page_uses_fresh_prepared_figures_and_says_so(client, analyst_of_two, unit_a):
    today = timezone.localdate()
    prepared.prepare(today)
    unit_a.case()  # registered after the night's run: not in the prepared figures
    client.force_login(analyst_of_two)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, tertial_query(today))
    html = response.content.decode()
    assert "6" in cells_of(html, "cases_by_source_state")  # as prepared, not 7
    assert 'id="prepared-at"' in html
    assert len(queries) < 20  # no counting: the live figures alone take more
    # A custom period is counted live, with the new case.
    start = periods.containing("tertial", today).start
    live = client.get(
        URL, {"period": "custom", "start": start, "end": today, "enhet": "alla"}
    ).content.decode()
    assert "7" in cells_of(live, "cases_by_source_state")
    assert 'id="prepared-at"' not in live


def test_stale_figures_are_not_used(client, analyst_of_two, unit_a):
    today = timezone.localdate()
    prepared.prepare(today)
    PreparedFigures.objects.update(computed_at=timezone.now() - timedelta(hours=27))
    unit_a.case()
    client.force_login(analyst_of_two)
    html = client.get(URL, tertial_query(today)).content.decode()
    assert "7" in cells_of(html, "cases_by_source_state")
    assert 'id="prepared-at"' not in html
    # The next run clears them away.
    PreparedFigures.objects.update(computed_at=timezone.now() - timedelta(hours=27))
    prepared.prepare(today)
    assert not PreparedFigures.objects.filter(computed_at__lt=timezone.now() - timedelta(hours=1))


def test_a_single_unit_is_never_prepared(client, unit_a):
    unit_a.case()
    assert prepared.unit_sets() == []
    assert prepared.prepare(timezone.localdate()) == 0


def test_the_daily_jobs_prepare_them(analyst_of_two):
    out = StringIO()
    call_command("run_daily_jobs", stdout=out)
    assert "Förberedd statistik: 12" in out.getvalue()
    assert PreparedFigures.objects.count() == 12


def test_figures_stored_in_an_older_shape_are_counted_live(client, analyst_of_two, unit_a):
    today = timezone.localdate()
    prepared.prepare(today)
    for row in PreparedFigures.objects.all():
        row.figures = {**row.figures, "tables": [{"key": "retired-field-only"}]}
        row.save(update_fields=["figures"])
    unit_a.case()
    client.force_login(analyst_of_two)
    response = client.get(URL, tertial_query(today))
    assert response.status_code == 200
    html = response.content.decode()
    assert "7" in cells_of(html, "cases_by_source_state") and 'id="prepared-at"' not in html


def test_figures_stored_before_the_shared_total_are_counted_live(client, analyst_of_two, unit_a):
    """Figures of an earlier shape load without error (every field is there) but mean
    something else: the change per life area used to add up per area, not to the cases
    compared. They are counted live until the next night."""
    today = timezone.localdate()
    prepared.prepare(today)
    for row in PreparedFigures.objects.all():
        assert row.figures["shape"] == prepared.SHAPE
        row.figures = {key: value for key, value in row.figures.items() if key != "shape"}
        row.save(update_fields=["figures"])
    period = periods.containing("tertial", today)
    assert prepared.lookup([unit_a.unit.pk, *prepared.unit_sets()[0]], period) is None
    unit_a.case()
    client.force_login(analyst_of_two)
    html = client.get(URL, tertial_query(today)).content.decode()
    assert "7" in cells_of(html, "cases_by_source_state") and 'id="prepared-at"' not in html
