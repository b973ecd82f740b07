""" "My measures" and progress reports on them.

A member sees exactly the measures they are responsible for, and of those only the ones whose
goal's life area their consent covers; a revoked consent hides everything. Overdue is derived
from the date, never stored. The responsible member reports progress (a new plan revision); a
report on anyone else's measure is a 404.
"""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from insats.access.models import AccessLogEntry
from insats.cases.lifecycle import State
from insats.cases.models import Case
from insats.consent import services as consent_services
from insats.consent.models import Consent
from insats.organisations.models import LifeArea
from insats.plans import services
from insats.plans.models import ActionPlan, MeasureReport, PlanMeasure
from tests import builders

MY_MEASURES = reverse("my_measures")


def enrolled_case(world):
    """An enrolled case; world.partner is in its group under consent for criminality,
    family and health."""
    case = builders.enrollable_case(world)
    builders.decide(world, case, State.ASSIGNMENT)
    case.refresh_from_db()
    return case


def make_plan(world, case, measures, *, codes=("criminality", "housing")):
    """A plan with one goal per life area code; `measures` are dicts with "goal" (an index
    into `codes`), "what", "due_on" and the responsible member or staff."""
    goals = [
        {
            "id": None,
            "life_area": LifeArea.objects.get(unit=world.unit, code=code),
            "goal": f"Mål för {code}",
            "target": "Inom ett halvår",
            "measured_by": "Samtal varje månad",
        }
        for code in codes
    ]
    rows = [{"id": None, "how": "", "where": "", **m} for m in measures]
    return services.plan_save(
        case=case,
        by=world.coordinator,
        based_on_revision=0,
        main_goal="Ett liv utan brott",
        goals=goals,
        measures=rows,
    )


def police_of(world, case):
    return case.members.get(user=world.partner, removed_at__isnull=True)


@pytest.fixture
def setup(unit_a):
    """A plan with the police partner's own measures (one under criminality, one under
    housing that the consent does not cover), a coach's and the coordinator's measure."""
    world = unit_a
    case = enrolled_case(world)
    police = police_of(world, case)
    coach = consent_services.member_add_external(
        case=case, by=world.coordinator, name="Sixten Klöverhage", function="Tränare"
    )
    soon = timezone.localdate() + timedelta(days=3)
    plan = make_plan(
        world,
        case,
        [
            {
                "goal": 0,
                "what": "Samtal med kommunpolisen",
                "how": "Varannan vecka",
                "where": "Polisstationen",
                "due_on": soon,
                "responsible_member": police,
            },
            {
                "goal": 1,
                "what": "Hjälp att söka lägenhet",
                "due_on": soon,
                "responsible_member": police,
            },
            {
                "goal": 0,
                "what": "Träning tre gånger i veckan",
                "due_on": soon,
                "responsible_member": coach,
            },
            {
                "goal": 0,
                "what": "Möte med frivården",
                "due_on": soon,
                "responsible_staff": world.coordinator,
            },
        ],
    )
    measures = {m.what: m for m in plan.measures.all()}
    return world, case, plan, measures


def test_my_measures_shows_a_member_exactly_their_own_measures_within_consent(setup, login):
    world, case, _plan, _measures = setup
    page = login(world.partner).get(MY_MEASURES).content.decode()

    assert "Samtal med kommunpolisen" in page
    assert "Varannan vecka" in page and "Polisstationen" in page
    assert case.alias in page
    assert "Kriminalitet" in page
    # Their own measure under housing: the consent does not cover housing.
    assert "Hjälp att söka lägenhet" not in page
    assert "Boende" not in page
    # Other people's measures.
    assert "Träning tre gånger i veckan" not in page
    assert "Möte med frivården" not in page
    assert "Sixten" not in page
    assert case.person.last_name not in page


def test_staff_see_the_measures_they_are_responsible_for(setup, login):
    world, _case, _plan, _measures = setup
    page = login(world.coordinator).get(MY_MEASURES).content.decode()
    assert "Möte med frivården" in page
    assert "Samtal med kommunpolisen" not in page
    assert "Träning tre gånger i veckan" not in page


def test_a_revoked_consent_hides_every_measure(setup, login):
    world, case, _plan, _measures = setup
    consent = Consent.objects.get(case=case, revoked_on__isnull=True)
    consent_services.consent_revoke(
        consent=consent, by=world.coordinator, revoked_on=timezone.localdate(), how="Brev"
    )
    page = login(world.partner).get(MY_MEASURES).content.decode()
    assert "Samtal med kommunpolisen" not in page
    assert case.alias not in page
    assert "Du ansvarar inte för någon åtgärd" in page


