"""The returnee entry page receives its entry from the gate (insats.access.gate.casework).

The gate decides by the entry's unit, logs a read with the role that allowed it and logs every
refusal on an entry that exists — also for users who are staff nowhere — and a save is logged
once, by the service, as the change itself.
"""

import pytest
from django.http import Http404
from django.utils import timezone

from insats.access.gate.casework import fetch_returnee
from insats.access.models import AccessLogEntry
from insats.casework import services_returnees as services
from insats.casework.models import Returnee
from tests.casework.test_returnees import add, edit_url, form_values


def entries(entry: Returnee):
    return AccessLogEntry.objects.filter(object_type="returnee", object_id=str(entry.pk))


def test_the_page_is_wrapped_by_the_gate():
    from insats.casework.views.returnees import returnee_edit

    assert returnee_edit.gate == "returnee"


def test_a_read_is_logged_with_its_ground_and_a_save_only_as_the_change(unit_a, login):
    entry = add(unit_a, name="Alfa Återvändare")
    client = login(unit_a.investigator)

    response = client.get(edit_url(entry))

    assert response.status_code == 200
    read = entries(entry).get(action="view", user=unit_a.investigator)
    assert read.unit_id == unit_a.unit.pk
    assert f"@unit:{unit_a.unit.pk}" in read.grounds

    values = form_values(response)
    values["returned_on"] = timezone.localdate().isoformat()
    before = entries(entry).count()
    assert client.post(edit_url(entry), values).status_code == 302
    after = entries(entry).order_by("pk")[before:]
    assert list(after.values_list("action", flat=True)) == ["change"]


def test_a_refusal_is_logged_for_users_who_are_staff_nowhere(unit_a, login):
    entry = add(unit_a, name="Alfa Återvändare")

    for user in (unit_a.partner, unit_a.leadership, unit_a.analyst):
        assert login(user).get(edit_url(entry)).status_code == 404
        assert entries(entry).filter(action="denied", user=user).exists(), user
    assert not entries(entry).filter(action="view").exists()


def test_an_unknown_entry_is_a_plain_404(unit_a):
    with pytest.raises(Http404):
        fetch_returnee(unit_a.coordinator, 999_999)
    assert not AccessLogEntry.objects.filter(object_type="returnee").exists()


def test_the_service_refuses_an_entry_of_another_unit(unit_a, unit_b):
    entry = add(unit_a, name="Alfa Återvändare")

    with pytest.raises(ValueError):
        services.returnee_save(
            unit=unit_b.unit,
            by=unit_b.coordinator,
            returnee=entry,
            kind="sis",
            name="Kapat",
            age=17,
            institution="X",
            expected_on=timezone.localdate(),
        )
    entry.refresh_from_db()
    assert entry.name == "Alfa Återvändare"
