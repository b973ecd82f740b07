"""The coordinators' competence checklist: kept by the unit's supervisors, read by the
coordinator, hidden from everyone else."""

import re
from datetime import date, timedelta

from django.urls import reverse
from django.utils import timezone

from insats.access.models import AccessLogEntry
from insats.staffsafety import selectors, services
from insats.staffsafety.models import CompetenceRecord
from tests.staffsafety.conftest import form_values


def url(world, user=None) -> str:
    return f"{reverse('competence', args=[(user or world.coordinator).pk])}?enhet={world.unit.pk}"


def items(world):
    services.unit_copy_template_items(unit=world.unit)
    return list(selectors.unit_competence_items(world.unit.pk))


def post_data(world, rows: dict) -> dict:
    requirements = items(world)
    data = {
        "krav-TOTAL_FORMS": str(len(requirements)),
        "krav-INITIAL_FORMS": str(len(requirements)),
        "krav-MIN_NUM_FORMS": "0",
        "krav-MAX_NUM_FORMS": "1000",
    }
    for index, item in enumerate(requirements):
        row = rows.get(index, {})
        data[f"krav-{index}-row_id"] = str(item.pk)
        data[f"krav-{index}-met_on"] = row.get("met_on", "")
        data[f"krav-{index}-note"] = row.get("note", "")
    return data


def test_the_seven_requirements_from_the_guidance(unit_a, login):
    body = login(unit_a.supervisor).get(url(unit_a)).content.decode()
    for label in (
        "Adekvat högskoleutbildning",
        "Grundkunskaper om socialtjänsten",
        "Lokalkännedom",
        "Kännedom om lagstiftning",
        "motiverande samtal",
        "kriminologi",
        "våldsbejakande extremism",
    ):
        assert label in body
    assert len(items(unit_a)) == 7


def test_supervisor_keeps_the_checklist(unit_a, login):
    client = login(unit_a.supervisor)
    requirements = items(unit_a)

    response = client.post(
        url(unit_a),
        post_data(
            unit_a,
            {0: {"met_on": "2020-06-01"}, 2: {"note": "Studiebesök i området i vår."}},
        ),
    )

    assert response.status_code == 302
    saved = CompetenceRecord.objects.filter(coordinator=unit_a.coordinator)
    records = {r.item_id: r for r in saved}
    assert set(records) == {requirements[0].pk, requirements[2].pk}
    assert records[requirements[0].pk].met_on == date(2020, 6, 1)
    assert records[requirements[2].pk].met_on is None
    assert records[requirements[2].pk].note == "Studiebesök i området i vår."
    assert records[requirements[0].pk].updated_by == unit_a.supervisor
    assert AccessLogEntry.objects.filter(
        object_type="competence",
        action="change",
        object_id=str(unit_a.coordinator.pk),
        unit_id=unit_a.unit.pk,
    ).exists()
    page = client.get(url(unit_a))
    assert "1 av 7 uppfyllda" in page.content.decode()
    values = form_values(page)
    assert values["krav-0-met_on"] == ["2020-06-01"]
    assert values["krav-2-note"] == ["Studiebesök i området i vår."]

    # Clearing the date un-meets it.
    client.post(url(unit_a), post_data(unit_a, {}))
    record = CompetenceRecord.objects.get(item=requirements[0], coordinator=unit_a.coordinator)
    assert record.met_on is None


def test_a_future_date_is_refused_in_swedish_and_input_kept(unit_a, login):
    client = login(unit_a.supervisor)
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = client.post(
        url(unit_a),
        post_data(unit_a, {1: {"met_on": future, "note": "Kurs bokad"}, 3: {"met_on": "igår"}}),
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Det finns fel i formuläret" in body
    assert "Datumet kan inte ligga i framtiden." in body
    assert "Ange ett giltigt datum, t.ex. 2025-03-14." in body
    values = form_values(response)
    assert values["krav-1-met_on"] == [future]
    assert values["krav-1-note"] == ["Kurs bokad"]
    assert values["krav-3-met_on"] == ["igår"]
    assert not CompetenceRecord.objects.exists()


def test_the_coordinator_reads_their_own_checklist_only(unit_a, login):
    requirements = items(unit_a)
    services.competence_save(
        unit=unit_a.unit,
        coordinator=unit_a.coordinator,
        by=unit_a.supervisor,
        rows=[{"item": requirements[0], "met_on": date(2021, 2, 3), "note": ""}],
    )
    client = login(unit_a.coordinator)

    page = client.get(url(unit_a))

    body = page.content.decode()
    assert page.status_code == 200
    assert "uppfyllt sedan 2021-02-03" in body
    assert '<form method="post"' not in re.sub(r"<header.*?</header>", "", body, flags=re.S)
    response = client.post(url(unit_a), post_data(unit_a, {1: {"met_on": "2020-01-01"}}))
    assert response.status_code == 302
    assert CompetenceRecord.objects.count() == 1
    # A colleague's checklist is not theirs to see.
    assert client.get(url(unit_a, unit_a.coordinator2)).status_code == 404
    # The overview links to their own checklist.
    overview = client.get(reverse("staff_safety")).content.decode()
    assert url(unit_a) in overview


def test_investigators_have_no_competence_checklist(unit_a, login):
    assert login(unit_a.supervisor).get(url(unit_a, unit_a.investigator)).status_code == 404


def test_unknown_people_are_404(unit_a, login):
    response = login(unit_a.supervisor).get(reverse("competence", args=[999999]))
    assert response.status_code == 404