def test_a_closed_case_drops_out_of_my_measures(setup, login):
    world, case, _plan, _measures = setup
    Case.objects.filter(pk=case.pk).update(state=State.DISCHARGED)
    page = login(world.partner).get(MY_MEASURES).content.decode()
    assert "Samtal med kommunpolisen" not in page


def test_my_measures_has_an_empty_state(unit_a, login):
    response = login(unit_a.partner).get(MY_MEASURES)
    assert response.status_code == 200
    assert "Du ansvarar inte för någon åtgärd i en pågående handlingsplan." in (
        response.content.decode()
    )


def test_the_listing_is_logged_with_the_cases_shown(setup, login):
    world, case, _plan, _measures = setup
    login(world.partner).get(MY_MEASURES)
    entry = AccessLogEntry.objects.filter(user=world.partner, object_type="my_measures").get()
    assert entry.action == AccessLogEntry.Action.SEARCH
    assert entry.unit_id == world.unit.pk
    assert f"cases={case.pk}" in entry.detail


# --- Overdue over time, with a frozen clock -----------------------------------------------------


@pytest.fixture
def frozen(monkeypatch):
    """Set the day `timezone.localdate()` answers (only when asked about "now")."""
    real = timezone.localdate

    def freeze(day):
        def localdate(value=None, timezone=None):
            return day if value is None else real(value, timezone)

        monkeypatch.setattr("django.utils.timezone.localdate", localdate)

    return freeze


def test_overdue_is_derived_from_the_day(setup):
    _world, _case, _plan, measures = setup
    measure = measures["Samtal med kommunpolisen"]
    due = measure.due_on
    assert not measure.is_overdue(due - timedelta(days=1))
    assert not measure.is_overdue(due)
    assert measure.is_overdue(due + timedelta(days=1))
    measure.status = PlanMeasure.Status.DONE
    assert not measure.is_overdue(due + timedelta(days=30))
    measure.status = PlanMeasure.Status.CANCELLED
    assert not measure.is_overdue(due + timedelta(days=30))


def test_my_measures_marks_a_measure_overdue_from_the_day_after_it_was_due(setup, login, frozen):
    world, _case, _plan, measures = setup
    due = measures["Samtal med kommunpolisen"].due_on
    client = login(world.partner)

    frozen(due)
    page = client.get(MY_MEASURES).content.decode()
    assert "Försenad" not in page
    assert "Att göra (1)" in page

    frozen(due + timedelta(days=1))
    page = client.get(MY_MEASURES).content.decode()
    assert "Försenade (1)" in page
    assert 'class="overdue"' in page
    assert "Att göra (0)" in page

    # Reported done, it is no longer overdue.
    measure = measures["Samtal med kommunpolisen"]
    client.post(
        reverse("measure_report", args=[measure.plan.case_id, measure.pk]),
        {"status": "done", "note": "Alla samtal är genomförda."},
    )
    page = client.get(MY_MEASURES).content.decode()
    assert "Försenad" not in page
    assert "Klara och inställda (1)" in page
    assert "Alla samtal är genomförda." in page


# --- Reporting ------------------------------------------------------------------------------------


def report_url(measure) -> str:
    return reverse("measure_report", args=[measure.plan.case_id, measure.pk])


def test_the_responsible_partner_reports_and_the_plan_gets_a_revision(setup, login):
    world, case, plan, measures = setup
    measure = measures["Samtal med kommunpolisen"]
    client = login(world.partner)

    page = client.get(report_url(measure)).content.decode()
    assert "Samtal med kommunpolisen" in page
    assert case.person.last_name not in page

    response = client.post(
        report_url(measure), {"status": "ongoing", "note": "Två samtal genomförda."}
    )
    assert response.status_code == 302
    assert response.url == MY_MEASURES

    report = MeasureReport.objects.get(measure=measure)
    assert (report.status, report.note, report.reported_by) == (
        "ongoing",
        "Två samtal genomförda.",
        world.partner,
    )
    measure.refresh_from_db()
    assert measure.status == PlanMeasure.Status.ONGOING
    assert ActionPlan.objects.get(pk=plan.pk).revision == plan.revision + 1

    page = client.get(MY_MEASURES).content.decode()
    assert "Din rapport om åtgärden är sparad." in page
    assert "Två samtal genomförda." in page  # the latest report
    assert AccessLogEntry.objects.filter(
        user=world.partner, object_type="plan", case_id=case.pk, action="change"
    ).exists()


