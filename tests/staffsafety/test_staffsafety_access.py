"""Who sees staff safety: the unit's supervisors, and each staff member their own records.
Another unit's supervisor, colleagues, leadership, analysts, partners and administrators get a
404 on every page — and the refused attempts are logged."""

import pytest
from django.urls import reverse

from insats.access.models import AccessLogEntry
from insats.staffsafety.models import SafetyTalk
from tests.staffsafety.conftest import make_talk


def talk_pages(talk: SafetyTalk) -> list[str]:
    return [
        reverse(name, args=[talk.pk])
        for name in (
            "safety_talk_detail",
            "safety_talk_edit",
            "safety_talk_sign",
            "safety_talk_share",
            "safety_talk_pdf",
        )
    ]


OUTSIDERS = ["leadership", "analyst", "partner", "administrator"]


@pytest.mark.parametrize("role", OUTSIDERS)
def test_leadership_partners_and_others_see_nothing(unit_a, login, role):
    talk = make_talk(unit_a, sign=True)
    client = login(getattr(unit_a, role))
    assert client.get(reverse("staff_safety")).status_code == 404
    assert client.get(reverse("safety_talk_create")).status_code == 404
    for url in talk_pages(talk):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"name": "x", "email": "x@example.invalid"}).status_code == 404
    assert client.get(reverse("competence", args=[unit_a.coordinator.pk])).status_code == 404
    assert not SafetyTalk.objects.get(pk=talk.pk).is_shared


def test_another_units_supervisor_gets_404(unit_a, unit_b, login):
    talk = make_talk(unit_a)
    client = login(unit_b.supervisor)
    for url in talk_pages(talk):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("safety_talk_sign", args=[talk.pk])).status_code == 404
    assert not SafetyTalk.objects.get(pk=talk.pk).is_signed
    competence = reverse("competence", args=[unit_a.coordinator.pk])
    assert client.get(competence).status_code == 404
    assert client.get(f"{competence}?enhet={unit_a.unit.pk}").status_code == 404
    # B's own overview lists B's staff only, even when asked for A.
    body = client.get(f"{reverse('staff_safety')}?enhet={unit_a.unit.pk}").content.decode()
    assert unit_b.coordinator.get_full_name() in body
    assert unit_a.coordinator.get_full_name() not in body
    denied = AccessLogEntry.objects.filter(
        action="denied", object_type="safety_talk", object_id=str(talk.pk), unit_id=unit_a.unit.pk
    )
    assert denied.count() >= len(talk_pages(talk))


def test_the_employee_sees_their_own_talks_only(unit_a, login):
    own = make_talk(unit_a, employee=unit_a.coordinator, sign=True)
    colleagues = make_talk(unit_a, employee=unit_a.coordinator2)
    client = login(unit_a.coordinator)

    overview = client.get(reverse("staff_safety"))

    body = overview.content.decode()
    assert overview.status_code == 200
    assert "Mina säkerhetssamtal" in body
    assert reverse("safety_talk_detail", args=[own.pk]) in body
    assert reverse("safety_talk_detail", args=[colleagues.pk]) not in body
    assert unit_a.coordinator2.get_full_name() not in body
    assert "Säkerhetssamtal med operativ personal" not in body  # no supervisor part
    assert client.get(reverse("safety_talk_detail", args=[own.pk])).status_code == 200
    assert client.get(reverse("safety_talk_pdf", args=[own.pk])).status_code == 200
    for url in talk_pages(colleagues):
        assert client.get(url).status_code == 404
    assert AccessLogEntry.objects.filter(
        user=unit_a.coordinator,
        action="search",
        object_type="safety_talk",
        detail=f"own talks={own.pk}",
    ).exists()


def test_staff_without_a_talk_see_an_empty_state(unit_a, login):
    body = login(unit_a.investigator).get(reverse("staff_safety")).content.decode()
    assert "Inga säkerhetssamtal är dokumenterade för dig ännu." in body


def test_the_supervisor_sees_every_talk_of_the_unit(unit_a, login):
    talk = make_talk(unit_a, employee=unit_a.coordinator2)
    client = login(unit_a.supervisor_without_delegation)
    for url in talk_pages(talk):
        assert client.get(url).status_code == 200, url
    assert AccessLogEntry.objects.filter(
        user=unit_a.supervisor_without_delegation,
        action="view",
        object_type="safety_talk",
        object_id=str(talk.pk),
    ).exists()


def test_a_supervisor_of_two_units_picks_one(unit_a, unit_b, login):
    from insats.organisations.models import Membership

    Membership.objects.create(user=unit_a.supervisor, organisation=unit_b.social, role="supervisor")
    client = login(unit_a.supervisor)
    body = client.get(reverse("staff_safety")).content.decode()
    assert unit_a.coordinator.get_full_name() in body
    assert f"?enhet={unit_b.unit.pk}" in body  # the switch to the other unit
    body = client.get(f"{reverse('staff_safety')}?enhet={unit_b.unit.pk}").content.decode()
    assert unit_b.coordinator.get_full_name() in body
    assert unit_a.coordinator.get_full_name() not in body


def test_a_talk_read_is_logged_with_its_ground_and_the_history_is_the_supervisors(unit_a, login):
    older = make_talk(unit_a, employee=unit_a.coordinator, sign=True)
    talk = make_talk(unit_a, employee=unit_a.coordinator)

    employee = login(unit_a.coordinator).get(reverse("safety_talk_detail", args=[talk.pk]))
    assert employee.context["earlier"] == []  # not fetched for the employee
    supervisor = login(unit_a.supervisor).get(reverse("safety_talk_detail", args=[talk.pk]))
    assert supervisor.context["earlier"] == [older]

    own, boss = (
        AccessLogEntry.objects.filter(
            user=user, action="view", object_type="safety_talk", object_id=str(talk.pk)
        ).get()
        for user in (unit_a.coordinator, unit_a.supervisor)
    )
    assert own.grounds == f"safety_talk:employee:{talk.pk}"
    assert "role:supervisor" in boss.grounds
    assert own.detail == boss.detail == f"employee={unit_a.coordinator.pk}"
