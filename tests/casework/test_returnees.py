"""The unit's returnee register: the unit's social-services staff only, each entry a case of
the unit or a name, with the planning status of the linked case's action plan and a warning
when someone comes home within 30 days without a ready plan."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from insats.access.models import AccessLogEntry
from insats.casework import services_returnees as services
from insats.casework.models import Returnee
from insats.plans import services as plan_services
from tests import builders
from tests.conftest import FormReader

LIST = "/atervandare/"
CREATE = "/atervandare/ny/"


def edit_url(entry):
    return f"/atervandare/{entry.pk}/andra/"


def form_values(response) -> dict[str, str]:
    reader = FormReader()
    reader.feed(response.content.decode())
    return {name: values[-1].removeprefix("\n") for name, values in reader.values.items()}


def days(n: int):
    return timezone.localdate() + timedelta(days=n)


def add(world, *, case=None, name="", kind="sis", age=17, expected=20, **fields):
    return services.returnee_save(
        unit=world.unit,
        by=world.coordinator,
        kind=kind,
        case=case,
        name=name,
        age=age,
        institution=fields.pop("institution", "Hemmet Björkbacken"),
        expected_on=days(expected),
        **fields,
    )


def with_plan(world, case, status):
    plan_services.plan_save(
        case=case,
        by=world.coordinator,
        based_on_revision=0,
        main_goal="Ett liv utan brott, med skola och fritid.",
        goals=[],
        measures=[],
        status=status,
    )
    return case


def enrolled(world):
    case = builders.enrollable_case(world)
    builders.decide(world, case, "assignment")
    case.refresh_from_db()
    return case


def rows_by_name(response) -> dict:
    return {
        (row.returnee.case.alias if row.returnee.case else row.returnee.name): row
        for row in response.context["rows"]
    }


def test_staff_add_an_entry_with_a_name_and_change_it(unit_a, login):
    client = login(unit_a.coordinator)
    page = client.get(LIST).content.decode()
    assert "Inga återvändare matchar urvalet." in page

    values = form_values(client.get(CREATE))
    values.update(
        kind="probation",
        name="Kim Kvarnström",
        age="22",
        institution="Anstalten Skogome",
        expected_on=days(45).isoformat(),
        note="Villkorlig frigivning.",
    )
    response = client.post(CREATE, values)
    assert response.status_code == 302, response.content.decode()
    assert response.url == LIST
    entry = Returnee.objects.get()
    assert (entry.unit, entry.case, entry.name, entry.age) == (
        unit_a.unit,
        None,
        "Kim Kvarnström",
        22,
    )
    assert entry.recorded_by == unit_a.coordinator

    page = client.get(LIST).content.decode()
    assert "Kim Kvarnström" in page and "Anstalten Skogome" in page
    assert "Uppgifterna i registret är sparade." in page

    values = form_values(client.get(edit_url(entry)))
    assert values["name"] == "Kim Kvarnström"
    assert values["kind"] == "probation"
    values["returned_on"] = timezone.localdate().isoformat()
    assert client.post(edit_url(entry), values).status_code == 302
    entry.refresh_from_db()
    assert entry.returned_on == timezone.localdate()
    # Those who came home are hidden unless asked for.
    assert "Kim Kvarnström" not in client.get(LIST).content.decode()
    assert "Kim Kvarnström" in client.get(LIST + "?hemkomna=1").content.decode()

    logged = AccessLogEntry.objects.filter(object_type="returnee", object_id=str(entry.pk))
    assert logged.filter(action="create", unit_id=unit_a.unit.pk).exists()
    assert logged.filter(action="change").exists()
    assert logged.filter(action="view", user=unit_a.coordinator).exists()
    lists = AccessLogEntry.objects.filter(object_type="returnee_list", action="search")
    assert lists.filter(unit_id=unit_a.unit.pk, detail__contains=f"entries={entry.pk}").exists()


def test_an_entry_for_a_case_of_the_unit(unit_a, login):
    case = builders.identified_case(unit_a)
    client = login(unit_a.investigator)
    values = form_values(client.get(CREATE))
    assert f'<option value="{case.pk}">{case.alias}</option>' in client.get(CREATE).content.decode()
    values.update(
        kind="sis",
        case=str(case.pk),
        age="17",
        institution="Hemmet Björkbacken",
        expected_on=days(60).isoformat(),
    )
    assert client.post(CREATE, values).status_code == 302
    entry = Returnee.objects.get()
    assert entry.case == case and entry.name == ""

    page = client.get(LIST).content.decode()
    assert case.alias in page
    assert f"/arenden/{case.pk}/" in page
    assert AccessLogEntry.objects.filter(
        object_type="returnees", action="search", detail__contains=f"cases={case.pk}"
    ).exists()
    assert AccessLogEntry.objects.filter(
        object_type="returnee", action="create", case_id=case.pk
    ).exists()

    # The same case cannot be listed twice while the first entry is open.
    response = client.post(CREATE, values)
    assert response.status_code == 200
    assert "Ärendet finns redan i registret utan hemkomstdatum." in response.content.decode()


def test_case_or_name_exactly_one_in_swedish_and_input_kept(unit_a, login):
    case = builders.identified_case(unit_a)
    client = login(unit_a.coordinator)
    values = form_values(client.get(CREATE))
    values.update(
        kind="sis",
        case=str(case.pk),
        name="Både och",
        age="16",
        institution="Hemmet Lärkan",
        expected_on=days(10).isoformat(),
        note="Min anteckning.",
    )
    response = client.post(CREATE, values)
    assert response.status_code == 200
    assert "Välj ett ärende eller skriv ett namn, inte båda." in response.content.decode()
    kept = form_values(response)
    assert kept["name"] == "Både och" and kept["case"] == str(case.pk)
    assert kept["note"] == "Min anteckning."

    values.update(case="", name="", institution="", age="sjutton")
    response = client.post(CREATE, values)
    page = response.content.decode()
    assert "Ange institution eller anstalt." in page
    assert "Ange åldern i hela år." in page
    assert form_values(response)["age"] == "sjutton"

    values.update(age="16", institution="Hemmet Lärkan")
    response = client.post(CREATE, values)
    assert "Välj ett ärende eller skriv personens namn." in response.content.decode()
    assert "Det finns fel i formuläret" in response.content.decode()
    assert not Returnee.objects.exists()


def test_age_outside_the_target_group_warns_but_saves(unit_a, login):
    client = login(unit_a.coordinator)
    values = form_values(client.get(CREATE))
    values.update(
        kind="sis",
        name="Alva Ålder",
        age="23",
        institution="Hemmet Lärkan",
        expected_on=days(90).isoformat(),
    )
    response = client.post(CREATE, values, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Åldern 23 ligger utanför målgruppen för SiS (15–21 år)" in page
    assert "Ålder utanför målgruppen" in page
    assert Returnee.objects.get().age == 23
    # 23 is within Kriminalvården's range: no warning.
    assert services.age_warning("probation", 23) == ""
    assert services.age_warning("probation", 26)


def test_planning_status_and_the_30_day_warning(unit_a, login):
    draft = with_plan(unit_a, enrolled(unit_a), "draft")
    ready = with_plan(unit_a, enrolled(unit_a), "ready")
    late = with_plan(unit_a, builders.identified_case(unit_a), "draft")
    add(unit_a, name="Utan Ärende", expected=5)
    add(unit_a, case=draft, expected=30)
    add(unit_a, case=ready, expected=3)
    add(unit_a, case=late, expected=31, kind="probation", age=24)
    add(unit_a, name="Redan Passerad", expected=-4)

    response = login(unit_a.coordinator).get(LIST)
    rows = rows_by_name(response)
    assert rows["Utan Ärende"].plan_status_label == "Ingen plan"
    assert rows[draft.alias].plan_status_label == "Utkast"
    assert rows[ready.alias].plan_status_label == "Klar"
    assert rows[late.alias].plan_status_label == "Utkast"

    assert rows["Utan Ärende"].needs_plan  # 5 days, no plan
    assert rows[draft.alias].needs_plan  # 30 days, a draft
    assert not rows[ready.alias].needs_plan  # ready
    assert not rows[late.alias].needs_plan  # 31 days: still time
    assert not rows["Redan Passerad"].needs_plan
    assert rows[ready.alias].days_until == 3

    # Upcoming first, soonest first; the past one last and greyed.
    order = [
        r.returnee.case.alias if r.returnee.case else r.returnee.name
        for r in response.context["rows"]
    ]
    assert order == [ready.alias, "Utan Ärende", draft.alias, late.alias, "Redan Passerad"]
    page = response.content.decode()
    assert page.count("Planen är inte klar") == 2
    assert page.count('class="returnee muted"') == 1
    assert "4 dagar sedan" in page
    for label in ("Ingen plan", "Utkast", "Klar"):
        assert label in page

    sis_only = login(unit_a.coordinator).get(LIST + "?typ=sis")
    assert late.alias not in rows_by_name(sis_only)
    assert len(sis_only.context["rows"]) == 4


def test_only_the_units_staff_see_the_register(unit_a, unit_b, login):
    entry = add(unit_a, name="Alfa Återvändare")
    b_entry = add(unit_b, name="Beta Återvändare")
    a_case = builders.identified_case(unit_a)

    client = login(unit_b.coordinator)
    page = client.get(LIST).content.decode()
    assert "Beta Återvändare" in page and "Alfa Återvändare" not in page
    assert client.get(edit_url(entry)).status_code == 404
    assert client.post(edit_url(entry), {"name": "Kapat"}).status_code == 404
    form_page = client.get(CREATE).content.decode()
    assert a_case.alias not in form_page
    # A's case cannot be picked by id either.
    response = client.post(
        CREATE,
        {
            "kind": "sis",
            "case": str(a_case.pk),
            "age": "17",
            "institution": "X",
            "expected_on": days(5).isoformat(),
        },
    )
    assert response.status_code == 200
    assert "Välj ett av enhetens ärenden." in response.content.decode()
    entry.refresh_from_db()
    assert entry.name == "Alfa Återvändare"
    assert AccessLogEntry.objects.filter(
        object_type="returnee", action="denied", user=unit_b.coordinator, object_id=str(entry.pk)
    ).exists()
    with pytest.raises(PermissionDenied):
        services.returnee_save(
            unit=unit_a.unit,
            by=unit_b.coordinator,
            returnee=entry,
            kind="sis",
            name="Kapat",
            age=17,
            institution="X",
            expected_on=days(5),
        )

    for user in (unit_a.partner, unit_a.leadership, unit_a.analyst, unit_a.administrator):
        client = login(user)
        for url in (LIST, CREATE, edit_url(entry), edit_url(b_entry)):
            assert client.get(url).status_code == 404, (user, url)
        assert client.post(CREATE, {"name": "x"}).status_code == 404
    assert Returnee.objects.count() == 2


def test_list_runs_a_fixed_number_of_queries(unit_a, login, django_assert_max_num_queries):
    def add_entries(count, start):
        for n in range(start, start + count):
            if n % 3 == 0:
                add(unit_a, name=f"Namn {n}", expected=n)
                continue
            case = unit_a.case()
            if n % 3 == 1:
                with_plan(unit_a, case, "ready" if n % 2 else "draft")
            add(unit_a, case=case, expected=n - 5)

    client = login(unit_a.coordinator)
    add_entries(3, 0)
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(LIST).context["rows"]) == 3
    add_entries(9, 3)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(LIST).context["rows"]) == 12
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    with django_assert_max_num_queries(30):
        client.get(LIST)