def test_a_report_without_a_note_is_refused_in_swedish_and_keeps_the_input(setup, login):
    world, _case, plan, measures = setup
    measure = measures["Samtal med kommunpolisen"]
    response = login(world.partner).post(report_url(measure), {"status": "done", "note": "  "})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Skriv vad som har hänt." in page
    assert re.search(r'value="done"[^>]*checked', page)
    assert not MeasureReport.objects.exists()
    assert ActionPlan.objects.get(pk=plan.pk).revision == plan.revision


@pytest.mark.parametrize(
    "what", ["Träning tre gånger i veckan", "Möte med frivården", "Hjälp att söka lägenhet"]
)
def test_a_partner_cannot_report_on_a_measure_that_is_not_theirs_to_report(setup, login, what):
    """Someone else's measure, staff's measure, or their own outside the consent: 404."""
    world, case, plan, measures = setup
    client = login(world.partner)
    url = report_url(measures[what])
    assert client.get(url).status_code == 404
    assert client.post(url, {"status": "done", "note": "Klart!"}).status_code == 404
    assert not MeasureReport.objects.exists()
    assert ActionPlan.objects.get(pk=plan.pk).revision == plan.revision
    assert AccessLogEntry.objects.filter(
        user=world.partner, case_id=case.pk, action="denied", object_type="plan"
    ).exists()


def test_a_measure_under_another_case_is_a_plain_404(setup, login):
    world, _case, _plan, measures = setup
    other = builders.identified_case(world)
    measure = measures["Samtal med kommunpolisen"]
    url = reverse("measure_report", args=[other.pk, measure.pk])
    assert login(world.coordinator).get(url).status_code == 404
    assert not AccessLogEntry.objects.filter(case_id=other.pk, object_type="plan").exists()


def test_another_units_staff_get_404(setup, unit_b, login):
    _world, _case, _plan, measures = setup
    url = report_url(measures["Möte med frivården"])
    assert login(unit_b.supervisor).get(url).status_code == 404
    assert "Möte med frivården" not in login(unit_b.supervisor).get(MY_MEASURES).content.decode()


def test_a_revoked_consent_ends_reporting(setup, login):
    world, case, _plan, measures = setup
    consent = Consent.objects.get(case=case, revoked_on__isnull=True)
    consent_services.consent_revoke(
        consent=consent, by=world.coordinator, revoked_on=timezone.localdate(), how="Brev"
    )
    url = report_url(measures["Samtal med kommunpolisen"])
    assert login(world.partner).get(url).status_code == 404


def test_a_closed_case_takes_no_reports(setup, login):
    world, case, _plan, measures = setup
    Case.objects.filter(pk=case.pk).update(state=State.DISCHARGED)
    url = report_url(measures["Möte med frivården"])
    client = login(world.coordinator)
    assert client.post(url, {"status": "done", "note": "Klart."}).status_code == 404
    assert not MeasureReport.objects.exists()


def test_staff_report_on_a_members_measure_and_return_to_the_plan(setup, login):
    world, case, _plan, measures = setup
    url = report_url(measures["Träning tre gånger i veckan"])
    client = login(world.coordinator)
    page = client.get(url).content.decode()
    assert "Du rapporterar om en åtgärd som någon annan ansvarar för." in page
    response = client.post(url, {"status": "ongoing", "note": "Tränaren berättar."})
    assert response.status_code == 302
    assert response.url == reverse("plan_detail", args=[case.pk])


# --- Queries ------------------------------------------------------------------------------------


def _plan_with_measures(world, count: int):
    case = enrolled_case(world)
    police = police_of(world, case)
    soon = timezone.localdate() + timedelta(days=5)
    plan = make_plan(
        world,
        case,
        [
            {
                "goal": 0,
                "what": f"Åtgärd {n}",
                "due_on": soon + timedelta(days=n - 7),
                "responsible_member": police,
            }
            for n in range(count)
        ],
    )
    for measure in plan.measures.all()[:2]:
        services.measure_report(measure=measure, by=world.partner, status="ongoing", note="Ok.")
    return case


def test_my_measures_runs_a_constant_number_of_queries(
    unit_a, login, django_assert_max_num_queries
):
    world = unit_a
    _plan_with_measures(world, 2)
    client = login(world.partner)
    client.get(MY_MEASURES)  # warm up the session
    with CaptureQueriesContext(connection) as few:
        page = client.get(MY_MEASURES).content.decode()
    assert page.count("Åtgärd ") >= 2

    _plan_with_measures(world, 6)  # a second case: 8 measures in all
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(MY_MEASURES).content.decode()
    assert all(f"Åtgärd {n}" in page for n in range(6))
